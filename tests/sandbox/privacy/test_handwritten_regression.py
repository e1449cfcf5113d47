"""Regression on 200 hand-written HK banking texts (tests/sandbox/privacy/data/holdout_hk.jsonl).

Written independently of the benchmark generator (chats, call notes, OCR'd forms, KYC fields,
estates and villages, nicknames). The analyzer was improved after reading its misses, so these
figures are a regression floor, not an unbiased estimate; the benchmark's numbers and the
customer's held-out corpus are the real measures.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sandbox.privacy.analyzer import PiiAnalyzer, merge_overlaps
from sandbox.privacy.entities import STRUCTURED_TYPES

DATA = Path(__file__).with_name("data") / "holdout_hk.jsonl"


def _redact(text: str, entities: list) -> str:
    out = text
    for entity in reversed(merge_overlaps(text, entities)):
        out = out[: entity.start] + f"<{entity.entity_type}>" + out[entity.end :]
    return out


def _leaked(value: str, redacted: str) -> bool:
    """Verbatim, or its digits (>= 6) intact inside one run of digits and separators."""
    if value in redacted:
        return True
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return False
    runs = re.findall(r"\d[\d\s\-.()/]*", redacted)
    return any(digits in re.sub(r"\D", "", run) for run in runs)


@pytest.fixture(scope="module")
def scored() -> tuple[Counter[str], Counter[str], int, int]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    found = PiiAnalyzer().analyze_batch([row["text"] for row in rows])
    total: Counter[str] = Counter()
    leaked: Counter[str] = Counter()
    kept = keep_total = 0
    for row, entities in zip(rows, found, strict=True):
        redacted = _redact(row["text"], entities)
        for item in row["pii"]:
            total[item["type"]] += 1
            leaked[item["type"]] += _leaked(item["value"], redacted)
        keep_total += len(row["keep"])
        kept += sum(value in redacted for value in row["keep"])
    return total, leaked, kept, keep_total


def test_structured_identifiers_rarely_leak(scored) -> None:
    total, leaked, _, _ = scored
    structured = [str(t) for t in STRUCTURED_TYPES]
    n = sum(total[t] for t in structured)
    assert n >= 150
    assert sum(leaked[t] for t in structured) / n <= 0.03, dict(leaked)


def test_names_and_overall_leak_rate(scored) -> None:
    total, leaked, _, _ = scored
    assert leaked["PERSON"] / total["PERSON"] <= 0.08
    assert leaked["PERSON_ZH"] / total["PERSON_ZH"] <= 0.10
    assert sum(leaked.values()) / sum(total.values()) <= 0.05


def test_distractors_survive(scored) -> None:
    _, _, kept, keep_total = scored
    assert keep_total >= 200
    assert kept / keep_total >= 0.90
