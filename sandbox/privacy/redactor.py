"""Redaction: detected personal data replaced by typed pseudonyms, masks or keyed hashes.

``pseudonymise`` (default) writes ``<HK_ID_7>``: consistent per tenant and reversible only
through the vault. ``mask`` writes ``<HK_ID>``. ``hash`` writes ``<HK_ID:3f9a0c21d4>``, a
tenant-keyed hash that links records without being reversible. Every batch is audited with its
counts per entity type (never the values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.audit import open_audit
from sandbox.config import Settings, load_settings
from sandbox.errors import ConfigError
from sandbox.identity import Action
from sandbox.privacy.analyzer import PiiAnalyzer
from sandbox.privacy.entities import Entity
from sandbox.privacy.vault import open_vault


class Operator(StrEnum):
    """How a detected value is replaced."""

    PSEUDONYMISE = "pseudonymise"
    MASK = "mask"
    HASH = "hash"


@dataclass
class Redaction:
    """One redacted text. ``entities`` hold the original values: keep them in the raw zone."""

    text: str
    entities: list[Entity] = field(default_factory=list)
    replacements: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(str(e.entity_type) for e in self.entities))

    def explain(self) -> list[dict[str, object]]:
        """Entity type, span, score and replacement of each detection (no raw value)."""
        return [
            {
                "type": str(e.entity_type),
                "start": e.start,
                "end": e.end,
                "score": round(e.score, 3),
                "replacement": r,
            }
            for e, r in zip(self.entities, self.replacements, strict=True)
        ]


def total_counts(redactions: Sequence[Redaction]) -> dict[str, int]:
    """Detections per entity type over many redactions."""
    counter: Counter[str] = Counter()
    for redaction in redactions:
        counter.update(redaction.counts)
    return dict(sorted(counter.items()))


class Redactor:
    """Redacts personal data for the acting identity's tenant.

    Args:
        settings: Sandbox settings (identity, vault, audit log); read from the environment
            when omitted.
        operator: ``pseudonymise``, ``mask`` or ``hash``.
        analyzer: The analyzer to use (default: a :class:`PiiAnalyzer`).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        operator: Operator | str = Operator.PSEUDONYMISE,
        analyzer: PiiAnalyzer | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        try:
            self.operator = Operator(operator)
        except ValueError:
            known = ", ".join(o.value for o in Operator)
            raise ConfigError(f"unknown redaction operator '{operator}'; known: {known}") from None
        self.identity = self.settings.identity
        self.identity.require(Action.REDACT)
        self.analyzer = analyzer or PiiAnalyzer()
        self.vault = open_vault(self.settings)
        self.audit = open_audit(self.settings)

    def redact(self, text: str, source: str = "api") -> Redaction:
        """Redact one text (audited)."""
        return self.redact_batch([text], source=source)[0]

    def redact_batch(self, texts: Sequence[str], source: str | None = "api") -> list[Redaction]:
        """Redact many texts in one analyzer batch.

        Args:
            texts: Texts to redact.
            source: Where the texts come from, recorded in the audit entry; ``None`` skips the
                audit entry (the caller then records one summary with :meth:`record`).
        """
        found = self.analyzer.analyze_batch(list(texts))
        flat = [(e.entity_type, e.text) for entities in found for e in entities]
        replacements = iter(self._replacements(flat))
        redactions = []
        for text, entities in zip(texts, found, strict=True):
            mine = [next(replacements) for _ in entities]
            redactions.append(Redaction(_apply(text, entities, mine), entities, mine))
        if source is not None:
            self.record(source, len(texts), sum(len(t) for t in texts), total_counts(redactions))
        return redactions

    def record(self, source: str, texts: int, chars: int, counts: dict[str, int]) -> None:
        """Audit one redaction job: how many texts and what was found (counts only)."""
        self.audit.append(
            self.identity,
            "privacy.redact",
            source,
            {"operator": self.operator.value, "texts": texts, "chars": chars, "counts": counts},
        )

    def _replacements(self, items: list[tuple]) -> list[str]:
        if self.operator is Operator.MASK:
            return [f"<{entity_type}>" for entity_type, _ in items]
        if self.operator is Operator.HASH:
            hashes = self.vault.keyed_hashes(items) if items else []
            return [f"<{t}:{h}>" for (t, _), h in zip(items, hashes, strict=True)]
        return self.vault.pseudonyms(items) if items else []


def _apply(text: str, entities: Sequence[Entity], replacements: Sequence[str]) -> str:
    parts, cursor = [], 0
    for entity, replacement in zip(entities, replacements, strict=True):
        parts.append(text[cursor : entity.start])
        parts.append(replacement)
        cursor = entity.end
    parts.append(text[cursor:])
    return "".join(parts)
