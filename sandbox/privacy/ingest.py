"""Data-set ingestion guard: what a use case declares as personal data is redacted on the way in.

Free-text columns are redacted (typed masks by default, so models keep the signal that "a phone
number was here"); identifier columns are replaced by the tenant's consistent pseudonyms or
dropped. Experiments call :func:`redact_dataset` in ``prepare`` before any model sees the data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from sandbox.config import Settings, load_settings
from sandbox.errors import ConfigError
from sandbox.experiment import ProgressCallback, no_progress
from sandbox.privacy.entities import EntityType
from sandbox.privacy.redactor import Operator, Redactor

CHUNK = 256


def redact_dataset(
    frame: pd.DataFrame,
    *,
    source: str,
    text_columns: Sequence[str] = (),
    identifier_columns: Mapping[str, EntityType] | None = None,
    drop_columns: Sequence[str] = (),
    operator: Operator | str = Operator.MASK,
    settings: Settings | None = None,
    progress: ProgressCallback = no_progress,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """A redacted copy of ``frame`` and the detections per entity type (one audit entry).

    Args:
        frame: The raw data set.
        source: Name of the data set, recorded in the audit log.
        text_columns: Free-text columns to redact.
        identifier_columns: Columns holding one identifier per cell, with its type; replaced
            by the tenant's pseudonyms (``<HK_ID_7>``).
        drop_columns: Columns removed outright.
        operator: How free text is redacted (``mask`` keeps a typed placeholder).
        settings: Sandbox settings; from the environment when omitted.
        progress: Receives ``("Redacting <source>", done, total)``.

    Raises:
        ConfigError: A declared column does not exist.
    """
    identifier_columns = dict(identifier_columns or {})
    declared = [*text_columns, *identifier_columns, *drop_columns]
    missing = [c for c in declared if c not in frame.columns]
    if missing:
        raise ConfigError(f"{source}: declared personal-data columns not in the data: {missing}")
    settings = settings or load_settings()
    redactor = Redactor(settings, operator=operator)
    out = frame.drop(columns=list(drop_columns)).copy()
    counts: Counter[str] = Counter()
    total = len(frame) * len(text_columns)
    done = 0
    stage = f"Redacting {source}"
    progress(stage, 0, max(total, 1))
    for column in text_columns:
        values = out[column].fillna("").astype(str).tolist()
        # Each distinct text is analysed once (generated and templated data repeat many);
        # detections still count once per row that holds them.
        occurrences = Counter(values)
        distinct = list(occurrences)
        redacted: dict[str, str] = {}
        for start in range(0, len(distinct), CHUNK):
            texts = distinct[start : start + CHUNK]
            batch = redactor.redact_batch(texts, source=None)
            for text, result in zip(texts, batch, strict=True):
                redacted[text] = result.text
                for kind, found in result.counts.items():
                    counts[kind] += found * occurrences[text]
                done += occurrences[text]
            progress(stage, done, max(total, 1))
        out[column] = [redacted[v] for v in values]
    pseudonymiser = Redactor(settings, operator=Operator.PSEUDONYMISE, analyzer=redactor.analyzer)
    for column, entity_type in identifier_columns.items():
        cells = out[column].astype(str).tolist()
        out[column] = pseudonymiser.vault.pseudonyms([(entity_type, v) for v in cells])
        counts[str(entity_type)] += len(cells)
    result = dict(sorted(counts.items()))
    redactor.record(
        source,
        texts=len(frame),
        chars=int(sum(frame[c].fillna("").astype(str).str.len().sum() for c in text_columns)),
        counts={**result, "dropped_columns": len(drop_columns)},
    )
    progress(stage, max(total, 1), max(total, 1))
    return out, result
