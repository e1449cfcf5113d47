"""The platform's standard evaluation of every candidate model and of the run's data.

The runner calls :func:`evaluate_model` for each fitted candidate and :func:`evaluate_data` once
per run, so every use case gets calibration, stability, fairness, explainability, robustness and
drift evidence without writing it; what does not apply comes back as "not assessed: reason".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from sandbox.evaluation.base import Evaluation
from sandbox.evaluation.calibration import calibration
from sandbox.evaluation.classification import ks_statistic
from sandbox.evaluation.drift import population_drift
from sandbox.evaluation.explainability import decision_reasons, global_importance
from sandbox.evaluation.fairness import fairness
from sandbox.evaluation.multiclass import accuracy, confusion, macro_f1
from sandbox.evaluation.registry import section_of
from sandbox.evaluation.robustness import perturbations, robustness
from sandbox.evaluation.stability import bootstrap_intervals
from sandbox.tasks import TaskKind


def _positive_scores(estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(estimator.predict_proba(frame)[:, 1], dtype=float)


def _log_odds(scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(scores, 1e-9, 1 - 1e-9)
    return np.log(clipped / (1 - clipped))


def evaluate_model(
    exp: Any,
    params: Any,
    data: Any,
    estimator: Any,
    scores: np.ndarray,
    decisions: np.ndarray,
    *,
    seed: int,
    n_boot: int = 200,
    robustness_limit: int | None = None,
    explain_rows: int | None = None,
) -> list[Evaluation]:
    """Standard evaluations of one fitted model on the test split.

    Args:
        exp: The Experiment (for its robustness set and explanation settings).
        params: The run's parameters.
        data: The PreparedData.
        estimator: The fitted model (``predict_proba`` on ``data.inputs`` columns).
        scores: Its test-split scores.
        decisions: Its 0/1 test decisions at the operating point.
        seed: Seed for bootstrap and sampling.
        n_boot: Bootstrap resamples for confidence intervals.
        robustness_limit: At most this many robustness texts (a costly model's budget).
        explain_rows: Rows given per-decision reasons, instead of ``exp.explain_rows``.
    """
    if exp.task is TaskKind.CONVERSATIONAL:
        return []  # the experiment's scorer runs the conduct suite (Scores.evaluations)
    if exp.task is TaskKind.MULTICLASS:
        return _evaluate_multiclass(
            exp,
            params,
            data,
            estimator,
            scores,
            decisions,
            seed,
            n_boot,
            robustness_limit,
            explain_rows,
        )
    y = data.test[data.target].to_numpy().astype(int)
    if len(y) > 20_000:
        n_boot = min(n_boot, 100)  # sklearn's ranking metrics dominate on large test sets
    evaluations = [calibration(y, scores)]
    evaluations.append(
        _with_gini(
            bootstrap_intervals(
                y,
                scores,
                {
                    "roc_auc": skm.roc_auc_score,
                    "auprc": skm.average_precision_score,
                    "ks": ks_statistic,
                },
                n_boot=n_boot,
                seed=seed,
            )
        )
    )
    if data.fairness_attributes:
        groups = {a: data.test[a].astype(str).to_numpy() for a in data.fairness_attributes}
        evaluations.append(fairness(y, decisions, groups, n_boot=n_boot, seed=seed))
    else:
        evaluations.append(
            Evaluation.not_assessed(
                "fairness",
                "Fairness across customer groups",
                "the data set carries no customer attributes (no person is scored)",
                ["HKMA-AI-8", "HKMA-BDAI-FAIR"],
            )
        )
    rows = exp.explain_rows if explain_rows is None else explain_rows
    evaluations.append(_explain(exp, data, estimator, scores, y, seed, rows))
    evaluations.append(_robustness(exp, params, data, estimator, seed, robustness_limit))
    return _with_sections(evaluations)


def _with_gini(evaluation: Evaluation) -> Evaluation:
    """Gini (``2 * AUC - 1``) and its interval, read off the ROC AUC's: a percentile interval
    maps through an increasing function exactly, so no second bootstrap is needed."""
    auc = evaluation.intervals.get("roc_auc")
    if evaluation.status != "assessed" or auc is None:
        return evaluation
    evaluation.metrics["gini"] = 2 * evaluation.metrics["roc_auc"] - 1
    evaluation.intervals["gini"] = auc.model_copy(
        update={"low": 2 * auc.low - 1, "high": 2 * auc.high - 1}
    )
    evaluation.metrics["gini_ci_width"] = 2 * (auc.high - auc.low)
    return evaluation


def _with_sections(evaluations: list[Evaluation]) -> list[Evaluation]:
    """Evaluations made here rather than by a registered scorer (a "not assessed" stated by the
    suite, multiclass reasons) get their scorer's report section, so the RunRecord alone places
    every one of them in the report."""
    for evaluation in evaluations:
        if evaluation.section is None:
            evaluation.section = section_of(evaluation.scorer)
    return evaluations


def _evaluate_multiclass(
    exp: Any,
    params: Any,
    data: Any,
    estimator: Any,
    proba: np.ndarray,
    decisions: np.ndarray,
    seed: int,
    n_boot: int,
    robustness_limit: int | None,
    explain_rows: int | None,
) -> list[Evaluation]:
    """Calibration (top label), bootstrap intervals of accuracy and macro-F1, per-class results
    and confused pairs, fairness over declared attributes, reasons for the least confident
    decisions and robustness (accuracy of the top class under perturbations)."""
    y = data.test[data.target].to_numpy().astype(int)
    predicted = proba.argmax(axis=1)
    evaluations = [
        calibration(y, proba),
        bootstrap_intervals(
            y,
            predicted.astype(float),
            {"accuracy": accuracy, "macro_f1": macro_f1},
            n_boot=n_boot,
            seed=seed,
        ),
        # The model's own top class: per-class quality, whatever the routing policy then does
        # with it (a hand-off is an operating decision, reported by the use case).
        confusion(y, predicted, data.class_names),
    ]
    if data.fairness_attributes:
        groups = {a: data.test[a].astype(str).to_numpy() for a in data.fairness_attributes}
        # Every query should be routed right (label 1); the decision is whether it was, so the
        # gaps are differences in routing accuracy between groups.
        evaluations.append(
            fairness(
                np.ones_like(y), (decisions == y).astype(int), groups, n_boot=n_boot, seed=seed
            )
        )
    else:
        evaluations.append(
            Evaluation.not_assessed(
                "fairness",
                "Fairness across customer groups",
                "the data set carries no customer attributes (queries are not linked to people)",
                ["HKMA-AI-8", "HKMA-BDAI-FAIR"],
            )
        )
    rows = exp.explain_rows if explain_rows is None else explain_rows
    evaluations.append(_explain_multiclass(data, estimator, proba, rows))
    evaluations.append(_robustness(exp, params, data, estimator, seed, robustness_limit))
    return _with_sections(evaluations)


def _explain_multiclass(data: Any, estimator: Any, proba: np.ndarray, rows: int) -> Evaluation:
    """Word-occlusion reasons for the least confident decisions (where a reviewer looks first)."""
    title = "Global importance and per-decision reasons"
    evidences = ["HKMA-AI-3"]
    if rows <= 0:
        return Evaluation.not_assessed(
            "explainability", title, "no decisions were chosen for explanation", evidences
        )
    x_test = data.test[data.inputs]
    confidence = proba.max(axis=1)
    chosen = np.argsort(confidence, kind="stable")[:rows]
    background = data.train[data.inputs].sample(n=min(len(data.train), 500), random_state=0)
    reasons: list[dict[str, Any]] = []
    for row in chosen:
        top = int(proba[row].argmax())
        found = decision_reasons(
            lambda frame, top=top: _log_odds(
                np.asarray(estimator.predict_proba(frame), dtype=float)[:, top]
            ),
            x_test.iloc[[row]],
            background,
        )
        for item in found:
            item["score"] = float(1 / (1 + np.exp(-item["score"])))
            item["predicted"] = data.class_names[top]
            item["true"] = data.class_names[int(data.test[data.target].iloc[row])]
        reasons.extend(found)
    return Evaluation(
        scorer="explainability",
        title=title,
        evidences=evidences,
        evidence={"decision_reasons": reasons, "decision_reasons_unit": "log-odds"},
        notes=[
            "Global importance does not apply to an encoder's dense features; each of the least "
            "confident test decisions is explained by removing one word at a time and measuring "
            "the change in the log-odds of the predicted class.",
        ],
    )


def _explain(
    exp: Any, data: Any, estimator: Any, scores: np.ndarray, y: np.ndarray, seed: int, rows: int
) -> Evaluation:
    x_test = data.test[data.inputs]
    result = global_importance(estimator, x_test, y, seed=seed, n_repeats=3, max_rows=3000)
    if rows > 0:
        top = np.argsort(-scores, kind="stable")[:rows]
        background = data.train[data.inputs].sample(n=min(len(data.train), 2000), random_state=seed)
        # Occlusion in log-odds: near-certain scores (0.999...) still show which inputs matter.
        reasons = decision_reasons(
            lambda frame: _log_odds(_positive_scores(estimator, frame)),
            x_test.iloc[top],
            background,
        )
        for row in reasons:
            row["score"] = float(1 / (1 + np.exp(-row["score"])))
        result.evidence["decision_reasons"] = reasons
        result.evidence["decision_reasons_unit"] = "log-odds"
        if result.status == "not_assessed":
            # Per-decision reasons exist even when global importance does not apply.
            result.status = "assessed"
            result.notes.append(f"global importance not assessed: {result.reason}")
            result.reason = ""
    return result


def _robustness(
    exp: Any, params: Any, data: Any, estimator: Any, seed: int, limit: int | None = None
) -> Evaluation:
    if exp.robustness_set is None:
        return Evaluation.not_assessed(
            "robustness",
            "Robustness to perturbed inputs",
            "the use case defines no text perturbations for its (tabular) inputs",
            ["HKMA-AI-5"],
        )
    texts, labels, variants = exp.robustness_set(params, data)
    note = ""
    if limit is not None and len(texts) > limit:
        keep = _stratified_positions(np.asarray(labels), limit, seed)
        texts = [texts[i] for i in keep]
        labels = np.asarray(labels)[keep]
        variants = {name: [values[i] for i in keep] for name, values in variants.items()}
        note = f"run on {len(keep)} texts (the model's evaluation budget), not the full set"
    column = data.inputs[0]
    multiclass = exp.task is TaskKind.MULTICLASS
    threshold = exp.operating_threshold(params)

    def predict(batch: list[str]) -> np.ndarray:
        frame = pd.DataFrame({column: list(batch)})
        if multiclass:
            return np.asarray(estimator.predict_proba(frame), dtype=float)
        return _positive_scores(estimator, frame)

    result = robustness(
        predict,
        texts,
        labels,
        threshold=None if multiclass else (0.5 if threshold is None else threshold),
        perturbations=perturbations(exp.robustness_lexicon),
        extra_variants=variants,
        seed=seed,
    )
    # Perturbed texts are new strings: a typo or a code-mixed word can turn a redaction
    # placeholder's neighbourhood into something name-like. Keep which rows flipped and their
    # scores, not the texts, so evidence never carries text the privacy guard has not seen.
    for example in result.evidence.get("examples", []):
        example.pop("original", None)
        example.pop("perturbed", None)
    if note:
        result.notes.append(note)
    return result


def _stratified_positions(labels: np.ndarray, limit: int, seed: int) -> list[int]:
    """``limit`` positions keeping the label mix (seeded, in original order)."""
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for value in np.unique(labels):
        where = np.flatnonzero(labels == value)
        share = max(1, round(limit * len(where) / len(labels)))
        keep.extend(rng.choice(where, size=min(share, len(where)), replace=False).tolist())
    return sorted(keep)[:limit] if len(keep) > limit else sorted(keep)


def evaluate_data(data: Any) -> list[Evaluation]:
    """Run-level data evaluations: population drift between the train and test splits."""
    columns = data.drift_columns if data.drift_columns is not None else data.inputs
    return [population_drift(data.train, data.test, columns)]


def flat_metrics(evaluations: list[Evaluation]) -> dict[str, float]:
    """Headline metrics of every assessed evaluation, for logging and thresholds."""
    merged: dict[str, float] = {}
    for evaluation in evaluations:
        if evaluation.status == "assessed":
            merged.update(evaluation.metrics)
    return merged
