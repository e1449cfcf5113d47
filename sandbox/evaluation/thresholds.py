"""Thresholds as data: a metric, a limit, a direction, a severity and the expectation it evidences.

Every failing threshold becomes a finding; evaluation lists every failure, never just the first.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.errors import ConfigError

Direction = Literal[">=", "<="]


class Severity(StrEnum):
    """How serious a breach is; ``high`` blocks approval, ``medium`` needs a justification."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Threshold(BaseModel):
    """One limit on one metric, citing the regulatory expectation it evidences."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    limit: float
    direction: Direction
    severity: Severity
    evidences: str = Field(description="Id from REGULATORY.md, e.g. HKMA-AI-5")
    roles: tuple[str, ...] = Field(
        default=(), description="Model roles this applies to; empty means every model"
    )
    rationale: str = ""

    def applies_to(self, role: str) -> bool:
        return not self.roles or role in self.roles

    def check(self, value: float | None) -> Verdict:
        """Compare ``value`` with the limit; a missing or NaN value fails."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            passed = False
        elif self.direction == ">=":
            passed = value >= self.limit
        else:
            passed = value <= self.limit
        return Verdict(threshold=self, value=value, passed=passed)


class Verdict(BaseModel):
    """The outcome of one threshold on one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: Threshold
    value: float | None
    passed: bool

    @property
    def message(self) -> str:
        t = self.threshold
        shown = "missing" if self.value is None else f"{self.value:.4g}"
        word = "meets" if self.passed else "breaches"
        return (
            f"{t.metric} = {shown} {word} the limit {t.direction} {t.limit:g} "
            f"({t.severity.value}, {t.evidences})"
        )


class Finding(BaseModel):
    """A failed threshold on a named model: what the report's findings section lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    role: str
    metric: str
    value: float | None
    limit: float
    direction: Direction
    severity: Severity
    evidences: str
    message: str


def evaluate_thresholds(
    thresholds: list[Threshold], metrics: dict[str, float], role: str
) -> list[Verdict]:
    """Verdicts for every threshold that applies to a model of ``role``."""
    return [t.check(metrics.get(t.metric)) for t in thresholds if t.applies_to(role)]


def findings_from(verdicts: list[Verdict], model: str, role: str) -> list[Finding]:
    """One finding per failed verdict."""
    return [
        Finding(
            model=model,
            role=role,
            metric=v.threshold.metric,
            value=v.value,
            limit=v.threshold.limit,
            direction=v.threshold.direction,
            severity=v.threshold.severity,
            evidences=v.threshold.evidences,
            message=v.message,
        )
        for v in verdicts
        if not v.passed
    ]


class _ThresholdFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thresholds: list[Threshold]


def load_thresholds(path: Path) -> list[Threshold]:
    """Read a YAML file with a top-level ``thresholds:`` list."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return _ThresholdFile.model_validate(raw).thresholds
    except FileNotFoundError:
        raise ConfigError(f"threshold file not found: {path}") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"invalid threshold file {path}: {exc}") from None
