"""Alert explanations: facts and prompt from features only, capped generation, faithfulness.

The end-to-end test runs the embedded SmolLM2 model through a real Gateway (marked slow: the
first load de-quantises the GGUF file into a fresh cache, ~30 s on two cores).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from sandbox.audit import AuditLog
from sandbox.config import Settings, load_settings
from sandbox.models.base import GenerationConfig, GenerationResult, Message, ModelCard
from sandbox.models.gateway import Gateway, GatewayPolicy
from use_cases.fraud.alert_explanations import (
    SYSTEM_PROMPT,
    AlertExplanation,
    ExplanationParams,
    alert_facts,
    build_prompt,
    explain_alerts,
    explanation_evaluation,
)
from use_cases.fraud.transactions_data import (
    FAIRNESS_COLUMNS,
    FEATURE_COLUMNS,
    TransactionSimConfig,
    build_features,
    generate_transactions,
)

PERSONAL = ["txn_id", "customer_id", "payee_id", "device_id", *FAIRNESS_COLUMNS]


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    """Simulated transactions with their features and the identifying columns beside them."""
    txns, _ = generate_transactions(
        TransactionSimConfig(seed=11, days=7, daily_volume=300, n_customers=300)
    )
    return pd.concat([build_features(txns), txns[PERSONAL]], axis=1)


def _row(**overrides: object) -> pd.Series:
    """A hand-made feature row: an ordinary FPS payment unless overridden."""
    values: dict[str, object] = {name: 0.0 for name in FEATURE_COLUMNS}
    values.update(
        log_amount=math.log1p(12_345.67),
        hour=14.0,
        amount_to_cust_median=1.5,
        cust_prior_txn_count=math.log1p(20),
        cust_txn_count_24h=2.0,
        payee_distinct_senders_24h=1.0,
        is_new_payee=1.0,
        amount_to_prev_same_payee=1.0,
        limit_change_hours_ago=720.0,
        amount_to_balance=0.25,
        log_balance=math.log1p(49_382.68),
        log_account_age_days=math.log1p(1000),
        channel="FPS",
        payee_proxy_type="mobile",
        mcc="",
    )
    values.update(overrides)
    return pd.Series(values)


# --- facts and prompt --------------------------------------------------------------------------


def test_facts_are_readable_units_of_the_features() -> None:
    facts = alert_facts(_row(is_new_device=1.0, is_night=1.0, hour=2.0), 0.91234)
    assert facts["fraud_score"] == 0.912
    assert facts["amount_hkd"] == 12_345.67
    assert facts["amount_to_balance_pct"] == 25.0
    assert facts["account_age_days"] == 1000
    assert facts["channel"] == "FPS" and facts["payee_proxy_type"] == "mobile number"
    assert facts["is_new_device"] is True and facts["is_new_payee"] is True
    assert facts["limit_changed_24h"] is False
    # Nothing to say: no limit change in 30 days, a new payee has no previous payment, no fan-in.
    for absent in ("hours_since_limit_change", "amount_to_previous_payment", "payee_senders_24h"):
        assert absent not in facts


def test_card_and_atm_facts_name_merchant_or_nothing() -> None:
    card = alert_facts(_row(channel="card", payee_proxy_type="", mcc="5732"), 0.5)
    assert card["channel"] == "card" and card["merchant_category"] == "electronics"
    assert "payee_proxy_type" not in card
    atm = alert_facts(_row(channel="atm", payee_proxy_type="", is_new_payee=0.0), 0.5)
    assert atm["channel"] == "ATM"
    assert "merchant_category" not in atm and "payments_to_payee_before" not in atm


def test_prompt_lists_the_facts_and_no_personal_data(transactions: pd.DataFrame) -> None:
    row = transactions.iloc[len(transactions) // 2]
    messages = build_prompt(row, 0.8731)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == SYSTEM_PROMPT
    user = messages[1]["content"]
    amount = math.expm1(row["log_amount"])
    assert f"Amount: HK${amount:,.2f}" in user
    assert "Fraud score: 0.873" in user
    assert f"Hour of day: {int(row['hour'])}" in user
    assert "Risk signals: " in user
    # Identifiers and customer attributes beside the features change nothing.
    assert build_prompt(row.drop(PERSONAL), 0.8731) == messages
    for column in ("txn_id", "customer_id", "payee_id", "device_id"):
        identifiers = transactions[column].astype(str)
        assert not any(value and value in user for value in identifiers.head(200)), column


def test_prompt_names_only_the_risk_signals_present() -> None:
    user = build_prompt(_row(is_new_device=1.0, payee_alert_flag=1.0), 0.99)[1]["content"]
    signals = user.split("Risk signals: ")[1].splitlines()[0]
    assert "new device" in signals and "Suspicious Proxy ID" in signals
    assert "new payee" in signals
    assert "night" not in signals and "daily transfer limit" not in signals
    quiet = build_prompt(_row(is_new_payee=0.0, amount_to_prev_same_payee=2.0), 0.4)
    assert "Risk signals: none" in quiet[1]["content"]
    assert "Amount vs the previous payment to this payee: 2.00 times" in quiet[1]["content"]


def test_missing_feature_is_an_error() -> None:
    with pytest.raises(ValueError, match="is_new_device"):
        build_prompt(_row().drop("is_new_device"), 0.5)


# --- generation loop ---------------------------------------------------------------------------


class ScriptedModel:
    """A ChatModel that answers every prompt with the amount line it was given."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    @property
    def card(self) -> ModelCard:
        return ModelCard(
            name="scripted",
            version="1",
            provider="embedded",
            weights_sha256="0" * 64,
            licence="-",
            source="test double",
        )

    def generate(
        self, messages: list[Message], config: GenerationConfig | None = None
    ) -> GenerationResult:
        user = messages[-1]["content"]
        self.prompts.append(user)
        amount = user.split("Amount: ")[1].split("\n")[0]
        return GenerationResult(
            text=f" Flagged: {amount} from a new device. ",
            prompt_tokens=100,
            completion_tokens=10,
            seconds=0.5,
        )

    def top_logprobs(self, messages: list[Message], k: int = 20) -> list[tuple[str, float]]:
        raise NotImplementedError

    def label_probabilities(
        self, messages: list[Message], labels: Sequence[str]
    ) -> dict[str, float]:
        raise NotImplementedError


def test_explain_alerts_takes_the_top_scores_and_scores_faithfulness(
    settings: Settings,
) -> None:
    rows = pd.DataFrame(
        [
            _row(log_amount=math.log1p(100.0 * (i + 1)), is_new_device=float(i == 2))
            for i in range(4)
        ],
        index=[10, 11, 12, 13],
    )
    scores = np.array([0.2, 0.9, 0.95, 0.9])
    model = ScriptedModel()
    gateway = Gateway(settings, chat_model=model, policy=GatewayPolicy(deterministic=True))
    calls: list[tuple[int, int]] = []
    explanations = explain_alerts(
        gateway,
        rows,
        scores,
        max_alerts=3,
        progress=lambda done, total: calls.append((done, total)),
    )
    # Highest first, ties by position: 12 (0.95), 11 (0.9), 13 (0.9); 10 is left out.
    assert [e.row for e in explanations] == [12, 11, 13]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(model.prompts) == 3
    first = explanations[0]
    assert first.text == " Flagged: HK$300.00 from a new device. "  # as the gateway stored it
    assert first.facts == alert_facts(rows.loc[12], 0.95)
    assert first.model == "scripted" and first.completion_tokens == 10
    evaluation = explanation_evaluation(explanations)
    # Only row 12 has a new device: the other two explanations invent one.
    assert evaluation.metrics["faithfulness_rate"] == pytest.approx(1 / 3)
    assert evaluation.metrics["explanations"] == 3
    assert explain_alerts(gateway, rows, scores, max_alerts=0) == []
    with pytest.raises(ValueError, match="one score per row"):
        explain_alerts(gateway, rows, scores[:2], max_alerts=1)


def test_params_cap_alerts_on_cpu_and_lift_the_cap_on_gpu() -> None:
    params = ExplanationParams()
    assert params.max_alerts(on_gpu=False) == 6
    assert params.max_alerts(on_gpu=True) == 200
    assert ExplanationParams(enabled=False).max_alerts(on_gpu=True) == 0
    with pytest.raises(ValidationError, match="max_alert_cpu"):
        ExplanationParams(max_alert_cpu=5)  # type: ignore[call-arg]


# --- evaluation --------------------------------------------------------------------------------


def _explanation(text: str, latency: float, **overrides: object) -> AlertExplanation:
    return AlertExplanation(
        row=5,
        score=0.97,
        facts=alert_facts(_row(**overrides), 0.97),
        text=text,
        model="embedded",
        prompt_tokens=300,
        completion_tokens=40,
        latency_s=latency,
    )


def test_evaluation_adds_cost_and_shows_facts_beside_the_text() -> None:
    explanations = [
        _explanation("An FPS payment of HK$12,345.67 to a new payee's mobile number.", 2.0),
        _explanation("HK$99,000 was sent by card at night from a new device.", 6.0),
    ]
    result = explanation_evaluation(explanations)
    assert result.status == "assessed"
    assert result.metrics["faithfulness_rate"] == 0.5
    assert result.metrics["explanations"] == 2
    assert result.metrics["explanation_seconds_mean"] == pytest.approx(4.0)
    assert result.metrics["explanation_tokens_per_second"] == pytest.approx(80 / 8)
    faithful, unfaithful = result.evidence["rows"]
    assert faithful["unsupported"] == []
    assert unfaithful["unsupported"] == ["HK$99,000", "card", "night", "new device"]
    assert unfaithful["excerpt"] == explanations[1].text
    assert unfaithful["row"] == 5 and unfaithful["score"] == 0.97
    assert unfaithful["facts"]["Amount"] == "HK$12,345.67"
    assert unfaithful["facts"]["Channel"] == "FPS"
    assert result.evidence["models"] == ["embedded"]


def test_evaluation_without_explanations_is_not_assessed() -> None:
    result = explanation_evaluation([])
    assert result.status == "not_assessed"
    assert "max_alerts" in result.reason


# --- end to end with the embedded model --------------------------------------------------------


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sandbox.models.embedded import embedded_status

    usable, reason = embedded_status()
    if not usable:
        pytest.skip(reason)
    return tmp_path_factory.mktemp("alert-explanations-cache")


@pytest.mark.slow
def test_embedded_model_explains_two_alerts_through_the_gateway(
    settings: Settings,
    model_cache: Path,
    transactions: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(model_cache))
    settings = load_settings()
    scores = (
        0.3 * transactions["is_new_payee"]
        + 0.3 * transactions["is_new_device"]
        + 0.2 * transactions["limit_changed_24h"]
        + 0.2 * transactions["payee_alert_flag"]
    ).to_numpy() + np.linspace(0, 0.01, len(transactions))
    gateway = Gateway(settings, policy=GatewayPolicy(deterministic=True))
    try:
        explanations = explain_alerts(
            gateway, transactions, scores, max_alerts=2, max_new_tokens=48
        )
    finally:
        gateway.close()
    assert len(explanations) == 2
    assert all(e.text.strip() and e.completion_tokens > 0 for e in explanations)
    assert explanations[0].score >= explanations[1].score
    result = explanation_evaluation(explanations)
    assert result.status == "assessed"
    assert result.metrics["explanations"] == 2
    assert result.metrics["explanation_seconds_mean"] > 0
    assert [row["row"] for row in result.evidence["rows"]] == [e.row for e in explanations]
    assert all(row["facts"]["Amount"].startswith("HK$") for row in result.evidence["rows"])
    # The audit log links each explanation by its hash and holds neither prompt nor answer.
    entries = [e for e in AuditLog(settings.audit_log_path).entries() if e.action == "model.chat"]
    assert [e.details["response_sha256"] for e in entries] == [
        hashlib.sha256(e.text.encode("utf-8")).hexdigest() for e in explanations
    ]
    log = settings.audit_log_path.read_text(encoding="utf-8")
    assert "Risk signals" not in log
    assert all(e.text.strip() not in log for e in explanations)
