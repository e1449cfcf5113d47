"""Canary test: personal data in the raw input never reaches the MLflow store, models included."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import sandbox
from sandbox.config import Settings
from sandbox.privacy.scan import scan_tree
from use_cases.fraud import scam_messages
from use_cases.fraud.hk_messages import generate_hk_messages

# Synthetic canaries, one per identifier type (A123456(3) has a valid HKID check digit; the
# card is Luhn-valid; the Mainland ID has a valid ISO 7064 check character).
CANARIES = {
    "HKID": "A123456(3)",
    "phone": "+852 9876 5432",
    "account": "004-567890-123",
    "card": "4111 1111 1111 1111",
    "email": "wong.kayan.canary@gmail.com",
    "name_en": "Wong Ka Yan",
    "name_zh": "陳大文",
    "address": "Flat 3, 12/F, Block B, Taikoo Shing",
}
CANARY_MESSAGES = [
    (
        f"Dear {CANARIES['name_en']}, your HKID {CANARIES['HKID']} is suspended. Call "
        f"{CANARIES['phone']} now",
        1,
    ),
    (
        f"【銀行通知】{CANARIES['name_zh']}先生，你嘅戶口 {CANARIES['account']} 已被凍結，"
        f"請即致電 {CANARIES['phone']}",
        1,
    ),
    (
        f"Card {CANARIES['card']} charged HK$8,000. Not you? Reply with your email "
        f"{CANARIES['email']}",
        1,
    ),
    (f"Your statement for {CANARIES['address']} is ready in the app.", 0),
]
SMALL = [
    "sms_sample=600",
    "hk_per_family=4",
    "cv_folds=2",
    "challenger.use_embeddings=false",
    # the LLM classifier stays in (its prompt and examples are logged), on a small sample
    "llm.sample=20",
    "llm.shots_per_class=1",
    "llm.robustness_limit=4",
    "llm.explain_rows=1",
]


def _known_structured_values(frame: pd.DataFrame) -> set[str]:
    """Generator-inserted identifiers worth scanning for (masked tails like *1234 excluded)."""
    values = {v for values in frame["pii_values"] for v in values}
    return {v for v in values if sum(ch.isdigit() for ch in v) >= 8 and not re.search("[x*X]", v)}


def test_canary_pii_never_reaches_mlruns(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def with_canaries(seed: int, per_family: int) -> pd.DataFrame:
        frame = generate_hk_messages(seed=seed, per_family=per_family)
        # Canaries join existing families of their label (families must not mix labels).
        family_of = {
            label: sorted(frame.loc[frame["label"] == label, "family"].unique()) for label in (0, 1)
        }
        rows = [
            {
                "text": text,
                "label": label,
                "language": "en",
                "family": family_of[label][i % len(family_of[label])],
                "topic": "canary",
                "pii_values": list(CANARIES.values()),
            }
            for i, (text, label) in enumerate(CANARY_MESSAGES * 3)
        ]
        return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)

    monkeypatch.setattr(scam_messages, "generate_hk_messages", with_canaries)
    record = sandbox.run_experiment("fraud", "scam_messages", overrides=SMALL)
    assert record.status == "FINISHED"
    assert record.data_facts["redaction.HK_ID"] >= 1

    known = set(CANARIES.values()) | _known_structured_values(generate_hk_messages(42, 4))
    hits = scan_tree(settings.mlruns_dir, known)
    # Models were logged, so the scan covered them (skops archives are opened member by member).
    assert any(
        p.suffix == ".skops" or p.name == "model.pkl" for p in settings.mlruns_dir.rglob("*")
    )
    assert not hits, sorted({(h.kind, h.value) for h in hits})[:10]
