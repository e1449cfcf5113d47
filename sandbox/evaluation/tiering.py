"""Model risk tiering: a high / medium / low tier derived from facts a use case declares.

The tier is never guessed from metrics. A use case states how its model touches customers, how
autonomous its decisions are and how material its use is; the tier and the reasons follow from
those facts by a published rule (SR 11-7 tiering; HKMA-BDAI-GOV), so a reviewer can check it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CustomerImpact = Literal["direct", "indirect", "none"]
Autonomy = Literal["automated", "human_in_the_loop", "advisory"]
Materiality = Literal["high", "medium", "low"]

_IMPACT_POINTS = {"direct": 2, "indirect": 1, "none": 0}
_AUTONOMY_POINTS = {"automated": 2, "human_in_the_loop": 1, "advisory": 0}
_MATERIALITY_POINTS = {"high": 2, "medium": 1, "low": 0}


class Tier(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RiskFacts(BaseModel):
    """What a use case declares about its model's use (the inputs of the tiering rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_impact: CustomerImpact = Field(
        description="direct: decisions reach customers (blocks, declines, replies); indirect: they "
        "inform staff who act on customers; none: internal analysis only"
    )
    autonomy: Autonomy = Field(
        description="automated: acts without a person; human_in_the_loop: a person confirms "
        "each action; advisory: output is one input among others"
    )
    materiality: Materiality = Field(
        description="financial or conduct exposure if the model is wrong at scale"
    )
    generative: bool = Field(default=False, description="produces free text (GenAI circular)")
    customer_facing_text: bool = Field(
        default=False, description="customers read the model's text directly"
    )


class RiskTier(BaseModel):
    """The derived tier and the sentences that justify it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: Tier
    points: int
    facts: RiskFacts
    reasons: list[str]
    rule: str


RULE = (
    "points = customer impact (direct 2, indirect 1, none 0) + autonomy (automated 2, "
    "human in the loop 1, advisory 0) + materiality (high 2, medium 1, low 0); "
    "high when points >= 5, or when decisions reach customers without a person, or when "
    "generated text reaches customers; medium when points >= 3; low otherwise"
)


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def derive_tier(facts: RiskFacts) -> RiskTier:
    """Apply the published tiering rule to declared facts."""
    points = (
        _IMPACT_POINTS[facts.customer_impact]
        + _AUTONOMY_POINTS[facts.autonomy]
        + _MATERIALITY_POINTS[facts.materiality]
    )
    reasons = [
        f"customer impact is {facts.customer_impact} "
        f"({_points(_IMPACT_POINTS[facts.customer_impact])})",
        f"autonomy is {facts.autonomy.replace('_', ' ')} "
        f"({_points(_AUTONOMY_POINTS[facts.autonomy])})",
        f"materiality is {facts.materiality} ({_points(_MATERIALITY_POINTS[facts.materiality])})",
    ]
    tier = Tier.LOW
    if points >= 3:
        tier = Tier.MEDIUM
    if points >= 5:
        tier = Tier.HIGH
    if facts.customer_impact == "direct" and facts.autonomy == "automated":
        tier = Tier.HIGH
        reasons.append("decisions reach customers without a person in the loop")
    if facts.generative and facts.customer_facing_text:
        tier = Tier.HIGH
        reasons.append("generated text reaches customers directly (HKMA GenAI circular, Aug 2024)")
    return RiskTier(tier=tier, points=points, facts=facts, reasons=reasons, rule=RULE)
