import json
import math

import pytest

from sandbox.evaluation.faithfulness import Claim, check_claims, faithfulness

FACTS = {
    "amount_hkd": 12_345.67,
    "hour": 2,
    "amount_to_balance_pct": 51.8,
    "fraud_score": 0.873,
    "transactions_24h": 3,
    "channel": "FPS",
    "payee_proxy_type": "mobile number",
    "is_new_payee": True,
    "is_new_device": False,
    "is_night": True,
    "limit_hours_ago": None,
}
TERMS = {
    "is_new_device": ["new device", "unrecognised device"],
    "is_new_payee": ["new payee"],
    "is_night": ["night", "early hours"],
    "limit_hours_ago": ["limit change"],
    "transactions_24h>2": ["several transactions"],
    "channel=FPS": ["FPS"],
    "channel=card": ["card"],
    "payee_proxy_type=mobile number": ["mobile number"],
    "payee_proxy_type=FPS ID": ["FPS ID"],
}


def claims(text: str, **facts: object) -> list[tuple[str, str, bool]]:
    found = check_claims(text, {**FACTS, **facts}, feature_terms=TERMS, allowed_numbers=(24,))
    return [(c.text, c.kind, c.supported) for c in found]


def unsupported(text: str, **facts: object) -> list[str]:
    return [text for text, _, supported in claims(text, **facts) if not supported]


# --- claims ------------------------------------------------------------------------------------


def test_faithful_explanation_has_every_claim_supported() -> None:
    text = (
        "An FPS transfer of HK$12,345.67 to a new payee's mobile number at 2:15 am, "
        "52% of the balance, with a fraud score of 0.873."
    )
    assert claims(text) == [
        ("FPS", "category", True),
        ("HK$12,345.67", "number", True),
        ("new payee", "concept", True),
        ("mobile number", "category", True),
        ("2:15 am", "number", True),
        ("52%", "number", True),
        ("0.873", "number", True),
    ]


def test_made_up_amount_is_unsupported() -> None:
    assert unsupported("The customer sent HK$45,000 to a new payee.") == ["HK$45,000"]


def test_made_up_concept_is_unsupported() -> None:
    # is_new_device is False: the device claim is invented even though the rest is true.
    assert unsupported("The customer's new device was used at night.") == ["new device"]
    # A fact the explanation was not given supports nothing.
    assert unsupported("There was a limit change.", limit_hours_ago=None) == ["limit change"]
    assert unsupported("There was a limit change.", limit_hours_ago=3.5) == []


def test_negated_concept_must_be_inactive() -> None:
    assert unsupported("No new device was used.") == []
    assert unsupported("The payee is not a new payee.") == ["not new payee"]


def test_category_words_must_equal_the_categorical_value() -> None:
    assert unsupported("A card payment.") == ["card"]
    # The longer phrase wins: "FPS ID" names the proxy type, not the FPS channel.
    assert unsupported("Paid to an FPS ID.") == ["FPS ID"]


def test_threshold_concepts_compare_the_fact() -> None:
    assert unsupported("Several transactions today.") == []
    assert unsupported("Several transactions today.", transactions_24h=2) == [
        "Several transactions"
    ]


@pytest.mark.parametrize(
    ("written", "supported"),
    [
        ("HK$12,345.67", True),
        ("HK$12,346", True),  # within 1%
        ("HK$12,300", True),  # within 1%
        ("HK$12,000", True),  # rounded to thousands: 11,500-12,500
        ("HK$12k", True),
        ("12.3k", True),  # 12,250-12,350
        ("HKD 12,345.67", True),
        ("HK$13,000", False),
        ("HK$10,000", False),  # trailing zeros round to two significant digits at most
        ("12.5k", False),  # 12,450-12,550 and more than 1% off
        ("HK$123,456", False),
    ],
)
def test_numbers_match_at_the_precision_written(written: str, supported: bool) -> None:
    assert claims(f"The amount was {written}.") == [(written, "number", supported)]


@pytest.mark.parametrize(
    ("written", "supported"),
    [
        ("52%", True),  # 51.8 as a percentage
        ("51.8 percent", True),
        ("87%", True),  # the 0.873 score as a percentage
        ("0.87", True),
        ("0.9", True),
        ("0.8", False),
        ("60%", False),
        ("3 transactions", True),
        ("three transactions", True),
        ("five transactions", False),
        ("2 am", True),  # the hour
        ("2:40 a.m.", True),
        ("11 pm", False),
        ("the last 24 hours", True),  # allowed: a window named in the labels
        ("3 May 2026", False),  # 3 is a fact, 2026 is not
    ],
)
def test_percentages_words_and_times(written: str, supported: bool) -> None:
    assert all(s for _, _, s in claims(written)) is supported


UNITS = {
    "amount_hkd": "currency",
    "amount_to_balance_pct": "percent",
    "fraud_score": "fraction",
    "hour": "clock",
    "amount_to_usual": "times",
    "account_age_days": "days",
}


@pytest.mark.parametrize(
    ("written", "typed", "untyped"),
    [
        ("$416.22", False, True),  # the ratio stated as money
        ("416.22 times the usual amount", True, True),
        ("HK$12,345.67", True, True),
        ("87%", True, True),  # the score as a percentage
        ("52%", True, True),
        ("a 3-day delay", False, True),  # 3 is a count, not days
        ("1,489 days", True, True),
        ("at 2 am", True, True),
        ("2 hours later", False, True),  # 2 is the hour of day, not a duration
        ("3 transactions", True, True),
        ("24 hours", True, True),  # allowed
        ("12345.67 dollars", True, True),
        ("HK$416", False, True),  # within 1% of the ratio, but not an amount
    ],
)
def test_fact_units_tie_numbers_to_facts_of_their_dimension(
    written: str, typed: bool, untyped: bool
) -> None:
    facts = {**FACTS, "amount_to_usual": 416.22, "account_age_days": 1489}

    def supported(units: dict[str, str] | None) -> bool:
        found = check_claims(written, facts, allowed_numbers=(24,), fact_units=units)
        return all(claim.supported for claim in found)

    assert supported(UNITS) is typed
    assert supported(None) is untyped


def test_number_claims_keep_their_unit_words() -> None:
    found = check_claims("A 3-day delay, 2 times the usual, 4 hours.", FACTS, fact_units=UNITS)
    assert [claim.text for claim in found] == ["3-day", "2 times", "4 hours"]


def test_unknown_dimension_is_an_error() -> None:
    with pytest.raises(ValueError, match="not dimensions"):
        faithfulness(["x"], [FACTS], fact_units={"amount_hkd": "money"})


def test_chinese_numerals_are_checked() -> None:
    assert unsupported("港幣一萬二千三百元，凌晨2時，1.2萬元。") == []
    assert unsupported("轉賬港幣五萬元。") == ["五萬元"]
    # A lone 一 ("a", "one of") is not a figure; 十分 means "very".
    assert claims("這是一個十分可疑的交易。") == []


def test_list_markers_are_not_claims_and_pseudonyms_are_identifiers() -> None:
    text = "1. FPS transfer to <PERSON_17>.\n2. Made at night."
    assert claims(text) == [
        ("FPS", "category", True),
        ("<PERSON_17>", "identifier", False),  # personal data the model wrote, not a fact
        ("night", "concept", True),
    ]
    assert unsupported(text, payee="<PERSON_17>") == []


def test_repeated_claims_count_once() -> None:
    text = "HK$12,345.67 was sent. The HK$12,345.67 transfer went to a new payee, a new payee."
    assert [c for c, _, _ in claims(text)] == ["HK$12,345.67", "new payee"]


def test_malformed_feature_terms_are_errors() -> None:
    with pytest.raises(ValueError, match="not a number"):
        check_claims("x", {}, feature_terms={"amount>big": ["large"]})
    with pytest.raises(ValueError, match="list of phrases"):
        check_claims("x", {}, feature_terms={"is_night": "night"})  # type: ignore[dict-item]


def test_numbers_only_without_feature_terms() -> None:
    assert check_claims("A new device sent HK$99.", {"amount": 99.0}) == [
        Claim("HK$99", "number", True)
    ]


# --- evaluation --------------------------------------------------------------------------------


def test_faithfulness_metrics_match_hand_count() -> None:
    explanations = [
        "An FPS transfer of HK$12,345.67 to a new payee at night.",  # 4 claims, faithful
        "The customer sent HK$45,000 from a new device.",  # 2 claims, 2 unsupported
        "This transaction looks suspicious and should be reviewed.",  # no claim: vague
        "Paid HK$12,000 by card.",  # 2 claims, card unsupported
    ]
    result = faithfulness(explanations, [FACTS] * 4, feature_terms=TERMS)
    assert result.status == "assessed"
    assert result.scorer == "explanation_faithfulness"
    assert result.evidences == ["HKMA-AI-3", "HKMA-GENAI-ACCURACY"]
    assert result.metrics["faithfulness_rate"] == pytest.approx(2 / 4)
    assert result.metrics["unsupported_claims_per_explanation"] == pytest.approx(3 / 4)
    assert result.metrics["claims_per_explanation"] == pytest.approx(8 / 4)
    # Numbers: 12,345.67 yes, 45,000 no, 12,000 yes.
    assert result.metrics["numbers_supported_rate"] == pytest.approx(2 / 3)
    assert result.metrics["empty_or_vague_rate"] == pytest.approx(1 / 4)
    assert result.evidence["empty_or_vague"] == 1
    assert result.evidence["unsupported_by_kind"] == {
        "number": 1,
        "concept": 1,
        "category": 1,
        "identifier": 0,
    }
    rows = {row["index"]: row for row in result.evidence["rows"]}
    assert rows[1]["unsupported"] == ["HK$45,000", "new device"]
    assert rows[1]["supported"] == 0
    assert rows[0] == {
        "index": 0,
        "excerpt": explanations[0],
        "claims": ["FPS", "HK$12,345.67", "new payee", "night"],
        "unsupported": [],
        "supported": 4,
    }
    json.dumps(result.evidence)  # report-ready


def test_evidence_lists_unfaithful_explanations_first_up_to_ten() -> None:
    explanations = ["HK$12,345.67 to a new payee."] * 12 + ["HK$1 by card."]
    result = faithfulness(explanations, [FACTS] * 13, feature_terms=TERMS)
    indices = [row["index"] for row in result.evidence["rows"]]
    assert len(indices) == 10
    assert 12 in indices and indices == sorted(indices)


def test_no_numbers_gives_nan_number_rate() -> None:
    result = faithfulness(["Made at night."], [FACTS], feature_terms=TERMS)
    assert math.isnan(result.metrics["numbers_supported_rate"])
    assert "numbers_supported_rate" not in result.finite_metrics()


def test_nothing_to_check_is_not_assessed_and_lengths_must_match() -> None:
    result = faithfulness([], [])
    assert result.status == "not_assessed" and result.reason
    with pytest.raises(ValueError, match="differ in length"):
        faithfulness(["a"], [])
