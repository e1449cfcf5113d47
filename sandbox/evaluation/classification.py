"""Binary-classification scorers: threshold metrics, ranking metrics and review-capacity metrics.

All functions take true labels (0/1) and scores (higher = more likely positive) and return plain
floats, so the same keys can be logged for every model of an experiment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm


def _as_arrays(y_true: Sequence[int], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.shape} vs {s.shape}")
    return y, s


def binary_metrics(
    y_true: Sequence[int], scores: Sequence[float], threshold: float = 0.5
) -> dict[str, float]:
    """Metrics at an operating threshold plus threshold-free ranking metrics.

    Returns keys: n, positives, prevalence, tp, fp, fn, tn, precision, recall, f1, accuracy,
    roc_auc, gini (``2 * roc_auc - 1``), ks (:func:`ks_statistic`), auprc (average precision),
    brier. Ranking metrics are NaN when only one class is present; precision is 0 when nothing
    is flagged.
    """
    y, s = _as_arrays(y_true, scores)
    pred = (s >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    both_classes = 0 < y.sum() < len(y)
    auc = float(skm.roc_auc_score(y, s)) if both_classes else math.nan
    return {
        "n": float(len(y)),
        "positives": float(y.sum()),
        "prevalence": float(y.mean()) if len(y) else math.nan,
        "tp": float(tp),
        "fp": float(fp),
        "fn": float(fn),
        "tn": float(tn),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "accuracy": (tp + tn) / len(y) if len(y) else math.nan,
        "roc_auc": auc,
        "gini": 2 * auc - 1,
        "ks": ks_statistic(y, s),
        "auprc": float(skm.average_precision_score(y, s)) if both_classes else math.nan,
        "brier": float(np.mean((s - y) ** 2)) if len(y) else math.nan,
    }


def ks_statistic(y_true: Sequence[int], scores: Sequence[float]) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of
    positives and negatives, ``max(TPR - FPR)`` over thresholds (NaN with one class only)."""
    y, s = _as_arrays(y_true, scores)
    if not 0 < y.sum() < len(y):
        return math.nan
    fpr, tpr, _ = skm.roc_curve(y, s)
    return float(np.max(tpr - fpr))


def top_k_per_group(scores: Sequence[float], groups: Sequence[object], k: int) -> np.ndarray:
    """Boolean mask of the ``k`` highest scores within each group (e.g. each day's alert queue).

    Ties are broken by position so the result is deterministic.
    """
    frame = pd.DataFrame({"score": np.asarray(scores, dtype=float), "group": list(groups)})
    rank = frame.groupby("group", sort=False)["score"].rank(method="first", ascending=False)
    return (rank <= k).to_numpy()


def capacity_metrics(
    y_true: Sequence[int],
    scores: Sequence[float],
    groups: Sequence[object],
    capacity: int,
    *,
    fn_cost: float,
    fp_cost: float,
) -> dict[str, float]:
    """Metrics when investigators review only the top ``capacity`` alerts per group (day).

    Expected cost = fn_cost x frauds not alerted + fp_cost x alerts that were not fraud.

    Returns keys: alerts, precision_at_capacity, recall_at_capacity, expected_cost,
    cost_per_1k_txn, cost_saving_vs_no_model (cost without a model is fn_cost x all frauds).
    """
    y, _ = _as_arrays(y_true, scores)
    alerted = top_k_per_group(scores, groups, capacity)
    tp = int((alerted & (y == 1)).sum())
    fp = int((alerted & (y == 0)).sum())
    fn = int((~alerted & (y == 1)).sum())
    cost = fn_cost * fn + fp_cost * fp
    no_model_cost = fn_cost * int(y.sum())
    return {
        "alerts": float(alerted.sum()),
        "precision_at_capacity": tp / (tp + fp) if tp + fp else 0.0,
        "recall_at_capacity": tp / (tp + fn) if tp + fn else 0.0,
        "expected_cost": float(cost),
        "cost_per_1k_txn": float(cost) / len(y) * 1000 if len(y) else math.nan,
        "cost_saving_vs_no_model": float(no_model_cost - cost),
    }


def sliced(
    metric_fn,
    slices: pd.Series,
    y_true: Sequence[int],
    scores: Sequence[float],
    *,
    keys: Sequence[str],
    min_size: int = 1,
    **kwargs,
) -> dict[str, dict[str, float]]:
    """Apply ``metric_fn`` per slice value; returns {slice value: {key: value}} for ``keys``."""
    y, s = _as_arrays(y_true, scores)
    values = np.asarray(slices)
    result: dict[str, dict[str, float]] = {}
    for value in sorted({str(v) for v in values}):
        mask = values.astype(str) == value
        if mask.sum() < min_size:
            continue
        computed = metric_fn(y[mask], s[mask], **kwargs)
        result[value] = {k: computed[k] for k in keys}
    return result
