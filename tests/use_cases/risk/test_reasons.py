"""Reason codes agree with the model they come from, and the check catches ones that do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sandbox.config import PROJECT_ROOT
from use_cases.risk.data import TARGET, load_german_credit
from use_cases.risk.models import BoostingParams, ScorecardParams, boosting, scorecard
from use_cases.risk.reasons import reason_agreement, reason_codes, reference_values
from use_cases.risk.scorecard import points_from_pd

DATA = PROJECT_ROOT / "data"


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    table = load_german_credit(Path(DATA))
    frame = table.frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return frame.iloc[:700], frame.iloc[700:], table.numeric, table.categorical


def _declined(model: object, frame: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    pd_bad = model.predict_proba(frame[inputs])[:, 1]  # type: ignore[attr-defined]
    return frame[inputs][pd_bad >= 0.5].reset_index(drop=True)


def _predict(model: object):  # noqa: ANN202
    return lambda X: model.predict_proba(X)[:, 1]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["scorecard", "boosting"])
def test_every_declined_applicant_has_reasons_that_raise_the_score(german, kind: str) -> None:
    train, test, numeric, categorical = german
    inputs = [*numeric, *categorical]
    if kind == "scorecard":
        model = scorecard(numeric, categorical, ScorecardParams())
    else:
        model = boosting(numeric, categorical, BoostingParams(max_iter=80), seed=0)
    model.fit(train[inputs], train[TARGET])
    declined = _declined(model, test, inputs)
    assert len(declined) >= 20
    references = reference_values(train, numeric, categorical)
    reasons = reason_codes(_predict(model), declined, references, top=4)

    assert all(found for found in reasons), "a declined applicant has no reason"
    rate, checked, failed = reason_agreement(_predict(model), declined, reasons)
    assert (rate, checked, failed) == (1.0, len(declined), [])
    for found in reasons:
        gains = [r.points for r in found]
        assert gains == sorted(gains, reverse=True) and gains[0] >= 0.5
        for reason in found:  # advice is a value real applicants have, never "missing"
            assert reason.better in references[reason.feature]


def test_the_top_reasons_gain_is_what_the_model_gives(german) -> None:
    train, test, numeric, categorical = german
    inputs = [*numeric, *categorical]
    model = scorecard(numeric, categorical, ScorecardParams()).fit(train[inputs], train[TARGET])
    declined = _declined(model, test, inputs).iloc[:10]
    reasons = reason_codes(_predict(model), declined, reference_values(train, numeric, categorical))
    for row, found in enumerate(reasons):
        moved = declined.iloc[[row]].copy()
        moved[found[0].feature] = found[0].better
        before = points_from_pd(_predict(model)(declined.iloc[[row]]))[0]
        after = points_from_pd(_predict(model)(moved))[0]
        assert after - before == pytest.approx(found[0].points, abs=0.06)


def test_reasons_of_one_model_fail_the_check_against_a_shuffled_model(german) -> None:
    """The check can fail: reasons taken from the scorecard, checked against a scorecard fitted on
    inputs whose values were shuffled between applicants (the same columns, other evidence)."""
    train, test, numeric, categorical = german
    inputs = [*numeric, *categorical]
    model = scorecard(numeric, categorical, ScorecardParams()).fit(train[inputs], train[TARGET])
    rng = np.random.default_rng(7)
    shuffled_train = train.copy()
    for column in inputs:
        shuffled_train[column] = rng.permutation(shuffled_train[column].to_numpy())
    shuffled = scorecard(numeric, categorical, ScorecardParams()).fit(
        shuffled_train[inputs], train[TARGET]
    )
    declined = _declined(model, test, inputs)
    reasons = reason_codes(_predict(model), declined, reference_values(train, numeric, categorical))

    own, _, _ = reason_agreement(_predict(model), declined, reasons)
    other, checked, failed = reason_agreement(_predict(shuffled), declined, reasons)
    assert own == 1.0
    assert other < 0.8 and len(failed) > 0.2 * checked


def test_no_declined_applicant_means_no_reasons_and_no_agreement_figure() -> None:
    empty = pd.DataFrame({"x": pd.Series([], dtype=float)})
    assert reason_codes(lambda X: np.zeros(len(X)), empty, {"x": [1.0]}) == []
    rate, checked, failed = reason_agreement(lambda X: np.zeros(len(X)), empty, [])
    assert np.isnan(rate) and checked == 0 and failed == []
