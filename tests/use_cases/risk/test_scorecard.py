"""The WoE points scorecard on German Credit: the points table is the model, and every reason
code agrees with it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from sandbox.config import PROJECT_ROOT
from use_cases.risk.data import TARGET, load_german_credit
from use_cases.risk.scorecard import WoEScorecard, reason_codes, value_in_bin


@pytest.fixture(scope="module")
def fitted() -> tuple[WoEScorecard, object, object]:
    table = load_german_credit(PROJECT_ROOT / "data")
    train, test = train_test_split(
        table.frame, test_size=0.3, stratify=table.frame[TARGET], random_state=0
    )
    card = WoEScorecard(numeric=table.numeric, categorical=table.categorical, C=0.5)
    card.fit(train[table.inputs], train[TARGET])
    return card, test[table.inputs].reset_index(drop=True), test[TARGET].to_numpy()


def test_points_add_up_to_the_models_odds(fitted) -> None:
    card, X, y = fitted
    p_bad = card.predict_proba(X)[:, 1]
    expected = card.offset + card.factor * np.log((1 - p_bad) / p_bad)
    assert np.allclose(card.score(X), expected, atol=0.05 * len(card.features_))
    assert 0.72 < roc_auc_score(y, p_bad) < 0.9
    # 20 points more double the good:bad odds; 600 points are 50:1
    assert math.isclose(card.factor * math.log(2), 20.0)
    assert math.isclose(card.offset + card.factor * math.log(50), 600.0)


def test_every_reason_raises_the_score_by_its_shortfall_when_fixed(fitted) -> None:
    card, X, _ = fitted
    scores = card.score(X)
    declined = np.argsort(scores)[:40]  # the lowest scores
    reasons = reason_codes(card, X.iloc[declined])
    assert all(reasons), "every declined applicant gets at least one reason"
    for position, row_reasons in zip(declined, reasons, strict=True):
        top = row_reasons[0]
        assert [r.shortfall for r in row_reasons] == sorted(
            (r.shortfall for r in row_reasons), reverse=True
        )
        moved = X.iloc[[position]].copy()
        moved[top.feature] = value_in_bin(card, top.feature, top.best_bin)
        gain = float(card.score(moved)[0] - scores[position])
        assert gain == pytest.approx(top.shortfall, abs=0.2)
        assert gain > 0


def test_information_values_rank_the_checking_account_first(fitted) -> None:
    card, _, _ = fitted
    values = card.information_values()
    assert max(values, key=values.get) == "status_of_existing_checking_account"
    assert all(v >= 0 for v in values.values())
