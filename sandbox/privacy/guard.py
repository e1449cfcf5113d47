"""Scan-before-write guard for everything the platform writes to MLflow and reports.

The runner passes params, tags and JSON artifacts through :class:`WriteGuard` before they reach
MLflow. A hit is refused with a clear error (and an audit entry naming the place and the entity
types, never the value): nothing is written raw. Free text that should be kept is redacted
upstream (``sandbox.privacy.ingest``); the guard is the last line of defence, so it refuses
rather than silently rewriting a run's record.

Metadata is machine-made (ids, hashes, timestamps, metric names), so the guard skips
machine tokens and looks for identifiers, addresses, dates of birth and Chinese names; English
person names are not searched in metadata, where data-set authors and model names would be
false alarms (free text is redacted with the full analyzer before it is ever used).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sandbox.audit import open_audit
from sandbox.config import Settings
from sandbox.errors import PrivacyViolation
from sandbox.privacy.analyzer import PiiAnalyzer
from sandbox.privacy.entities import STRUCTURED_TYPES, EntityType

GUARDED_TYPES = frozenset(
    {*STRUCTURED_TYPES, EntityType.DATE_OF_BIRTH, EntityType.HK_ADDRESS, EntityType.PERSON_ZH}
)
_MACHINE_TOKEN = re.compile(
    r"^(?:(?=[0-9]*[a-f])[0-9a-f]{8,64}"  # run ids, hashes (a letter in them: all-digit
    # strings are phones, cards, accounts, FPS ids and are scanned)
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuids
    r"|\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:[+-]\d{2}:\d{2}|Z| UTC)?)?"  # ISO dates / timestamps
    r"|[-+]?\d{1,6}(?:\.\d+)?(?:e[-+]?\d+)?"  # short numbers (seeds, limits, rates)
    r"|[-+]?\d*\.\d+(?:e[-+]?\d+)?"  # decimals (no identifier has a decimal point)
    r"|(?:true|false|none|null|nan))$",
    re.IGNORECASE,
)


# Fields exempt by name (never by the shape of their value): machine configuration the platform
# itself writes. A sandbox server's URL (http://127.0.0.1:5050) reads as an IP address.
EXEMPT_FIELDS = frozenset({"tracking_uri"})


_CLEAN: set[str] = set()
"""Strings the guard has already found clean in this process: a run writes the same evidence
several times (each model's evaluations, then the run record that holds them all), and the
analyzer gives the same answer for the same text."""
_CLEAN_LIMIT = 200_000


def _exempt(path: str) -> bool:
    return path.rsplit(".", 1)[-1] in EXEMPT_FIELDS


def _leaves(payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(json path, string) for every string in a nested structure, keys included."""
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            child = f"{path}.{key}" if path else str(key)
            yield f"{child}(key)", str(key)
            yield from _leaves(value, child)
    elif isinstance(payload, list | tuple):
        for index, value in enumerate(payload):
            yield from _leaves(value, f"{path}[{index}]")
    elif isinstance(payload, str):
        yield path, payload


def _safe_path(path: str, refused: set[str]) -> str:
    """``path`` with every segment that holds refused text (a key that is personal data, or a
    part of one) replaced by ``<refused>``, so an error never repeats what it refused."""
    for text in sorted(refused, key=len, reverse=True):
        if text in path:
            path = path.replace(text, "<refused>")
    return path


class WriteGuard:
    """Refuses writes that carry personal data.

    Args:
        settings: Sandbox settings (identity and audit log of refusals).
        analyzer: Analyzer restricted to the guarded types (built on first use).
    """

    def __init__(self, settings: Settings, analyzer: PiiAnalyzer | None = None) -> None:
        self.settings = settings
        self._analyzer = analyzer
        self._clean = _CLEAN if analyzer is None else set()  # the cache is the default's

    @property
    def analyzer(self) -> PiiAnalyzer:
        if self._analyzer is None:
            self._analyzer = PiiAnalyzer(score_threshold=0.5, entities=GUARDED_TYPES)
        return self._analyzer

    def check_mapping(self, values: Mapping[str, Any], where: str) -> None:
        """Check params or tags: every key and string value."""
        self.check_payload(dict(values), where)

    def check_names(self, names: Iterable[str], where: str) -> None:
        """Check names built from data (metric names with slice values, run names, tags):
        each name and each of its dot-separated parts."""
        parts = {f"name[{i}]": name for i, name in enumerate(names)}
        for i, name in enumerate(list(parts.values())):
            for j, part in enumerate(name.split(".")):
                parts[f"name[{i}].part[{j}]"] = part
        self.check_payload(parts, where)

    def check_payload(self, payload: Any, where: str) -> None:
        """Check every string of a JSON-like payload (a run record, thresholds, params).

        Raises:
            PrivacyViolation: Naming where and which entity types; the value is never shown.
        """
        items = [
            (path, text)
            for path, text in _leaves(payload)
            if text.strip()
            and text not in self._clean
            and not _MACHINE_TOKEN.match(text.strip())
            and not _exempt(path)
        ]
        if not items:
            return
        unique = list(dict.fromkeys(text for _, text in items))
        by_text = dict(zip(unique, self.analyzer.analyze_batch(unique), strict=True))
        found = [by_text[text] for _, text in items]
        if len(self._clean) > _CLEAN_LIMIT:
            self._clean.clear()
        self._clean.update(text for text, entities in by_text.items() if not entities)
        hits = [
            (path, sorted({str(e.entity_type) for e in entities}))
            for (path, _), entities in zip(items, found, strict=True)
            if entities
        ]
        if not hits:
            return
        refused = {text for (_, text), entities in zip(items, found, strict=True) if entities}
        hits = [(_safe_path(path, refused), types) for path, types in hits]
        open_audit(self.settings).append(
            self.settings.identity,
            "privacy.refused",
            where,
            {"fields": [{"field": p, "types": t} for p, t in hits[:20]], "hits": len(hits)},
        )
        first_path, first_types = hits[0]
        raise PrivacyViolation(
            f"refused to write {where}: '{first_path}' holds personal data "
            f"({', '.join(first_types)}){'' if len(hits) == 1 else f' (+{len(hits) - 1} more)'}; "
            "redact it first (`sandbox redact`); nothing was written"
        )
