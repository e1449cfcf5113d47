"""Calibration scorer: Brier score, expected and maximum calibration error, reliability table.

Owns the binning used for the reliability diagram so that the ECE and the figure always agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import brier_score_loss

from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.registry import scorer
from sandbox.tasks import TaskKind

SCORER = "calibration"
TITLE = "Calibration of predicted probabilities"
EVIDENCES = ["HKMA-AI-5"]


def _validate(y_true: Sequence[int], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.shape} vs {s.shape}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    if np.isnan(s).any() or (s < 0).any() or (s > 1).any():
        raise ValueError("scores must be probabilities in [0, 1] without NaN")
    return y.astype(int), s


def reliability_bins(
    y_true: Sequence[int], scores: Sequence[float], n_bins: int = 10
) -> list[dict[str, float | int]]:
    """Reliability table over ``n_bins`` equal-width bins of [0, 1]; empty bins are left out.

    Bins are closed on the right, ``(low, high]``, with the first bin also holding 0, which is
    the convention of :func:`sklearn.calibration.calibration_curve` (``strategy="uniform"``).

    Args:
        y_true: True labels (0/1).
        scores: Predicted probabilities of the positive class.
        n_bins: Number of equal-width bins.

    Returns:
        One row per non-empty bin: ``bin_low``, ``bin_high``, ``mean_score``,
        ``fraction_positive`` and ``count``.

    Raises:
        ValueError: If lengths differ, labels are not 0/1, scores are outside [0, 1] or
            ``n_bins`` is below 1.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    y, s = _validate(y_true, scores)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], s)
    count = np.bincount(bin_ids, minlength=n_bins)
    score_sum = np.bincount(bin_ids, weights=s, minlength=n_bins)
    positive_sum = np.bincount(bin_ids, weights=y, minlength=n_bins)
    return [
        {
            "bin_low": float(edges[b]),
            "bin_high": float(edges[b + 1]),
            "mean_score": float(score_sum[b] / count[b]),
            "fraction_positive": float(positive_sum[b] / count[b]),
            "count": int(count[b]),
        }
        for b in np.flatnonzero(count)
    ]


@scorer(
    SCORER,
    title=TITLE,
    section=ReportSection.CALIBRATION_STABILITY,
    task_kinds=(TaskKind.BINARY, TaskKind.MULTICLASS),
)
def calibration(y_true: Sequence[int], scores: Sequence[float], n_bins: int = 10) -> Evaluation:
    """How far predicted probabilities are from observed frequencies.

    Metrics:
        ``brier``: mean squared error of the probabilities (sklearn ``brier_score_loss``).
        ``ece``: expected calibration error, sum over non-empty bins of
        ``count / n * |mean_score - fraction_positive|``.
        ``mce``: maximum calibration error, the largest ``|mean_score - fraction_positive|``
        over non-empty bins.

    Evidence ``reliability`` holds the per-bin table (see :func:`reliability_bins`) built with
    the same bins as the ECE. For binary scores with both classes present, evidence ``curves``
    also holds the ROC and precision-recall curves at most 101 points each
    (``{"roc": [[fpr, tpr], ...], "pr": [[recall, precision], ...]}``), so that runs can be
    compared curve by curve without their scores.

    Multiclass scores (an ``(n, k)`` matrix, one column per class, with ``y_true`` the class
    index) are judged by top-label calibration: the confidence of the top class against whether
    the top class is right; the Brier score is then the multiclass one (sum over classes).

    Args:
        y_true: True labels (0/1), or class indices for multiclass scores. A single class is
            allowed (all metrics remain defined).
        scores: Predicted probabilities of the positive class, in [0, 1], or an ``(n, k)``
            probability matrix.
        n_bins: Number of equal-width bins over [0, 1].

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` when there is no data or the
        scores are not probabilities (e.g. anomaly scores).

    Raises:
        ValueError: If lengths differ, labels are not 0/1 or ``n_bins`` is below 1.
    """
    matrix = np.asarray(scores, dtype=float)
    multiclass_brier: float | None = None
    if matrix.ndim == 2 and matrix.shape[1] > 1 and len(matrix):
        classes = np.asarray(y_true, dtype=int).ravel()
        if len(classes) != len(matrix):
            raise ValueError(f"labels and scores differ in length: {len(classes)} vs {len(matrix)}")
        onehot = np.zeros_like(matrix)
        onehot[np.arange(len(classes)), classes] = 1.0
        multiclass_brier = float(np.mean(np.sum((matrix - onehot) ** 2, axis=1)))
        y_true = (matrix.argmax(axis=1) == classes).astype(int)
        scores = matrix.max(axis=1)
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if len(y) == 0 and len(s) == 0:
        return Evaluation.not_assessed(SCORER, TITLE, "no scored rows to assess", EVIDENCES)
    if len(y) == len(s) and (np.isnan(s).any() or (s < 0).any() or (s > 1).any()):
        return Evaluation.not_assessed(
            SCORER, TITLE, "scores are not probabilities in [0, 1] (or contain NaN)", EVIDENCES
        )
    y, s = _validate(y, s)
    table = reliability_bins(y, s, n_bins)
    gaps = np.array([abs(row["mean_score"] - row["fraction_positive"]) for row in table])
    weights = np.array([row["count"] for row in table]) / len(y)
    notes = [
        f"ECE and MCE use {n_bins} equal-width bins over [0, 1], each bin closed on the right; "
        "ECE weights each bin's |mean score - fraction positive| by its share of rows.",
    ]
    if multiclass_brier is not None:
        notes.append(
            "Top-label calibration: each row's top-class probability against whether the top "
            "class is right; the Brier score sums the squared errors over all classes."
        )
    elif y.min() == y.max():
        notes.append(f"Only one class ({int(y[0])}) is present; calibration is one-sided.")
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        metrics={
            "brier": multiclass_brier
            if multiclass_brier is not None
            else float(brier_score_loss(y, s, labels=[0, 1])),
            "ece": float(np.sum(weights * gaps)),
            "mce": float(gaps.max()),
        },
        evidence={
            "reliability": table,
            "n_bins": n_bins,
            "n": len(y),
            **({"curves": curve_points(y, s)} if multiclass_brier is None else {}),
        },
        notes=notes,
    )


def curve_points(y: np.ndarray, s: np.ndarray, points: int = 101) -> dict[str, list[list[float]]]:
    """ROC ``[fpr, tpr]`` and precision-recall ``[recall, precision]`` curves thinned to at
    most ``points`` points each (empty with one class only)."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    if y.min() == y.max():
        return {"roc": [], "pr": []}
    fpr, tpr, _ = roc_curve(y, s)
    precision, recall, _ = precision_recall_curve(y, s)

    def thin(xs: np.ndarray, ys: np.ndarray) -> list[list[float]]:
        keep = np.unique(np.linspace(0, len(xs) - 1, min(points, len(xs))).round().astype(int))
        return [[round(float(xs[i]), 4), round(float(ys[i]), 4)] for i in keep]

    return {"roc": thin(fpr, tpr), "pr": thin(recall, precision)}
