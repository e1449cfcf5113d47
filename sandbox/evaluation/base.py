"""The scorer contract: every evaluation returns an :class:`Evaluation` with typed values.

A scorer is a small function that measures one aspect of a model (calibration, fairness, drift,
...) and returns an ``Evaluation``: headline metrics (flat ``name -> float``, logged to MLflow and
checked by thresholds), optional per-slice breakdowns, confidence intervals, tables and curves
for reports (``evidence``), and the regulatory expectation it evidences. A scorer that cannot
assess something says so (``status="not_assessed"`` with a reason) instead of returning nothing.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Status = Literal["assessed", "not_assessed"]


class ReportSection(IntEnum):
    """The review-report section an evaluation is evidence for (numbers are the report's own).

    Scorers declare their section when they register (``sandbox.evaluation.registry``); the report
    groups the evaluations of a RunRecord by this field alone, without knowing any scorer.
    """

    DATA = 3
    OUTCOMES = 6
    CALIBRATION_STABILITY = 7
    ROBUSTNESS = 8
    FAIRNESS = 9
    EXPLAINABILITY_DISCLOSURE = 10
    GENAI = 11
    HUMAN_IN_THE_LOOP = 12


class Interval(BaseModel):
    """A confidence interval around a point estimate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float
    level: float = 0.95
    method: str = "bootstrap percentile"


class Evaluation(BaseModel):
    """What one scorer found about one model.

    Attributes:
        scorer: Scorer name, e.g. ``calibration``; also the report section key.
        title: One line for reports.
        evidences: Regulatory ids (REGULATORY.md) this evaluation speaks to.
        status: ``assessed`` or ``not_assessed`` (then ``reason`` says why).
        metrics: Flat headline values; keys are prefixed by the runner when logged
            (``<scorer>.<key>`` is not added: keys must already be unique and descriptive).
        intervals: Confidence intervals for some of ``metrics`` (same keys).
        slices: ``{slice column: {slice value: {metric: value}}}``.
        evidence: JSON-serialisable tables and curves for figures (lists, dicts, numbers, str).
        notes: Sentences a reviewer should read (method, caveats).
        section: The report section this evaluation evidences (set by the scorer registry);
            ``None`` for evaluations made outside a registered scorer.
    """

    model_config = ConfigDict(extra="forbid")

    scorer: str
    title: str
    evidences: list[str] = Field(default_factory=list)
    status: Status = "assessed"
    reason: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    intervals: dict[str, Interval] = Field(default_factory=dict)
    slices: dict[str, dict[str, dict[str, float]]] = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    section: ReportSection | None = None

    @field_validator("metrics")
    @classmethod
    def _finite_or_nan(cls, value: dict[str, float]) -> dict[str, float]:
        return {k: float(v) for k, v in value.items()}

    @classmethod
    def not_assessed(
        cls,
        scorer: str,
        title: str,
        reason: str,
        evidences: list[str] | None = None,
        *,
        notes: list[str] | None = None,
        slices: dict[str, dict[str, dict[str, float]]] | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> Evaluation:
        """An explicit 'not assessed: reason' result (never silently omitted).

        ``notes``, ``slices`` and ``evidence`` keep what was learnt on the way (e.g. per-group
        counts when no attribute had two groups large enough to compare).
        """
        return cls(
            scorer=scorer,
            title=title,
            evidences=list(evidences or []),
            status="not_assessed",
            reason=reason,
            notes=notes or [],
            slices=slices or {},
            evidence=evidence or {},
        )

    def finite_metrics(self) -> dict[str, float]:
        """Metrics that MLflow can log (NaN and infinities dropped)."""
        return {k: v for k, v in self.metrics.items() if math.isfinite(v)}
