"""Stress scenarios for credit models: the applicant population a downturn would bring.

Each scenario rewrites the inputs of the test population the way a stress would (some employed
applicants lose their jobs; a sector's borrowers lose income and savings; a rate rise raises the
debt burden), and the model scores the shifted applicants again. What is measured is what a
credit committee asks: how the approval rate and the expected bad rate among approved applicants
move, and whether the declines fall more heavily on a protected group than before.

The rewrites are per data set (its columns and categories differ), seeded, and their sizes are
parameters (:class:`StressParams`); outcomes are the model's expectation (mean probability of
default), since nobody has observed how stressed applicants repay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field


class StressParams(BaseModel):
    """How severe each scenario is."""

    model_config = ConfigDict(extra="forbid")

    job_loss_share: float = Field(
        0.15, ge=0, le=1, description="Share of employed applicants who become unemployed"
    )
    sector_income_drop: float = Field(
        0.30, ge=0, lt=1, description="Income lost by self-employed / freelance applicants"
    )
    sector_savings_loss_share: float = Field(
        0.40, ge=0, le=1, description="Share of the sector's applicants whose savings run down"
    )
    debt_burden_rise: float = Field(
        0.25, ge=0, le=5, description="Relative rise of debt service after a rate rise"
    )


@dataclass(frozen=True)
class Scenario:
    """One stress scenario: its name, what it does in words, and the rewrite."""

    name: str
    description: str
    apply: Callable[[pd.DataFrame, StressParams, np.random.Generator], pd.DataFrame]


# -- German Credit ------------------------------------------------------------------------------
_DE_UNEMPLOYED = "unemployed"
_DE_SELF_EMPLOYED = "management/ self-employed/ highly qualified employee/ officer"
_DE_LOW_SAVINGS = "... < 100 DM"
_DE_OVERDRAWN = "... < 0 DM"


def _de_job_loss(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    employed = out["present_employment_since"] != _DE_UNEMPLOYED
    hit = employed & (rng.random(len(out)) < p.job_loss_share)
    out.loc[hit, "present_employment_since"] = _DE_UNEMPLOYED
    return out


def _de_sector(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    sector = out["job"] == _DE_SELF_EMPLOYED
    hit = sector & (rng.random(len(out)) < p.sector_savings_loss_share)
    out.loc[hit, "savings_account_and_bonds"] = _DE_LOW_SAVINGS
    out.loc[hit, "status_of_existing_checking_account"] = _DE_OVERDRAWN
    return out


def _de_rates(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    column = "installment_rate_in_percentage_of_disposable_income"
    # the instalment rate is a 1-4 class: a rise of debt service of r moves a share r of
    # applicants one class up (those in class 4 are already at the top)
    hit = rng.random(len(out)) < min(1.0, p.debt_burden_rise * 2)
    out.loc[hit, column] = np.minimum(out.loc[hit, column] + 1, 4)
    return out


# -- modeldata credit_data ----------------------------------------------------------------------
def _cd_job_loss(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    employed = out["Job"].isin(["fixed", "partime"])
    hit = employed & (rng.random(len(out)) < p.job_loss_share)
    out.loc[hit, "Job"] = "others"
    out.loc[hit, "Income"] = out.loc[hit, "Income"] * 0.5  # benefits and savings, not wages
    out.loc[hit, "Seniority"] = 0.0
    return out


def _cd_sector(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    sector = out["Job"] == "freelance"
    out.loc[sector, "Income"] = out.loc[sector, "Income"] * (1 - p.sector_income_drop)
    hit = sector & (rng.random(len(out)) < p.sector_savings_loss_share)
    out.loc[hit, "Assets"] = out.loc[hit, "Assets"] * 0.5
    return out


def _cd_rates(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    out["Debt"] = out["Debt"] * (1 + p.debt_burden_rise)
    out["Expenses"] = out["Expenses"] * (1 + p.debt_burden_rise / 2)  # loan service in expenses
    return out


def _combined(*steps: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    def apply(frame: pd.DataFrame, p: StressParams, rng: np.random.Generator) -> pd.DataFrame:
        for step in steps:
            frame = step(frame, p, rng)
        return frame

    return apply


def _scenarios(
    job_loss: Callable[..., pd.DataFrame],
    sector: Callable[..., pd.DataFrame],
    rates: Callable[..., pd.DataFrame],
    job_words: str,
    sector_words: str,
    rate_words: str,
) -> list[Scenario]:
    return [
        Scenario("higher_unemployment", job_words, job_loss),
        Scenario("sector_downturn", sector_words, sector),
        Scenario("rate_rise", rate_words, rates),
        Scenario(
            "severe_combined",
            "All three at once, as in a severe recession with rising rates.",
            _combined(job_loss, sector, rates),
        ),
    ]


SCENARIOS: dict[str, list[Scenario]] = {
    "german_credit": _scenarios(
        _de_job_loss,
        _de_sector,
        _de_rates,
        "A share of employed applicants (job_loss_share) become unemployed.",
        "Self-employed and management applicants: a share (sector_savings_loss_share) run "
        "their savings below 100 DM and overdraw their current account.",
        "Debt service rises by debt_burden_rise: that share times two of applicants move one "
        "instalment-to-income class up (capped at the top class, 4).",
    ),
    "credit_data": _scenarios(
        _cd_job_loss,
        _cd_sector,
        _cd_rates,
        "A share of fixed and part-time employees (job_loss_share) lose their job: job "
        "'others', income halved, seniority reset.",
        "Freelancers lose sector_income_drop of their income; a share "
        "(sector_savings_loss_share) also lose half their assets.",
        "Debt rises by debt_burden_rise and monthly expenses by half that (loan service).",
    ),
}
"""Data set name -> its stress scenarios."""


def stressed_populations(
    dataset: str, frame: pd.DataFrame, params: StressParams, seed: int
) -> dict[str, tuple[Scenario, pd.DataFrame]]:
    """Every scenario of ``dataset`` applied to ``frame`` (each with its own seeded draw)."""
    if dataset not in SCENARIOS:
        raise KeyError(f"no stress scenarios for data set {dataset!r}")
    out = {}
    for index, scenario in enumerate(SCENARIOS[dataset]):
        rng = np.random.default_rng([seed, index])
        out[scenario.name] = (scenario, scenario.apply(frame, params, rng))
    return out
