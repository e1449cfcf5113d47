"""The risk tier follows from declared facts by the published rule."""

from __future__ import annotations

import pytest

from sandbox.evaluation.tiering import RiskFacts, Tier, derive_tier


@pytest.mark.parametrize(
    ("impact", "autonomy", "materiality", "expected", "points"),
    [
        ("none", "advisory", "low", Tier.LOW, 0),
        ("indirect", "advisory", "medium", Tier.LOW, 2),
        ("indirect", "human_in_the_loop", "medium", Tier.MEDIUM, 3),
        ("indirect", "human_in_the_loop", "high", Tier.MEDIUM, 4),
        ("direct", "human_in_the_loop", "high", Tier.HIGH, 5),
        # decisions reach customers with no person in the loop: high whatever the materiality
        ("direct", "automated", "low", Tier.HIGH, 4),
    ],
)
def test_tier_from_points_and_overrides(impact, autonomy, materiality, expected, points) -> None:
    tier = derive_tier(
        RiskFacts(customer_impact=impact, autonomy=autonomy, materiality=materiality)
    )
    assert tier.tier == expected
    assert tier.points == points
    assert len(tier.reasons) >= 3


def test_generated_text_read_by_customers_is_high_risk() -> None:
    facts = RiskFacts(
        customer_impact="indirect",
        autonomy="advisory",
        materiality="low",
        generative=True,
        customer_facing_text=True,
    )
    tier = derive_tier(facts)
    assert tier.tier == Tier.HIGH
    assert any("GenAI circular" in reason for reason in tier.reasons)


def test_unknown_fact_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="customer_impact"):
        RiskFacts(customer_impact="some", autonomy="advisory", materiality="low")
