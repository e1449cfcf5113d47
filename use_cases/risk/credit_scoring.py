"""Experiment ``risk/credit_scoring``: a points scorecard and a challenger for credit decisions.

Data: German Credit (UCI Statlog, 1,000 applicants) or modeldata ``credit_data`` (4,454), both
real, chosen with the ``dataset`` parameter. A stratified hold-out (``test_share``) is the test
split; ROC AUC is also measured with stratified k-fold cross-validation on all rows. Baseline: a
weight-of-evidence logistic-regression scorecard with a points table. Challenger: gradient
boosting (with a random forest in a soft vote) on the inputs and affordability ratios.

Applicants whose probability of default is at least ``decline_pd`` are declined. Every declined
test applicant gets reason codes that are checked against the model; a stress test shifts the
test population (unemployment, a sector downturn, a rate rise) and measures the approval rate,
the expected bad rate and the fairness gaps again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, train_test_split

from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.classification import binary_metrics
from sandbox.evaluation.drift import psi
from sandbox.evaluation.fairness import fairness
from sandbox.evaluation.thresholds import load_thresholds
from sandbox.evaluation.tiering import RiskFacts
from sandbox.experiment import (
    Candidate,
    DataFingerprint,
    Experiment,
    ExperimentParams,
    Governance,
    PreparedData,
    RunContext,
    Scores,
    Wording,
    frame_sha256,
    sklearn_provenance,
)
from sandbox.registry import experiment
from use_cases.risk import RISK_EXPECTATIONS
from use_cases.risk.data import CREDIT_DATA, GERMAN_CREDIT, LOADERS, TARGET, CreditTable
from use_cases.risk.models import (
    ChallengerParams,
    ScorecardParams,
    challenger,
    challenger_words,
    scorecard,
)
from use_cases.risk.reasons import PredictBad, reason_agreement, reason_codes, reference_values
from use_cases.risk.scorecard import WoEScorecard, points_from_pd
from use_cases.risk.stress import StressParams, stressed_populations

HERE = Path(__file__).parent
DatasetName = Literal["german_credit", "credit_data"]
SOURCES = {"german_credit": GERMAN_CREDIT, "credit_data": CREDIT_DATA}


CREDIT_WORDING = Wording(
    positive="default",
    positive_plural="defaults",
    negative="repaid credit",
    decision="decline",
    decided="declined",
    score="probability of default",
)
"""The risk use case's words for outcomes and decisions (every credit experiment)."""


class CreditScoringParams(ExperimentParams):
    """Parameters of risk/credit_scoring (YAML: use_cases/risk/configs/credit_scoring.yaml)."""

    dataset: DatasetName = "german_credit"
    test_share: float = Field(0.3, gt=0.05, lt=0.6, description="Stratified hold-out share")
    cv_folds: int = Field(5, ge=0, le=10, description="Stratified folds for CV AUC; 0 disables")
    decline_pd: float = Field(0.5, gt=0, lt=1, description="Decline at this default probability")
    age_as_input: bool = Field(
        False, description="Age in years is a model input (its band is still fairness-checked)"
    )
    reasons_per_applicant: int = Field(4, ge=1, le=10)
    reason_examples: int = Field(12, ge=0, le=200, description="Declined applicants shown")
    scorecard: ScorecardParams = ScorecardParams()
    challenger: ChallengerParams = ChallengerParams()
    stress: StressParams = StressParams()
    n_boot: int = Field(200, ge=20, le=2000, description="Bootstrap resamples for gap intervals")


def _inputs(table: CreditTable, params: CreditScoringParams) -> tuple[list[str], list[str]]:
    numeric = list(table.numeric)
    if params.age_as_input:
        numeric.append(table.age_column)
    return numeric, list(table.categorical)


def prepare(params: CreditScoringParams, ctx: RunContext) -> PreparedData:
    ctx.progress("Loading credit data", 0, 1)
    table = LOADERS[params.dataset](ctx.data_dir)
    numeric, categorical = _inputs(table, params)
    inputs = [*numeric, *categorical]
    frame = table.frame
    train, test = train_test_split(
        frame,
        test_size=params.test_share,
        stratify=frame[TARGET],
        random_state=params.seed,
    )
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    ctx.progress("Loading credit data", 1, 1)
    excluded = {
        k: v
        for k, v in table.excluded.items()
        if not (params.age_as_input and k == table.age_column)
    }
    facts: dict[str, float | int | str] = {
        "dataset": table.name,
        "applicants": len(frame),
        "bad_rate": float(frame[TARGET].mean()),
        "train_rows": len(train),
        "test_rows": len(test),
        "test_bads": int(test[TARGET].sum()),
        "inputs": len(inputs),
        "protected_attributes_fairness_only": ", ".join(
            f"{k} ({v})" for k, v in table.protected.items()
        ),
        "excluded_from_inputs": "; ".join(f"{k}: {v}" for k, v in excluded.items()),
        "age_as_input": "yes, age in years" if params.age_as_input else "no",
        "missing_values": int(frame[inputs].isna().sum().sum()),
    }
    source = DataFingerprint(
        name=table.name,
        source=SOURCES[table.name].source,
        licence=SOURCES[table.name].licence,
        rows=len(frame),
        sha256=table.sha256,
        role="source",
        note=f"{frame[TARGET].mean():.1%} bad; sha256 of the extracted file",
    )
    return PreparedData(
        train=train,
        test=test,
        inputs=inputs,
        target=TARGET,
        fairness_attributes=list(table.protected),
        fingerprints=[
            source,
            *split_fingerprints(train, test, inputs, params.test_share, params.seed),
        ],
        facts=facts,
    )


def split_fingerprints(
    train: pd.DataFrame, test: pd.DataFrame, inputs: list[str], test_share: float, seed: int
) -> list[DataFingerprint]:
    """Fingerprints of a stratified train / test split of applicants (hash of the inputs)."""
    return [
        DataFingerprint(
            name=name,
            source="stratified split",
            licence="-",
            rows=len(frame),
            sha256=frame_sha256(frame[inputs]),
            role=name,
            note=note,
        )
        for name, frame, note in (
            ("train", train, f"{1 - test_share:.0%} of applicants (seed {seed})"),
            ("test", test, f"{test_share:.0%} of applicants"),
        )
    ]


def _columns(data: PreparedData) -> tuple[list[str], list[str]]:
    numeric = [c for c in data.inputs if pd.api.types.is_numeric_dtype(data.train[c])]
    return numeric, [c for c in data.inputs if c not in numeric]


def candidates(params: CreditScoringParams, data: PreparedData, ctx: RunContext) -> list[Candidate]:
    numeric, categorical = _columns(data)
    provenance = [sklearn_provenance()]
    return [
        Candidate(
            name="woe_scorecard",
            role="baseline",
            description=(
                "Points scorecard: weight-of-evidence bins, logistic regression, 600 points at "
                "50:1 good:bad odds, 20 points to double the odds"
            ),
            estimator=scorecard(numeric, categorical, params.scorecard),
            provenance=provenance,
        ),
        Candidate(
            name="boosting_challenger",
            role="challenger",
            description=challenger_words(params.challenger),
            estimator=challenger(
                numeric, categorical, params.challenger, params.scorecard, params.seed
            ),
            provenance=provenance,
        ),
    ]


def score(params: CreditScoringParams, data: PreparedData, scores: np.ndarray) -> Scores:
    y = data.test[TARGET].to_numpy()
    metrics = binary_metrics(y, scores, params.decline_pd)
    approved = scores < params.decline_pd
    metrics["approval_rate"] = float(approved.mean())
    metrics["bad_rate_approved"] = float(y[approved].mean()) if approved.any() else float("nan")
    metrics["expected_bad_rate_approved"] = (
        float(scores[approved].mean()) if approved.any() else float("nan")
    )
    return Scores(metrics=metrics)


def extra_metrics(
    candidate: Candidate, data: PreparedData, params: CreditScoringParams, ctx: RunContext
) -> dict[str, float]:
    """Stratified k-fold ROC AUC, KS and Gini on all applicants (train and test together)."""
    if params.cv_folds < 2:
        return {}
    rows = pd.concat([data.train, data.test], ignore_index=True)
    folds = StratifiedKFold(n_splits=params.cv_folds, shuffle=True, random_state=params.seed)
    stage = f"{candidate.name}: {params.cv_folds}-fold cross-validation"
    aucs, kss = [], []
    for index, (fit_rows, held_rows) in enumerate(folds.split(rows, rows[TARGET])):
        ctx.progress(stage, index, params.cv_folds)
        model = clone(candidate.estimator)
        model.fit(rows.iloc[fit_rows][data.inputs], rows[TARGET].iloc[fit_rows].to_numpy())
        proba = model.predict_proba(rows.iloc[held_rows][data.inputs])[:, 1]
        values = binary_metrics(rows[TARGET].iloc[held_rows].to_numpy(), proba)
        aucs.append(values["roc_auc"])
        kss.append(values["ks"])
    ctx.progress(stage, params.cv_folds, params.cv_folds)
    return {
        "cv_roc_auc_mean": float(np.mean(aucs)),
        "cv_roc_auc_std": float(np.std(aucs)),
        "cv_gini_mean": float(2 * np.mean(aucs) - 1),
        "cv_ks_mean": float(np.mean(kss)),
    }


# -- use-case evaluations -------------------------------------------------------------------------
def _predict_bad(estimator: Any) -> PredictBad:
    """The fitted model's probability of default for each row of a frame."""
    return lambda frame: np.asarray(estimator.predict_proba(frame), dtype=float)[:, 1]


def evidence_table(
    title: str, columns: list[str], rows: list[list[object]], **extra: object
) -> dict:
    """A table for ``Evaluation.evidence["tables"]`` (rendered in the report section; logged as
    a CSV when ``artifact`` names a path)."""
    return {"title": title, "columns": columns, "rows": rows, **extra}


def scorecard_evaluation(card: WoEScorecard) -> Evaluation:
    """The points table and information values (the whole scorecard, for the report)."""
    table = card.points_table()
    values = card.information_values()
    rows = [
        [r.feature, r.bin, int(r.goods), int(r.bads), float(r.woe), float(r.points)]
        for r in table.itertuples()
    ]
    iv_rows = [[f, round(v, 4)] for f, v in sorted(values.items(), key=lambda kv: -kv[1])]
    return Evaluation(
        scorer="scorecard",
        title="Points scorecard (points table and information values)",
        evidences=["HKMA-AI-3", "HKMA-BDAI-TRANS", "SR11-7"],
        metrics={
            "scorecard_bins": float(len(table)),
            "scorecard_points_min": float(table.groupby("feature")["points"].min().sum()),
            "scorecard_points_max": float(table.groupby("feature")["points"].max().sum()),
        },
        evidence={
            "tables": [
                evidence_table(
                    "Points table: an applicant's score is the sum of the points of their bins",
                    ["Input", "Bin", "Goods", "Bads", "WoE", "Points"],
                    rows,
                    artifact="scorecard/points_table.csv",
                ),
                evidence_table(
                    "Information value of each input (0.02-0.1 weak, 0.1-0.3 medium, >0.3 strong)",
                    ["Input", "Information value"],
                    iv_rows,
                ),
            ]
        },
        notes=[
            f"Scaling: {card.base_score:g} points = good:bad odds of {card.base_odds:g}:1; "
            f"every {card.pdo:g} points double the odds (factor {card.factor:.3f}, offset "
            f"{card.offset:.1f}); the intercept is spread evenly over the inputs.",
            "Bins: quantile bins for numbers, one bin per category (categories under the "
            "minimum share pooled as 'other'), missing values a bin of their own; WoE with 0.5 "
            "added to each count.",
        ],
        section=ReportSection.EXPLAINABILITY_DISCLOSURE,
    )


def reason_evaluation(
    params: CreditScoringParams,
    data: PreparedData,
    candidate: Candidate,
    scores: np.ndarray,
    numeric: list[str],
    categorical: list[str],
) -> Evaluation:
    """Reason codes for every declined test applicant, checked against the model."""
    declined = np.flatnonzero(scores >= params.decline_pd)
    predict_bad = _predict_bad(candidate.estimator)
    X = data.test[data.inputs].iloc[declined].reset_index(drop=True)
    references = reference_values(data.train, numeric, categorical)
    reasons = reason_codes(predict_bad, X, references, top=params.reasons_per_applicant)
    agreement, checked, failed = reason_agreement(predict_bad, X, reasons)
    with_reason = sum(1 for found in reasons if found)
    points = points_from_pd(scores[declined]) if len(declined) else np.array([])
    rows = []
    for position, found in enumerate(reasons):
        rows.append(
            [
                int(declined[position]),
                round(float(points[position]), 1),
                round(float(scores[declined[position]]), 4),
                "; ".join(
                    f"{r.feature} = {_show(r.value)} (better: {_show(r.better)}, +{r.points:g})"
                    for r in found
                )
                or "none",
            ]
        )
    metrics = {
        "declined": float(len(declined)),
        "reason_coverage": with_reason / len(declined) if len(declined) else float("nan"),
        "reason_agreement": agreement,
    }
    shown = rows[: params.reason_examples]
    return Evaluation(
        scorer="reason_codes",
        title="Reason codes for declined applicants",
        evidences=["HKMA-AI-3", "HKMA-BDAI-TRANS"],
        metrics=metrics,
        evidence={
            "tables": [
                evidence_table(
                    f"Reason codes of declined test applicants ({len(shown)} of "
                    f"{len(declined)} shown; all in the artifact)",
                    [
                        "Test row",
                        "Score (points)",
                        "PD",
                        "Reasons (points gained by moving to the better value, all else equal)",
                    ],
                    shown,
                ),
                evidence_table(
                    "Reason codes of every declined test applicant",
                    ["test_row", "points", "pd", "reasons"],
                    rows,
                    artifact="reason_codes/declined.csv",
                    hidden=True,
                ),
            ],
            "failed_rows": failed[:50],
        },
        notes=[
            "Each input is tried at the values development applicants really have (5% to 95% "
            "quantiles of numbers, categories held by at least 2%; 'missing' and 'other' are "
            "never advised); an input is a reason when another such value raises the "
            "applicant's score by at least half a point, all else equal. Reasons are the inputs "
            "with the largest gains.",
            f"Agreement check: moving each declined applicant's top reason to its better value "
            f"raised the score under this model for {agreement:.1%} of the {checked} applicants "
            "checked (required: all).",
        ],
        section=ReportSection.EXPLAINABILITY_DISCLOSURE,
    )


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def band_calibration(
    params: CreditScoringParams, data: PreparedData, scores: np.ndarray
) -> Evaluation:
    """Predicted against observed bad rate by score band (points), with Wilson intervals."""
    y = data.test[TARGET].to_numpy()
    points = points_from_pd(scores)
    bands = min(10, max(3, len(y) // 60))
    edges = np.unique(np.quantile(points, np.linspace(0, 1, bands + 1)))
    index = np.clip(np.searchsorted(edges[1:-1], points, side="right"), 0, len(edges) - 2)
    rows, gaps = [], []
    for band in range(len(edges) - 1):
        mask = index == band
        n = int(mask.sum())
        if n == 0:
            continue
        observed, predicted = float(y[mask].mean()), float(scores[mask].mean())
        low, high = _wilson(int(y[mask].sum()), n)
        gaps.append(abs(observed - predicted))
        rows.append(
            [
                f"{edges[band]:.0f}-{edges[band + 1]:.0f}",
                n,
                round(predicted, 4),
                round(observed, 4),
                f"[{low:.3f}, {high:.3f}]",
                "yes" if low <= predicted <= high else "no",
            ]
        )
    outside = sum(1 for r in rows if r[-1] == "no")
    return Evaluation(
        scorer="score_band_calibration",
        title="Calibration by score band",
        evidences=["HKMA-AI-5"],
        metrics={
            "band_calibration_max_gap": max(gaps) if gaps else float("nan"),
            "bands_outside_interval": float(outside),
        },
        evidence={
            "tables": [
                evidence_table(
                    "Predicted and observed bad rate by score band (test split)",
                    [
                        "Score band (points)",
                        "Applicants",
                        "Predicted PD",
                        "Observed bad rate",
                        "95% Wilson interval",
                        "Predicted PD inside",
                    ],
                    rows,
                )
            ]
        },
        notes=[
            "Bands are equal-count bands of the points score; the interval is the Wilson "
            "interval of the observed bad rate, so a predicted PD outside it is a calibration "
            "gap larger than sampling noise explains."
        ],
        section=ReportSection.CALIBRATION_STABILITY,
    )


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def characteristic_analysis(card: WoEScorecard, data: PreparedData) -> Evaluation:
    """Score PSI and, per characteristic, the shift of points between development and recent."""
    dev, recent = data.train[data.inputs], data.test[data.inputs]
    score_psi = psi(card.score(dev), card.score(recent))
    rows = []
    table = card.points_table()
    for feature in card.features_:
        dev_share = card.bin_labels(dev, feature).value_counts(normalize=True)
        new_share = card.bin_labels(recent, feature).value_counts(normalize=True)
        part = table[table["feature"] == feature]
        shift = sum(
            (new_share.get(r.bin, 0.0) - dev_share.get(r.bin, 0.0)) * r.points
            for r in part.itertuples()
        )
        rows.append(
            [
                feature,
                round(psi(card.bin_labels(dev, feature), card.bin_labels(recent, feature)), 4),
                round(float(shift), 2),
            ]
        )
    rows.sort(key=lambda r: -abs(r[2]))
    return Evaluation(
        scorer="characteristic_analysis",
        title="Score stability and characteristic analysis",
        evidences=["HKMA-AI-5", "HKMA-AI-9"],
        metrics={
            "score_psi": score_psi,
            "characteristic_shift_max": max(abs(r[2]) for r in rows) if rows else float("nan"),
        },
        evidence={
            "tables": [
                evidence_table(
                    "Characteristic analysis: development (train) against recent (test) applicants",
                    ["Characteristic", "PSI of its bins", "Points shift (recent - development)"],
                    rows,
                )
            ]
        },
        notes=[
            f"Score PSI between development and recent applicants: {score_psi:.4f}. The data "
            "sets carry no application dates, so the hold-out stands in for the recent "
            "population and this figure measures sampling noise; the stress test below shows "
            "the shifts a downturn brings. A bank runs the same analysis on its latest month.",
            "Points shift = sum over bins of (recent share - development share) x bin points: "
            "how far the characteristic moves the average score.",
        ],
        section=ReportSection.CALIBRATION_STABILITY,
    )


def stress_evaluation(
    params: CreditScoringParams, data: PreparedData, candidate: Candidate, scores: np.ndarray
) -> Evaluation:
    """Approval rate, expected bad rate and fairness gaps under each stress scenario."""
    predict_bad = _predict_bad(candidate.estimator)
    test = data.test
    y = test[TARGET].to_numpy()
    groups_of = {a: test[a].astype(str).to_numpy() for a in data.fairness_attributes}
    populations = {"base": (None, test)} | stressed_populations(
        params.dataset, test, params.stress, params.seed
    )
    base_points = points_from_pd(scores)
    metrics: dict[str, float] = {}
    intervals = {}
    rows, notes = [], []
    for name, (scenario, frame) in populations.items():
        pd_bad = scores if scenario is None else predict_bad(frame[data.inputs])
        declined = (pd_bad >= params.decline_pd).astype(int)
        approved = declined == 0
        gaps = fairness(y, declined, groups_of, n_boot=params.n_boot, seed=params.seed)
        values = {
            "approval_rate": float(approved.mean()),
            "expected_bad_rate_approved": float(pd_bad[approved].mean())
            if approved.any()
            else float("nan"),
            "expected_bad_rate_all": float(pd_bad.mean()),
            "score_psi": psi(base_points, points_from_pd(pd_bad)) if scenario else 0.0,
            "dpd_max": gaps.metrics.get("dpd_max", float("nan")),
        }
        for attribute in data.fairness_attributes:
            key = f"dpd.{attribute}"
            values[key] = gaps.metrics.get(key, float("nan"))
            if key in gaps.intervals:
                intervals[f"stress.{name}.{key}"] = gaps.intervals[key]
        metrics.update({f"stress.{name}.{k}": v for k, v in values.items()})
        gap_words = ", ".join(
            f"{a} {values[f'dpd.{a}']:.3f}"
            + (
                f" [{gaps.intervals[f'dpd.{a}'].low:.3f}, {gaps.intervals[f'dpd.{a}'].high:.3f}]"
                if f"dpd.{a}" in gaps.intervals
                else ""
            )
            for a in data.fairness_attributes
        )
        rows.append(
            [
                name.replace("_", " "),
                round(values["approval_rate"], 4),
                round(values["expected_bad_rate_approved"], 4),
                round(values["expected_bad_rate_all"], 4),
                round(values["score_psi"], 4),
                gap_words,
            ]
        )
        if scenario is not None:
            notes.append(f"{name.replace('_', ' ')}: {scenario.description}")
    stressed = [n for n in populations if n != "base"]
    base_approval = metrics["stress.base.approval_rate"]
    metrics["stress_approval_drop_max"] = max(
        base_approval - metrics[f"stress.{n}.approval_rate"] for n in stressed
    )
    metrics["stress_expected_bad_rate_max"] = max(
        metrics[f"stress.{n}.expected_bad_rate_approved"] for n in stressed
    )
    metrics["stress_dpd_max"] = max(metrics[f"stress.{n}.dpd_max"] for n in stressed)
    return Evaluation(
        scorer="stress_test",
        title="Stress test: shifted applicant populations",
        evidences=["HKMA-AI-5", "HKMA-AI-8", "HKMA-AI-11"],
        metrics=metrics,
        intervals=intervals,
        evidence={
            "tables": [
                evidence_table(
                    f"Stress table (test applicants, decline at PD >= {params.decline_pd:g})",
                    [
                        "Scenario",
                        "Approval rate",
                        "Expected bad rate (approved)",
                        "Expected bad rate (all)",
                        "Score PSI vs base",
                        "Decline-rate gap by attribute [95% CI]",
                    ],
                    rows,
                )
            ]
        },
        notes=[
            *notes,
            "Expected bad rates are the model's mean probability of default: stressed "
            "applicants' repayment is not observed. Gaps are the largest difference in decline "
            "rate between groups with at least 30 applicants, with 95% bootstrap intervals.",
        ],
        section=ReportSection.ROBUSTNESS,
    )


def extra_evaluations(
    params: CreditScoringParams,
    data: PreparedData,
    candidate: Candidate,
    scores: np.ndarray,
    ctx: RunContext,
) -> list[Evaluation]:
    numeric, categorical = _columns(data)
    ctx.progress(f"{candidate.name}: reason codes and stress test", 0, 1)
    found = [
        reason_evaluation(params, data, candidate, scores, numeric, categorical),
        band_calibration(params, data, scores),
        stress_evaluation(params, data, candidate, scores),
    ]
    if isinstance(candidate.estimator, WoEScorecard):
        found += [
            scorecard_evaluation(candidate.estimator),
            characteristic_analysis(candidate.estimator, data),
        ]
    ctx.progress(f"{candidate.name}: reason codes and stress test", 1, 1)
    return found


@experiment("risk", "credit_scoring")
def credit_scoring() -> Experiment:
    return Experiment(
        use_case="risk",
        name="credit_scoring",
        title="Credit scoring: points scorecard against a gradient-boosting challenger",
        version="1.0.0",
        intended_use=(
            "Estimate each retail credit applicant's probability of default so that credit "
            "officers can approve, decline or refer applications, with reasons an applicant can "
            "be given. Decision support: a credit officer decides, and a declined applicant may "
            "ask for a review by a person."
        ),
        limitations=[
            "German Credit describes 1,000 German applicants of the 1970s-90s and credit_data "
            "4,454 Spanish applicants: neither is a Hong Kong portfolio. Figures show the method, "
            "not what a Hong Kong bank would see; re-develop and re-validate on the bank's own "
            "applications before any use.",
            "Neither data set carries application dates: the hold-out stands in for recent "
            "applicants, so stability figures measure sampling noise, and the stress scenarios "
            "are assumptions, not observed downturns.",
            "German Credit's 1,000 rows make every figure uncertain: read the intervals.",
        ],
        params_model=CreditScoringParams,
        prepare=prepare,
        candidates=candidates,
        score=score,
        thresholds=load_thresholds(HERE / "thresholds" / "credit_scoring.yaml"),
        key_metrics=(
            "cv_roc_auc_mean",
            "roc_auc",
            "gini",
            "ks",
            "approval_rate",
            "bad_rate_approved",
        ),
        operating_threshold=lambda params: params.decline_pd,
        operating_point=lambda params: f"decline at PD >= {params.decline_pd:g}",
        extra_metrics=extra_metrics,
        extra_evaluations=extra_evaluations,
        explain_rows=5,
        default_config=HERE / "configs" / "credit_scoring.yaml",
        wording=CREDIT_WORDING,
        expectations=RISK_EXPECTATIONS,
        governance=Governance(
            risk_facts=RiskFacts(
                customer_impact="direct", autonomy="human_in_the_loop", materiality="high"
            ),
            conceptual_soundness=[
                "The baseline is the form credit validators know: weight-of-evidence bins, a "
                "logistic regression and a points table, so every point of every applicant's "
                "score can be traced to one bin of one input.",
                "The challenger (gradient boosting, in a soft vote with a random forest) adds "
                "interactions and affordability ratios an analyst computes (instalment, income "
                "left after expenses, loan to price); it must beat the scorecard in "
                "cross-validated ROC AUC to be worth its opacity.",
                "Protected attributes (age band, sex, marital status, foreign-worker status) are "
                "not inputs; they are kept beside the data only to measure decline-rate gaps. "
                "Age in years becomes an input only when the run says so (age_as_input), and "
                "its band is then still checked.",
                "Reason codes come from the model itself (one input changed at a time to values "
                "real applicants have), and a run checks that the top reason of every declined "
                "applicant really raises the score when improved.",
                "A stress test replays the test applicants under a rise in unemployment, a "
                "sector downturn and a rate rise, so the committee sees approval, expected "
                "losses and fairness before a downturn rather than after.",
            ],
            controls=[
                "A credit officer makes every decision; the score and its reasons inform it.",
                "Every declined applicant can be given the top reasons and may ask for a review "
                "by a person; the reasons are checked against the model in every run.",
                "The decline cut-off is a recorded parameter; changing it is a new run and a new "
                "review.",
                "Decline-rate gaps between protected groups above their thresholds are findings "
                "that block approval of the model until explained or fixed.",
            ],
            customer_disclosure=(
                "Applicants are told that a credit score informs the decision; a declined "
                "applicant is given the top reason codes (e.g. 'duration of the credit', "
                "'status of the current account') and how to ask for a review by a person."
            ),
            monitoring_frequency="monthly, and after any change of product, policy or economy",
            monitoring_owner="Head of Credit Risk Analytics (first line); Model Validation",
            monitoring_metrics=[
                "roc_auc",
                "ks",
                "approval_rate",
                "bad_rate_approved",
                "dpd_max",
                "score_psi",
            ],
        ),
    )
