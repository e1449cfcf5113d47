"""Multiclass outcome metrics and the confusion scorer: accuracy, macro-F1, per-class F1 and the
class pairs a model confuses most (for intent routing and other many-class tasks).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn import metrics as skm

from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.registry import scorer
from sandbox.tasks import TaskKind

SCORER = "confusion"
TITLE = "Per-class results and the most-confused class pairs"
EVIDENCES = ["HKMA-AI-5", "SR11-7"]
TOP_PAIRS = 15


def accuracy(y_true: Sequence[int], predicted: Sequence[float]) -> float:
    """Share of rows whose predicted class index equals the true one."""
    y = np.asarray(y_true, dtype=int)
    return float(np.mean(y == np.asarray(predicted, dtype=int))) if len(y) else float("nan")


def macro_f1(y_true: Sequence[int], predicted: Sequence[float]) -> float:
    """Unweighted mean F1 over the classes present in the labels or the predictions."""
    y = np.asarray(y_true, dtype=int)
    if not len(y):
        return float("nan")
    return float(
        skm.f1_score(y, np.asarray(predicted, dtype=int), average="macro", zero_division=0)
    )


def multiclass_metrics(y_true: Sequence[int], proba: np.ndarray) -> dict[str, float]:
    """Headline metrics of a probability matrix (rows: examples, columns: class indices).

    Returns ``n``, ``accuracy``, ``macro_f1``, ``weighted_f1``, ``top3_accuracy`` and
    ``log_loss`` (natural log, probabilities clipped at 1e-15).
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(proba, dtype=float)
    predicted = p.argmax(axis=1)
    top3 = np.argsort(-p, axis=1)[:, :3]
    clipped = np.clip(p[np.arange(len(y)), y], 1e-15, 1.0)
    return {
        "n": float(len(y)),
        "accuracy": accuracy(y, predicted),
        "macro_f1": macro_f1(y, predicted),
        "weighted_f1": float(
            skm.f1_score(y, predicted, average="weighted", zero_division=0) if len(y) else np.nan
        ),
        "top3_accuracy": float(np.mean([yi in row for yi, row in zip(y, top3, strict=True)])),
        "log_loss": float(-np.mean(np.log(clipped))),
    }


@scorer(SCORER, title=TITLE, section=ReportSection.OUTCOMES, task_kinds=(TaskKind.MULTICLASS,))
def confusion(
    y_true: Sequence[int], predicted: Sequence[int], class_names: Sequence[str]
) -> Evaluation:
    """Per-class precision/recall/F1 and the most-confused (true, predicted) pairs.

    Metrics: ``worst_class_f1`` (the lowest per-class F1), ``classes_below_0_9`` (how many
    classes have F1 below 0.9).

    Slices ``class``: ``{class name: {n, precision, recall, f1}}``.

    Evidence ``pairs``: up to 15 off-diagonal cells with the most rows, each
    ``{true, predicted, count, share_of_true}``.

    Args:
        y_true: True class indices.
        predicted: Predicted class indices (a negative index, e.g. a hand-off, counts as wrong
            and is left out of the pairs).
        class_names: Name of each class index.

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` without rows.
    """
    y = np.asarray(y_true, dtype=int)
    pred = np.asarray(predicted, dtype=int)
    if len(y) != len(pred):
        raise ValueError(f"labels and predictions differ in length: {len(y)} vs {len(pred)}")
    if not len(y):
        return Evaluation.not_assessed(SCORER, TITLE, "no rows to assess", EVIDENCES)
    k = len(class_names)
    labels = list(range(k))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=0
    )
    per_class = {
        class_names[i]: {
            "n": float(support[i]),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
        }
        for i in labels
        if support[i] > 0
    }
    kept = pred >= 0
    matrix = skm.confusion_matrix(y[kept], pred[kept], labels=labels)
    np.fill_diagonal(matrix, 0)
    order = np.argsort(-matrix, axis=None, kind="stable")[:TOP_PAIRS]
    pairs = []
    for flat in order:
        true_index, predicted_index = divmod(int(flat), k)
        count = int(matrix[true_index, predicted_index])
        if count == 0:
            break
        pairs.append(
            {
                "true": class_names[true_index],
                "predicted": class_names[predicted_index],
                "count": count,
                "share_of_true": count / max(int(support[true_index]), 1),
            }
        )
    present = [v["f1"] for v in per_class.values()]
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        metrics={
            "worst_class_f1": float(min(present)),
            "classes_below_0_9": float(sum(v < 0.9 for v in present)),
        },
        slices={"class": per_class},
        evidence={"pairs": pairs, "n": int(len(y)), "classes": k},
        notes=[
            "Pairs are off-diagonal cells of the confusion matrix (true class -> predicted "
            "class) with the most test rows; share_of_true is the share of the true class's "
            "rows that went to the predicted class."
        ],
    )
