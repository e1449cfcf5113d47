"""A points scorecard: weight-of-evidence bins, logistic regression, a points table, reasons.

The form a credit validator and the HKMA know. Each input is binned (quantile bins for numbers,
one bin per category with rare ones pooled; a missing value is a bin of its own), each bin gets
its weight of evidence ``WoE = ln(share of goods / share of bads)``, a logistic regression on the
WoE values predicts the probability of default, and the fitted model is rescaled into points:

    score = offset + factor * ln(odds of good),  factor = PDO / ln 2,
    offset = base_score - factor * ln(base_odds)

so that ``base_score`` points mean good:bad odds of ``base_odds``, and every ``PDO`` points more
double those odds. An applicant's score is the sum of the points of their bins (the intercept is
spread evenly over the inputs), so the table is the whole model.

Reason codes: for a declined applicant, the inputs whose points fall furthest below the best
points that input can earn. Moving the top reason's input to its best bin raises the score by
exactly that shortfall, which :func:`reason_codes` reports with each reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

MISSING = "missing"
OTHER = "other"

BASE_SCORE = 600.0
BASE_ODDS = 50.0
PDO = 20.0
"""Default scaling: 600 points mean good:bad odds of 50:1; every 20 points double the odds."""


def points_from_pd(
    pd_bad: np.ndarray | float,
    base_score: float = BASE_SCORE,
    base_odds: float = BASE_ODDS,
    pdo: float = PDO,
) -> np.ndarray:
    """Score points of a probability of default on the scorecard's scale (any model's PD)."""
    p = np.clip(np.asarray(pd_bad, dtype=float), 1e-9, 1 - 1e-9)
    factor = pdo / math.log(2.0)
    return base_score - factor * math.log(base_odds) + factor * np.log((1 - p) / p)


@dataclass(frozen=True)
class Bin:
    """One bin of one input: what falls in it, its counts and its weight of evidence."""

    feature: str
    label: str
    goods: int
    bads: int
    woe: float


def _woe(goods: float, bads: float, total_goods: float, total_bads: float) -> float:
    """Weight of evidence with 0.5 added to each count, so an all-good bin stays finite."""
    return math.log(((goods + 0.5) / (total_goods + 1.0)) / ((bads + 0.5) / (total_bads + 1.0)))


class WoEScorecard(ClassifierMixin, BaseEstimator):
    """Weight-of-evidence logistic-regression scorecard (scikit-learn estimator, DataFrame in).

    Args:
        numeric: Numeric inputs (binned at quantiles of the training data).
        categorical: Categorical inputs (one bin per category).
        max_bins: Quantile bins per numeric input (fewer when values repeat).
        min_bin_share: Categories rarer than this share of the training rows are pooled.
        C: Inverse L2 strength of the logistic regression.
        base_score: Points at ``base_odds`` (good:bad).
        base_odds: Good:bad odds that ``base_score`` stands for.
        pdo: Points that double the odds.
    """

    def __init__(
        self,
        numeric: list[str] | None = None,
        categorical: list[str] | None = None,
        max_bins: int = 6,
        min_bin_share: float = 0.05,
        C: float = 1.0,
        base_score: float = BASE_SCORE,
        base_odds: float = BASE_ODDS,
        pdo: float = PDO,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.C = C
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo

    # -- binning ---------------------------------------------------------------------------------
    def _edges(self, values: pd.Series) -> np.ndarray:
        present = values.dropna().astype(float)
        if present.empty:
            return np.array([-np.inf, np.inf])
        quantiles = np.linspace(0, 1, self.max_bins + 1)[1:-1]
        inner = np.unique(np.quantile(present, quantiles))
        return np.concatenate([[-np.inf], inner, [np.inf]])

    def bin_labels(self, frame: pd.DataFrame, feature: str) -> pd.Series:
        """The bin label of every row for one input (as in the points table)."""
        values = frame[feature]
        if feature in self.edges_:
            edges = self.edges_[feature]
            names = np.array([_interval(edges, i) for i in range(len(edges) - 1)], dtype=object)
            index = np.searchsorted(edges[1:-1], values.astype(float), side="right")
            labels = pd.Series(names[index], index=frame.index, dtype=object)
            return labels.where(values.notna(), MISSING)
        kept = self.categories_[feature]
        text = values.astype(object).where(values.notna(), MISSING).astype(str)
        return text.where(text.isin(kept) | (text == MISSING), OTHER)

    def fit(self, X: pd.DataFrame, y: np.ndarray | pd.Series) -> WoEScorecard:
        numeric, categorical = list(self.numeric or []), list(self.categorical or [])
        y = np.asarray(y).astype(int)
        self.classes_ = np.array([0, 1])
        self.features_ = [*numeric, *categorical]
        self.edges_ = {f: self._edges(X[f]) for f in numeric}
        self.categories_: dict[str, set[str]] = {}
        for feature in categorical:
            share = X[feature].astype(str).value_counts(normalize=True)
            self.categories_[feature] = set(share[share >= self.min_bin_share].index)
        total_goods, total_bads = float((y == 0).sum()), float((y == 1).sum())
        self.bins_: dict[str, dict[str, Bin]] = {}
        for feature in self.features_:
            labels = self.bin_labels(X, feature)
            table: dict[str, Bin] = {}
            for label in sorted(set(labels)):
                mask = (labels == label).to_numpy()
                goods, bads = int((y[mask] == 0).sum()), int((y[mask] == 1).sum())
                woe = _woe(goods, bads, total_goods, total_bads)
                table[label] = Bin(feature, label, goods, bads, woe)
            self.bins_[feature] = table
        self.model_ = LogisticRegression(C=self.C, max_iter=5000)
        self.model_.fit(self._woe_matrix(X), y)
        return self

    def _woe_matrix(self, X: pd.DataFrame) -> np.ndarray:
        columns = []
        for feature in self.features_:
            woe = {label: b.woe for label, b in self.bins_[feature].items()}
            # a value never seen in training (a new category) counts as neutral evidence
            columns.append(self.bin_labels(X, feature).map(woe).fillna(0.0).to_numpy())
        return np.column_stack(columns).astype(float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(self._woe_matrix(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    # -- points ----------------------------------------------------------------------------------
    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def points_table(self) -> pd.DataFrame:
        """Every bin's points: ``feature, bin, goods, bads, woe, points`` (rounded to 0.1)."""
        coef = self.model_.coef_[0]
        intercept = float(self.model_.intercept_[0])
        n = len(self.features_)
        rows = []
        for weight, feature in zip(coef, self.features_, strict=True):
            for item in self.bins_[feature].values():
                # ln(odds of good) = -(intercept + sum coef * woe): spread over the inputs
                points = -(weight * item.woe + intercept / n) * self.factor + self.offset / n
                rows.append(
                    {
                        "feature": feature,
                        "bin": item.label,
                        "goods": item.goods,
                        "bads": item.bads,
                        "woe": round(item.woe, 4),
                        "points": round(points, 1),
                    }
                )
        return pd.DataFrame(rows)

    def points(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each applicant's points per input (columns: the inputs)."""
        table = self.points_table()
        lookup = {(r.feature, r.bin): r.points for r in table.itertuples()}
        neutral = self._neutral_points()
        out = {}
        for feature in self.features_:
            labels = self.bin_labels(X, feature)
            out[feature] = labels.map(lambda b, f=feature: lookup.get((f, b), neutral[f]))
        return pd.DataFrame(out, index=X.index).astype(float)

    def _neutral_points(self) -> dict[str, float]:
        intercept, n = float(self.model_.intercept_[0]), len(self.features_)
        return {f: -(intercept / n) * self.factor + self.offset / n for f in self.features_}

    def score(self, X: pd.DataFrame) -> np.ndarray:  # type: ignore[override]
        """The points score of each applicant (higher is better)."""
        return self.points(X).sum(axis=1).to_numpy()

    def information_values(self) -> dict[str, float]:
        """Information value of each input's bins (how well it separates goods from bads)."""
        values = {}
        for feature, table in self.bins_.items():
            goods = sum(b.goods for b in table.values()) + 0.5 * len(table)
            bads = sum(b.bads for b in table.values()) + 0.5 * len(table)
            values[feature] = float(
                sum(
                    ((b.goods + 0.5) / goods - (b.bads + 0.5) / bads) * b.woe
                    for b in table.values()
                )
            )
        return values


def value_in_bin(card: WoEScorecard, feature: str, label: str) -> object:
    """A value of ``feature`` that falls in bin ``label`` (to show what a reason asks for)."""
    if feature not in card.edges_:
        return label
    edges = card.edges_[feature]
    for index in range(len(edges) - 1):
        if _interval(edges, index) == label:
            low, high = edges[index], edges[index + 1]
            if np.isinf(low):
                return float(high) - 1.0
            if np.isinf(high):
                return float(low)
            return (float(low) + float(high)) / 2.0
    raise KeyError(f"{feature} has no bin {label!r}")


def _interval(edges: np.ndarray, index: int) -> str:
    low, high = edges[index], edges[index + 1]
    if np.isinf(low):
        return f"< {high:g}"
    if np.isinf(high):
        return f">= {low:g}"
    return f"[{low:g}, {high:g})"


@dataclass(frozen=True)
class Reason:
    """One reason an applicant could be given, with the points it costs them."""

    feature: str
    bin: str
    shortfall: float
    """Points below the best bin of this input: what moving to that bin would add."""
    best_bin: str


def reason_codes(card: WoEScorecard, X: pd.DataFrame, top: int = 4) -> list[list[Reason]]:
    """The ``top`` reasons of each applicant (largest points shortfall first, none at zero)."""
    table = card.points_table()
    reachable = table[~table["bin"].isin((MISSING, OTHER))]  # advice names a real value
    best = reachable.loc[reachable.groupby("feature")["points"].idxmax()].set_index("feature")
    points = card.points(X)
    out: list[list[Reason]] = []
    for row_index in range(len(X)):
        row = points.iloc[row_index]
        labels = {f: card.bin_labels(X.iloc[[row_index]], f).iloc[0] for f in card.features_}
        shortfalls = sorted(
            (
                (float(best.loc[f, "points"]) - float(row[f]), f)
                for f in card.features_
                if float(best.loc[f, "points"]) - float(row[f]) > 0.05
            ),
            reverse=True,
        )
        out.append(
            [
                Reason(f, labels[f], round(gap, 1), str(best.loc[f, "bin"]))
                for gap, f in shortfalls[:top]
            ]
        )
    return out
