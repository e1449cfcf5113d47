"""The credit models of the risk use case: the points scorecard and its challengers.

Each model receives the applicant's inputs as a DataFrame and picks its own columns, so the
candidates of one run can see different inputs (structured only, structured + text features,
text only) while the run hands every model the same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from use_cases.risk.scorecard import WoEScorecard


class ScorecardParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_bins: int = Field(6, ge=2, le=20, description="Quantile bins per numeric input")
    min_bin_share: float = Field(0.05, gt=0, lt=0.5, description="Rarer categories are pooled")
    C: float = Field(1.0, gt=0, description="Inverse L2 strength of the logistic regression")


class BoostingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_iter: int = Field(400, ge=10, le=5000)
    learning_rate: float = Field(0.03, gt=0, le=1)
    max_leaf_nodes: int = Field(4, ge=2, le=256)
    min_samples_leaf: int = Field(30, ge=1)
    l2_regularization: float = Field(1.0, ge=0)


class ForestParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_estimators: int = Field(500, ge=10, le=5000)
    min_samples_leaf: int = Field(5, ge=1)
    max_features: float = Field(0.3, gt=0, le=1)


class ChallengerParams(BaseModel):
    """The challenger: a soft vote of gradient boosting, a random forest and the scorecard.

    A weight of 0 leaves a member out (``forest_weight: 0, scorecard_weight: 0`` is gradient
    boosting alone)."""

    model_config = ConfigDict(extra="forbid")

    boosting: BoostingParams = BoostingParams()
    forest: ForestParams = ForestParams()
    boosting_weight: float = Field(2.0, ge=0)
    forest_weight: float = Field(1.0, ge=0)
    scorecard_weight: float = Field(0.0, ge=0)


class RatioFeatures(TransformerMixin, BaseEstimator):
    """Affordability ratios a credit analyst computes, added to the inputs that allow them.

    ``credit_data``: loan-to-price, instalment, income left after expenses and instalment, debt to
    income, amount to income. German Credit: the monthly amount (amount / duration). Inputs that a
    frame lacks are skipped, so the transformer fits either data set.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> RatioFeatures:
        self.columns_ = list(self.transform(X.iloc[:1]).columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        if {"Amount", "Price", "Time", "Income", "Expenses", "Debt"} <= set(out.columns):
            instalment = out["Amount"] / out["Time"]
            out["loan_to_price"] = out["Amount"] / out["Price"]
            out["instalment"] = instalment
            out["income_left"] = out["Income"] - out["Expenses"] - instalment
            out["debt_to_income"] = out["Debt"] / out["Income"]
            out["amount_to_income"] = out["Amount"] / out["Income"]
        if {"credit_amount", "duration_in_month"} <= set(out.columns):
            out["monthly_amount"] = out["credit_amount"] / out["duration_in_month"]
        return out.replace([np.inf, -np.inf], np.nan)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(self.columns_, dtype=object)


def scorecard(numeric: list[str], categorical: list[str], p: ScorecardParams) -> WoEScorecard:
    return WoEScorecard(
        numeric=list(numeric),
        categorical=list(categorical),
        max_bins=p.max_bins,
        min_bin_share=p.min_bin_share,
        C=p.C,
    )


def _numeric_after_ratios(numeric: list[str], categorical: list[str]) -> list[str]:
    probe = pd.DataFrame({c: [1.0] for c in numeric} | {c: ["a"] for c in categorical})
    return [c for c in RatioFeatures().fit(probe).columns_ if c not in categorical]


def boosting(numeric: list[str], categorical: list[str], p: BoostingParams, seed: int) -> Pipeline:
    """Histogram gradient boosting with native categories, on the inputs and their ratios."""
    ratio_numeric = _numeric_after_ratios(numeric, categorical)
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                ),
                list(categorical),
            ),
            ("numeric", "passthrough", ratio_numeric),
        ]
    )
    return Pipeline(
        [
            ("ratios", RatioFeatures()),
            ("encode", encode),
            (
                "clf",
                HistGradientBoostingClassifier(
                    max_iter=p.max_iter,
                    learning_rate=p.learning_rate,
                    max_leaf_nodes=p.max_leaf_nodes,
                    min_samples_leaf=p.min_samples_leaf,
                    l2_regularization=p.l2_regularization,
                    categorical_features=list(range(len(categorical))),
                    early_stopping=False,
                    random_state=seed,
                ),
            ),
        ]
    )


def forest(numeric: list[str], categorical: list[str], p: ForestParams, seed: int) -> Pipeline:
    """A random forest on median-imputed numbers, their ratios and one-hot categories."""
    ratio_numeric = _numeric_after_ratios(numeric, categorical)
    encode = ColumnTransformer(
        [
            ("numeric", SimpleImputer(strategy="median"), ratio_numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(categorical)),
        ]
    )
    return Pipeline(
        [
            ("ratios", RatioFeatures()),
            ("encode", encode),
            (
                "clf",
                RandomForestClassifier(
                    n_estimators=p.n_estimators,
                    min_samples_leaf=p.min_samples_leaf,
                    max_features=p.max_features,
                    random_state=seed,
                    n_jobs=1,
                ),
            ),
        ]
    )


def challenger(
    numeric: list[str],
    categorical: list[str],
    p: ChallengerParams,
    card: ScorecardParams,
    seed: int,
) -> BaseEstimator:
    """The challenger of :class:`ChallengerParams`: one model, or a soft vote of several."""
    members: list[tuple[str, BaseEstimator, float]] = [
        ("boosting", boosting(numeric, categorical, p.boosting, seed), p.boosting_weight),
        ("forest", forest(numeric, categorical, p.forest, seed), p.forest_weight),
        ("scorecard", scorecard(numeric, categorical, card), p.scorecard_weight),
    ]
    members = [m for m in members if m[2] > 0]
    if not members:
        raise ValueError("the challenger needs at least one member with a positive weight")
    if len(members) == 1:
        return members[0][1]
    return VotingClassifier(
        [(name, model) for name, model, _ in members],
        voting="soft",
        weights=[weight for _, _, weight in members],
    )


def challenger_words(p: ChallengerParams) -> str:
    """One line naming the challenger's members and weights (for reports)."""
    parts = [
        f"{name} (weight {weight:g})"
        for name, weight in (
            ("gradient boosting", p.boosting_weight),
            ("random forest", p.forest_weight),
            ("WoE scorecard", p.scorecard_weight),
        )
        if weight > 0
    ]
    if len(parts) == 1:
        return parts[0].split(" (")[0].capitalize() + " on the inputs and affordability ratios"
    return "Soft vote of " + ", ".join(parts) + " on the inputs and affordability ratios"
