"""Stress scenarios rewrite what they say they rewrite, the same way for the same seed."""

from __future__ import annotations

import pandas as pd
import pytest

from sandbox.config import PROJECT_ROOT
from use_cases.risk.data import LOADERS
from use_cases.risk.stress import SCENARIOS, StressParams, stressed_populations


@pytest.mark.parametrize("dataset", sorted(SCENARIOS))
def test_every_scenario_changes_inputs_and_only_inputs(dataset: str) -> None:
    frame = LOADERS[dataset](PROJECT_ROOT / "data").frame
    populations = stressed_populations(dataset, frame, StressParams(), seed=3)
    assert set(populations) == {s.name for s in SCENARIOS[dataset]}
    inputs = LOADERS[dataset](PROJECT_ROOT / "data").inputs
    for name, (_scenario, stressed) in populations.items():
        assert stressed.shape == frame.shape
        changed = [c for c in frame.columns if not stressed[c].equals(frame[c])]
        assert changed, f"{name} changed nothing"
        assert set(changed) <= set(inputs), f"{name} touched {set(changed) - set(inputs)}"
        # protected attributes and outcomes are never rewritten
        assert stressed["bad"].equals(frame["bad"]) and stressed["age_band"].equals(
            frame["age_band"]
        )
    again = stressed_populations(dataset, frame, StressParams(), seed=3)
    for name in populations:
        pd.testing.assert_frame_equal(populations[name][1], again[name][1])


def test_a_zero_severity_leaves_the_population_alone() -> None:
    frame = LOADERS["credit_data"](PROJECT_ROOT / "data").frame
    calm = StressParams(
        job_loss_share=0, sector_income_drop=0, sector_savings_loss_share=0, debt_burden_rise=0
    )
    for name, (_scenario, stressed) in stressed_populations("credit_data", frame, calm, 0).items():
        pd.testing.assert_frame_equal(stressed, frame, obj=name)


def test_job_loss_hits_about_the_declared_share_of_the_employed() -> None:
    frame = LOADERS["credit_data"](PROJECT_ROOT / "data").frame
    stressed = stressed_populations("credit_data", frame, StressParams(job_loss_share=0.2), 1)[
        "higher_unemployment"
    ][1]
    employed = frame["Job"].isin(["fixed", "partime"])
    lost = (stressed.loc[employed, "Job"] == "others").mean()
    assert lost == pytest.approx(0.2, abs=0.03)
