"""Reason codes any credit model can give a declined applicant, and the test that they agree.

A reason is an input whose value costs the applicant score points: among the values applicants
of the development population really have (the reference values), some other value of that input
would raise the applicant's score, all else equal. The reasons of an applicant are the inputs
with the largest such gain, each with the value that earns it. The method asks the model itself
(it changes one input at a time and scores again), so it works for the scorecard and for a
gradient-boosted challenger alike, and for the scorecard it gives the points-table shortfall.

:func:`reason_agreement` is the check that reasons agree with the model: moving an applicant's top
reason to its better value must raise the applicant's score under that model. Reasons computed
from one model and checked against another (for instance a model whose inputs were shuffled) fail
it; that is what makes the check worth running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from use_cases.risk.scorecard import points_from_pd

PredictBad = Callable[[pd.DataFrame], np.ndarray]
"""Probability of default ("bad") of each row of a frame of model inputs."""

MIN_GAIN_POINTS = 0.5
"""A gain below half a point is not worth telling an applicant."""


@dataclass(frozen=True)
class ReasonCode:
    """One reason an applicant could be given."""

    feature: str
    value: object
    """The applicant's value."""
    better: object
    """The reference value of this input that raises the applicant's score most."""
    points: float
    """Score points the applicant gains by moving this input to ``better``, all else equal."""


def reference_values(
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    *,
    quantiles: int = 9,
    min_share: float = 0.02,
    unreachable: tuple[str, ...] = ("missing", "other", "ignore"),
) -> dict[str, list[object]]:
    """The values each input may be moved to: quantiles of numbers, common categories.

    Args:
        frame: The development (training) population.
        numeric: Numeric inputs: the 5% to 95% quantiles (``quantiles`` of them, deduplicated).
        categorical: Categorical inputs: categories held by at least ``min_share`` of rows.
        unreachable: Category labels no applicant can be advised to have.
    """
    values: dict[str, list[object]] = {}
    levels = np.linspace(0.05, 0.95, quantiles)
    for feature in numeric:
        present = frame[feature].dropna().astype(float)
        found = np.quantile(present, levels)
        if pd.api.types.is_integer_dtype(frame[feature]):  # a value applicants can really have
            values[feature] = sorted({int(round(v)) for v in found})
        else:
            values[feature] = sorted({float(v) for v in found})
    for feature in categorical:
        share = frame[feature].astype(str).value_counts(normalize=True)
        values[feature] = [v for v in share.index if share[v] >= min_share and v not in unreachable]
    return values


def reason_codes(
    predict_bad: PredictBad,
    X: pd.DataFrame,
    references: dict[str, list[object]],
    *,
    top: int = 4,
) -> list[list[ReasonCode]]:
    """The ``top`` reasons of each applicant in ``X``, largest points gain first.

    Every input in ``references`` is tried at each of its reference values with the applicant's
    other inputs unchanged; inputs whose best value gains less than ``MIN_GAIN_POINTS`` are no
    reason. Costs one model call per input on ``len(X) * values`` rows.
    """
    if X.empty:
        return []
    X = X.reset_index(drop=True)
    base = points_from_pd(predict_bad(X))
    gains: dict[str, np.ndarray] = {}
    betters: dict[str, list[object]] = {}
    for feature, values in references.items():
        if not values:
            continue
        trial = pd.concat([X] * len(values), ignore_index=True)
        trial[feature] = pd.Series(np.repeat(np.asarray(values, dtype=object), len(X))).astype(
            X[feature].dtype
        )
        points = points_from_pd(predict_bad(trial)).reshape(len(values), len(X))
        best = points.argmax(axis=0)
        gains[feature] = points[best, np.arange(len(X))] - base
        betters[feature] = [values[i] for i in best]
    out: list[list[ReasonCode]] = []
    for row in range(len(X)):
        ranked = sorted(
            ((gains[f][row], f) for f in gains if gains[f][row] >= MIN_GAIN_POINTS),
            key=lambda pair: (-pair[0], pair[1]),
        )
        out.append(
            [
                ReasonCode(f, _plain(X.at[row, f]), _plain(betters[f][row]), round(float(g), 1))
                for g, f in ranked[:top]
            ]
        )
    return out


def reason_agreement(
    predict_bad: PredictBad, X: pd.DataFrame, reasons: list[list[ReasonCode]]
) -> tuple[float, int, list[int]]:
    """Whether moving each applicant's top reason to its better value raises the score.

    Returns:
        The share of applicants with a reason for whom it does, how many were checked, and the
        positions in ``X`` of those for whom it does not (NaN share when none has a reason).
    """
    X = X.reset_index(drop=True)
    rows = [i for i, found in enumerate(reasons) if found]
    if not rows:
        return float("nan"), 0, []
    before = X.iloc[rows].reset_index(drop=True)
    after = before.copy()
    for position, row in enumerate(rows):
        top = reasons[row][0]
        after.loc[position, top.feature] = top.better
    after = after.astype(before.dtypes.to_dict())
    raised = points_from_pd(predict_bad(after)) > points_from_pd(predict_bad(before)) + 1e-9
    failed = [rows[i] for i in np.flatnonzero(~raised)]
    return float(raised.mean()), len(rows), failed


def _plain(value: object) -> object:
    """numpy scalars as Python values (JSON evidence), NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
