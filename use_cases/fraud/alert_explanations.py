"""Investigator-facing explanations of transaction alerts, written by a chat model from the
alert's features only, and scored for faithfulness to those features.

Owns the translation of model features into readable facts (amounts in HK$, counts, hours,
yes/no), the prompt, the capped generation loop over the highest-scored alerts and the phrase
list that lets :func:`sandbox.evaluation.faithfulness.faithfulness` check what the model wrote.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sandbox.evaluation.base import Evaluation
from sandbox.evaluation.faithfulness import faithfulness
from sandbox.models.base import GenerationConfig, Message
from sandbox.models.gateway import Gateway
from use_cases.fraud.transactions_data import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    LIMIT_CHANGE_CAP_HOURS,
)

__all__ = [
    "ALLOWED_NUMBERS",
    "FACT_LABELS",
    "FACT_UNITS",
    "FEATURE_TERMS",
    "SYSTEM_PROMPT",
    "AlertExplanation",
    "ExplanationParams",
    "alert_facts",
    "build_prompt",
    "explain_alerts",
    "explanation_evaluation",
]

SYSTEM_PROMPT = (
    "You help bank fraud investigators. Explain in 2 or 3 short sentences why the transaction "
    "below was flagged. Use only the facts listed. Never invent numbers or facts."
)
"""Short on purpose: SmolLM2-135M repeats itself and drifts on long instructions and lists."""

_CHANNELS = {"FPS": "FPS", "card": "card", "online_transfer": "online transfer", "atm": "ATM"}
_PROXY_TYPES = {
    "mobile": "mobile number",
    "email": "email address",
    "FPS ID": "FPS ID",
    "account": "account number",
}
_MERCHANT_CATEGORIES = {
    "5411": "grocery stores and supermarkets",
    "5812": "restaurants",
    "5814": "fast food and cafes",
    "4111": "local transport",
    "5311": "department stores",
    "5912": "pharmacies",
    "5691": "clothing",
    "5732": "electronics",
    "4722": "travel agencies and airlines",
    "4814": "telecom",
    "5969": "direct marketing and e-commerce",
    "5944": "jewellery and watches",
    "7832": "cinemas",
    "5999": "miscellaneous retail",
}
"""The merchant category codes the simulation uses (``transactions_data._MCC_TABLE``)."""

FACT_LABELS: dict[str, str] = {
    "fraud_score": "Fraud score",
    "amount_hkd": "Amount",
    "channel": "Channel",
    "payee_proxy_type": "Payee proxy type",
    "merchant_category": "Merchant category",
    "hour": "Hour of day",
    "amount_to_usual": "Amount vs the customer's usual amount",
    "amount_to_balance_pct": "Share of balance",
    "account_age_days": "Account age",
    "transactions_last_24h": "Customer's transactions in the last 24 hours",
    "transfers_received_24h": "Transfers received by the customer in the last 24 hours",
    "amount_received_24h_hkd": "Amount received by the customer in the last 24 hours",
    "payee_senders_24h": "Different customers paying this payee in the last 24 hours",
    "payments_to_payee_before": "Customer's earlier payments to this payee",
    "amount_to_previous_payment": "Amount vs the previous payment to this payee",
    "hours_since_limit_change": "Hours since the daily transfer limit was changed",
    "is_new_payee": "first payment to this payee (new payee)",
    "is_new_device": "new device (first used within 72 hours)",
    "payee_alert_flag": "payee flagged by the Suspicious Proxy ID alert",
    "limit_changed_24h": "daily transfer limit changed in the last 24 hours",
    "is_night": "night time (before 6 am)",
    "is_weekend": "weekend",
}
"""Fact name -> label shown to the model, in prompt order (see :func:`alert_facts`). The
yes/no facts are the risk signals: the prompt lists those that are present."""

ALLOWED_NUMBERS: tuple[float, ...] = (6, 24, 72)
"""Numbers in the labels ("last 24 hours", "within 72 hours", "before 6 am") that an explanation
may repeat."""

FACT_UNITS: dict[str, str] = {
    "fraud_score": "fraction",
    "amount_hkd": "currency",
    "amount_received_24h_hkd": "currency",
    "hour": "clock",
    "amount_to_usual": "times",
    "amount_to_previous_payment": "times",
    "amount_to_balance_pct": "percent",
    "account_age_days": "days",
    "hours_since_limit_change": "hours",
}
"""What each numeric fact measures, so that a number written with a unit is checked against facts
of that unit only (the other numeric facts are counts)."""

_HKD = {"amount_hkd", "amount_received_24h_hkd"}
_TIMES = {"amount_to_usual", "amount_to_previous_payment"}
_PERCENT = {"amount_to_balance_pct"}
_NONE_TEXT = {"amount_to_usual": "none (first transaction of the customer)"}

_LIMIT_CHANGE = [
    "limit change",
    "limit changed",
    "limit increase",
    "limit was raised",
    "limit was increased",
    "raised the limit",
    "increased the limit",
    "raised the daily limit",
    "increased the daily limit",
    "raised their daily limit",
    "increased their daily limit",
]
"""Phrases claiming a recent limit change (both limit features support them)."""

FEATURE_TERMS: dict[str, list[str]] = {
    # Features that are on or off.
    "is_new_device": [
        "new device",
        "new phone",
        "new mobile device",
        "unrecognised device",
        "unrecognized device",
        "unfamiliar device",
        "unknown device",
        "different device",
        "device change",
        "changed device",
    ],
    "is_night": [
        "night",
        "night time",
        "nighttime",
        "overnight",
        "midnight",
        "early morning",
        "early hours",
        "unusual hour",
        "unusual hours",
        "odd hour",
        "odd hours",
        "unusual time",
    ],
    "is_weekend": ["weekend", "Saturday", "Sunday"],
    "is_new_payee": [
        "new payee",
        "new recipient",
        "new beneficiary",
        "first-time payee",
        "first payment to",
        "first transfer to",
        "never paid",
        "unfamiliar payee",
        "unknown payee",
    ],
    "payee_alert_flag": [
        "Suspicious Proxy ID",
        "suspicious proxy",
        "Scameter",
        "scam alert",
        "scam warning",
        "fraud warning",
        "flagged payee",
        "payee was flagged",
        "payee is flagged",
        "payee has been flagged",
    ],
    "limit_changed_24h": _LIMIT_CHANGE,
    "hours_since_limit_change": _LIMIT_CHANGE,
    # Features whose count or ratio must be large enough for the words to be true.
    "transfers_received_24h": [
        "incoming transfers",
        "incoming transfer",
        "incoming payments",
        "inbound transfers",
        "inbound payments",
        "received transfers",
        "received funds",
        "funds received",
        "money received",
        "inflow",
        "inflows",
        "fan-in",
    ],
    "payee_senders_24h>1": [
        "multiple senders",
        "many senders",
        "several senders",
        "different senders",
        "multiple customers",
        "many customers",
        "several customers",
        "fan-in",
    ],
    "transactions_last_24h>1": [
        "rapid succession",
        "quick succession",
        "burst",
        "several transactions",
        "multiple transactions",
        "many transactions",
    ],
    "amount_to_usual>1": [
        "larger than usual",
        "higher than usual",
        "unusually large",
        "unusually high",
        "above the customer's usual",
        "more than the customer's usual",
    ],
    "amount_to_previous_payment>1": [
        "escalating",
        "increasing amounts",
        "larger than the previous payment",
        "higher than the previous payment",
    ],
    "amount_to_balance_pct>50": [
        "most of the balance",
        "majority of the balance",
        "drain",
        "drained",
        "draining",
        "emptied",
    ],
    "payments_to_payee_before": [
        "known payee",
        "existing payee",
        "regular payee",
        "paid this payee before",
        "usual payee",
    ],
    "account_age_days<180": [
        "new account",
        "newly opened",
        "recently opened",
        "young account",
    ],
    # Categorical values: the words must name the value the facts hold.
    "channel=FPS": ["FPS", "Faster Payment System", "Faster Payment"],
    "channel=card": ["card", "card payment", "credit card", "debit card", "card purchase"],
    "channel=online transfer": ["online transfer", "online banking transfer", "internet banking"],
    "channel=ATM": ["ATM", "cash withdrawal"],
    "payee_proxy_type=mobile number": ["mobile number", "phone number", "mobile phone number"],
    "payee_proxy_type=email address": ["email address", "e-mail address"],
    "payee_proxy_type=FPS ID": ["FPS ID", "FPS identifier"],
    "payee_proxy_type=account number": ["account number"],
    "merchant_category=grocery stores and supermarkets": [
        "grocery",
        "grocery store",
        "grocery stores",
        "supermarket",
        "supermarkets",
    ],
    "merchant_category=restaurants": ["restaurant", "restaurants"],
    "merchant_category=fast food and cafes": ["fast food", "cafe", "cafes"],
    "merchant_category=local transport": ["local transport", "public transport"],
    "merchant_category=department stores": ["department store", "department stores"],
    "merchant_category=pharmacies": ["pharmacy", "pharmacies", "drug store", "drugstore"],
    "merchant_category=clothing": ["clothing", "clothes", "apparel"],
    "merchant_category=electronics": ["electronics", "electronic goods"],
    "merchant_category=travel agencies and airlines": [
        "travel agency",
        "travel agencies",
        "airline",
        "airlines",
    ],
    "merchant_category=telecom": ["telecom", "telecoms", "telecommunications"],
    "merchant_category=direct marketing and e-commerce": [
        "direct marketing",
        "e-commerce",
        "online shopping",
        "online merchant",
    ],
    "merchant_category=jewellery and watches": ["jewellery", "jewelry", "jeweller", "jeweler"],
    "merchant_category=cinemas": ["cinema", "cinemas", "movie theatre"],
    "merchant_category=miscellaneous retail": ["miscellaneous retail"],
}
"""Phrases an explanation may use for each fact, for :func:`faithfulness` (``name`` = the fact
is yes / non-zero; ``name>n`` a threshold; ``name=value`` a categorical value)."""


class ExplanationParams(BaseModel):
    """How many alerts get a generated explanation: a stated time budget on CPU, more on a GPU.

    At ~7 s per explanation for the embedded SmolLM2-135M on two CPU cores, the CPU default of 6
    alerts keeps the step near 45 s (plus ~30 s for the first model load).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    model: str | None = Field(None, description="Catalogue model; None is the default model")
    max_alerts_cpu: int = Field(6, ge=0, le=1000, description="Alerts explained on CPU")
    max_alerts_gpu: int = Field(200, ge=0, le=100_000, description="Alerts explained on a GPU")
    max_new_tokens: int = Field(96, ge=16, le=1024)

    def max_alerts(self, on_gpu: bool) -> int:
        """The cap for this run (0 when explanations are disabled)."""
        if not self.enabled:
            return 0
        return self.max_alerts_gpu if on_gpu else self.max_alerts_cpu


@dataclass(frozen=True)
class AlertExplanation:
    """One generated alert explanation with its cost.

    Attributes:
        row: Index label of the alert in the frame passed to :func:`explain_alerts`.
        score: The fraud model's score of the alert.
        facts: What the model was told (:func:`alert_facts`), by fact name.
        text: The explanation as the gateway stored it (pseudonymised ``model_text``).
        model: Catalogue name of the model that wrote it.
        prompt_tokens: Tokens of the prompt.
        completion_tokens: Tokens generated.
        latency_s: Seconds the model took.
    """

    row: int | str
    score: float
    facts: dict[str, Any]
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


def _count(log1p_value: float) -> int:
    return int(round(math.expm1(log1p_value)))


def _hkd(log1p_value: float) -> float:
    return round(math.expm1(log1p_value), 2)


def alert_facts(features: Mapping[str, Any], score: float) -> dict[str, Any]:
    """What the model is told about an alert: the score and the telling features, readable.

    Only :data:`~use_cases.fraud.transactions_data.FEATURE_COLUMNS`,
    :data:`~use_cases.fraud.transactions_data.CATEGORICAL_COLUMNS` and the score are read;
    any other column (identifiers, age band, sex, district) is ignored. Log-scaled amounts and
    counts become HK$ and counts, ratios times or percentages, flags booleans. The facts are
    short on purpose (a small model drifts on long lists): always the score, amount, channel,
    payee proxy type or merchant category, hour, amount against the customer's usual amount and
    the balance, account age and the day's transaction count, and the six yes/no risk signals;
    inbound transfers, payee fan-in, the previous payment to the payee and the hours since a
    limit change only when there is something to say (received > 0, more than one sender, a
    repeat payee, a change in the last 30 days).

    Args:
        features: One transaction's features (a row of ``build_features`` output).
        score: The fraud model's score of the transaction.

    Returns:
        ``{fact name: value}`` in the order of :data:`FACT_LABELS` (None: nothing to compare).

    Raises:
        ValueError: If a model feature is missing.
    """
    missing = [c for c in (*FEATURE_COLUMNS, *CATEGORICAL_COLUMNS) if c not in features]
    if missing:
        raise ValueError(f"features lack model input(s) {missing}; pass a build_features row")
    f = {c: float(features[c]) for c in FEATURE_COLUMNS}
    channel, proxy, mcc = (str(features[c]) for c in CATEGORICAL_COLUMNS)
    previous = _count(f["cust_prior_txn_count"])
    repeat_payee = channel != "atm" and not f["is_new_payee"]
    facts: dict[str, Any] = {
        "fraud_score": float(f"{score:.3g}"),
        "amount_hkd": _hkd(f["log_amount"]),
        "channel": _CHANNELS.get(channel, channel),
        "hour": int(f["hour"]),
        "amount_to_usual": round(f["amount_to_cust_median"], 2) if previous else None,
        "amount_to_balance_pct": round(100 * f["amount_to_balance"], 1),
        "account_age_days": _count(f["log_account_age_days"]),
        "transactions_last_24h": int(f["cust_txn_count_24h"]),
        "is_new_payee": bool(f["is_new_payee"]),
        "is_new_device": bool(f["is_new_device"]),
        "payee_alert_flag": bool(f["payee_alert_flag"]),
        "limit_changed_24h": bool(f["limit_changed_24h"]),
        "is_night": bool(f["is_night"]),
        "is_weekend": bool(f["is_weekend"]),
    }
    if proxy:
        facts["payee_proxy_type"] = _PROXY_TYPES.get(proxy, proxy)
    if mcc:
        facts["merchant_category"] = _MERCHANT_CATEGORIES.get(mcc, f"code {mcc}")
    if f["cust_inbound_count_24h"] > 0:
        facts["transfers_received_24h"] = int(f["cust_inbound_count_24h"])
        facts["amount_received_24h_hkd"] = _hkd(f["cust_inbound_sum_24h"])
    if f["payee_distinct_senders_24h"] > 1:
        facts["payee_senders_24h"] = int(f["payee_distinct_senders_24h"])
    if repeat_payee:
        facts["payments_to_payee_before"] = _count(f["cust_payee_prior_count"])
        facts["amount_to_previous_payment"] = round(f["amount_to_prev_same_payee"], 2)
    if f["limit_change_hours_ago"] < LIMIT_CHANGE_CAP_HOURS:
        facts["hours_since_limit_change"] = round(f["limit_change_hours_ago"], 1)
    return {name: facts[name] for name in FACT_LABELS if name in facts}


def _render(name: str, value: Any) -> str:
    if value is None:
        return _NONE_TEXT.get(name, "none")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in _HKD:
        return f"HK${value:,.2f}"
    if name in _TIMES:
        return f"{value:.2f} times"
    if name in _PERCENT:
        return f"{value:.1f}%"
    if name == "account_age_days":
        return f"{value:,} days"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def build_prompt(features: Mapping[str, Any], score: float) -> list[Message]:
    """Chat messages asking for a 2-3 sentence alert explanation from the alert's facts only.

    The system turn states the task and forbids facts that are not listed; the user turn lists
    :func:`alert_facts` as ``label: value`` lines with units, then the yes/no facts that are yes
    as one ``Risk signals:`` line ("none" when there is none). No identifier or customer
    attribute reaches the prompt (only model features and the score are read).

    Args:
        features: One transaction's features (a row of ``build_features`` output).
        score: The fraud model's score of the transaction.

    Returns:
        ``[{"role": "system", ...}, {"role": "user", ...}]``.
    """
    facts = alert_facts(features, score)
    lines = [
        f"{FACT_LABELS[name]}: {_render(name, value)}"
        for name, value in facts.items()
        if not isinstance(value, bool)
    ]
    signals = [FACT_LABELS[name] for name, value in facts.items() if value is True]
    lines.append("Risk signals: " + ("; ".join(signals) if signals else "none"))
    user = "\n".join(lines) + "\n\nWhy was this transaction flagged?"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _label(value: Any) -> int | str:
    return int(value) if isinstance(value, int | np.integer) else str(value)


def explain_alerts(
    gateway: Gateway,
    rows: pd.DataFrame,
    scores: Sequence[float] | np.ndarray,
    *,
    max_alerts: int,
    max_new_tokens: int = 96,
    progress: Callable[[int, int], None] | None = None,
) -> list[AlertExplanation]:
    """Explain the ``max_alerts`` highest-scored rows, one gateway call each (greedy if the
    gateway's policy is deterministic).

    The alerts are the rows with the highest scores, ties broken by position, so the selection
    is deterministic; pass only the alerted rows (e.g. the daily review queue) to explain alerts
    and nothing else. Every call goes through the gateway (pseudonymisation, quotas, audit).

    Args:
        gateway: The model gateway.
        rows: Features of the candidate alerts (``build_features`` columns; other columns are
            ignored).
        scores: The fraud model's score of each row, aligned with ``rows``.
        max_alerts: How many alerts to explain (the time budget: ~7 s each on CPU for the
            embedded model).
        max_new_tokens: Length limit of each explanation.
        progress: Called as ``progress(done, total)`` after each explanation.

    Returns:
        One :class:`AlertExplanation` per explained alert, highest score first.

    Raises:
        ValueError: If ``scores`` and ``rows`` differ in length or ``max_alerts`` < 0.
    """
    values = np.asarray(scores, dtype=float)
    if values.shape != (len(rows),):
        raise ValueError(f"{values.size} scores for {len(rows)} rows; pass one score per row")
    if max_alerts < 0:
        raise ValueError(f"max_alerts must be >= 0, got {max_alerts}")
    order = np.argsort(-values, kind="stable")[:max_alerts]
    config = GenerationConfig(max_new_tokens=max_new_tokens)
    explanations: list[AlertExplanation] = []
    for done, position in enumerate(order, start=1):
        features = rows.iloc[int(position)]
        score = float(values[position])
        reply = gateway.chat(build_prompt(features, score), config)
        explanations.append(
            AlertExplanation(
                row=_label(rows.index[int(position)]),
                score=score,
                facts=alert_facts(features, score),
                text=reply.model_text,
                model=reply.model,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                latency_s=reply.latency_s,
            )
        )
        if progress is not None:
            progress(done, len(order))
    return explanations


def explanation_evaluation(explanations: Sequence[AlertExplanation]) -> Evaluation:
    """Faithfulness of alert explanations to their facts, with their cost.

    Runs :func:`~sandbox.evaluation.faithfulness.faithfulness` with :data:`FEATURE_TERMS`,
    :data:`ALLOWED_NUMBERS` and :data:`FACT_UNITS`, and adds the metrics ``explanations`` (count),
    ``explanation_seconds_mean`` and ``explanation_tokens_per_second`` (generated tokens per
    second of model time). Each evidence row also holds the alert's ``row``, ``score`` and
    ``facts``, so a report can show explanations beside what the model was told.

    Args:
        explanations: Output of :func:`explain_alerts`.

    Returns:
        The ``explanation_faithfulness`` evaluation; ``not_assessed`` when nothing was explained.
    """
    result = faithfulness(
        [e.text for e in explanations],
        [e.facts for e in explanations],
        feature_terms=FEATURE_TERMS,
        allowed_numbers=ALLOWED_NUMBERS,
        fact_units=FACT_UNITS,
    )
    title = "Faithfulness of alert explanations to the transaction's features"
    if result.status != "assessed":
        return result.model_copy(
            update={"title": title, "reason": "no alert was explained (max_alerts is 0)"}
        )
    seconds = sum(e.latency_s for e in explanations)
    tokens = sum(e.completion_tokens for e in explanations)
    rows = [
        {
            **row,
            "row": explanations[row["index"]].row,
            "score": round(explanations[row["index"]].score, 4),
            "facts": {
                FACT_LABELS[name]: _render(name, value)
                for name, value in explanations[row["index"]].facts.items()
            },
        }
        for row in result.evidence["rows"]
    ]
    models = sorted({e.model for e in explanations})
    return result.model_copy(
        update={
            "title": title,
            "metrics": {
                **result.metrics,
                "explanations": float(len(explanations)),
                "explanation_seconds_mean": seconds / len(explanations),
                "explanation_tokens_per_second": tokens / seconds if seconds > 0 else math.nan,
            },
            "evidence": {**result.evidence, "rows": rows, "models": models},
            "notes": [
                f"The {len(explanations)} highest-scored alerts were explained by the catalogue "
                f"model(s) {', '.join(models)} from the fraud model's input features only (no "
                "identifiers or customer attributes), one greedy call each through the gateway; "
                "texts are stored pseudonymised.",
                *result.notes,
            ],
        }
    )
