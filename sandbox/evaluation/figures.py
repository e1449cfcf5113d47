"""Figures for classification runs: PR curves, confusion matrix, score distributions, and for
multiclass runs the most-confused class pairs.

Each function returns a matplotlib Figure (Agg backend, no display needed); callers log and close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import average_precision_score, precision_recall_curve  # noqa: E402

_COLOURS = ("#1f4e79", "#c0504d", "#4f9a4f", "#8064a2", "#f79646")


def pr_curves(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    title: str = "Precision-recall on the test split",
) -> Figure:
    """One precision-recall curve per model, with AUPRC in the legend and the prevalence line."""
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=110)
    prevalence = None
    for colour, (label, (y, s)) in zip(_COLOURS, curves.items(), strict=False):
        y = np.asarray(y)
        precision, recall, _ = precision_recall_curve(y, s)
        ap = average_precision_score(y, s)
        ax.step(
            recall, precision, where="post", color=colour, lw=1.8, label=f"{label} (AUPRC {ap:.3f})"
        )
        prevalence = float(y.mean())
    if prevalence is not None:
        ax.axhline(prevalence, color="grey", ls="--", lw=1, label=f"prevalence {prevalence:.3%}")
    ax.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def confusion_matrix(
    y_true: Sequence[int],
    decisions: Sequence[int],
    operating_point: str,
    labels: tuple[str, str] = ("negative", "positive"),
) -> Figure:
    """Counts and row shares of 0/1 decisions at the operating point."""
    y = np.asarray(y_true, dtype=int)
    pred = np.asarray(decisions, dtype=int)
    matrix = np.array([[((y == t) & (pred == p)).sum() for p in (0, 1)] for t in (0, 1)])
    fig, ax = plt.subplots(figsize=(4.6, 4), dpi=110)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for t in (0, 1):
        for p in (0, 1):
            colour = "white" if shares[t, p] > 0.6 else "black"
            ax.text(
                p,
                t,
                f"{matrix[t, p]:,}\n({shares[t, p]:.1%})",
                ha="center",
                va="center",
                color=colour,
                fontsize=10,
            )
    ax.set_xticks([0, 1], [f"pred {labels[0]}", f"pred {labels[1]}"])
    ax.set_yticks([0, 1], [f"true {labels[0]}", f"true {labels[1]}"])
    ax.set_title(f"Confusion matrix at {operating_point}", fontsize=10)
    fig.tight_layout()
    return fig


def score_distribution(
    y_true: Sequence[int],
    scores: Sequence[float],
    threshold: float | None,
    labels: tuple[str, str] = ("negative", "positive"),
    title: str = "Score distribution by true class",
) -> Figure:
    """Histograms of scores per true class (density, log-scaled counts hide the rare class)."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    bins = np.linspace(0, 1, 41)
    for colour, cls, name in ((_COLOURS[0], 0, labels[0]), (_COLOURS[1], 1, labels[1])):
        values = s[y == cls]
        if len(values):
            ax.hist(
                values,
                bins=bins,
                alpha=0.55,
                color=colour,
                density=True,
                label=f"{name} (n={len(values):,})",
            )
    if threshold is not None:
        ax.axvline(threshold, color="black", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set(xlabel="Model score", ylabel="Density", title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def confused_pairs(
    y_true: Sequence[int],
    predicted: Sequence[int],
    class_names: Sequence[str],
    top: int = 15,
    title: str = "Most-confused class pairs on the test split",
) -> Figure:
    """Horizontal bars: the off-diagonal (true -> predicted) cells with the most test rows."""
    y = np.asarray(y_true, dtype=int)
    pred = np.asarray(predicted, dtype=int)
    k = len(class_names)
    keep = (pred >= 0) & (pred != y)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y[keep], pred[keep]), 1)
    order = np.argsort(-counts, axis=None, kind="stable")[:top]
    pairs = [divmod(int(i), k) for i in order if counts.flat[int(i)] > 0][::-1]
    fig, ax = plt.subplots(figsize=(7.2, 0.32 * max(len(pairs), 1) + 1.3), dpi=110)
    if pairs:
        labels = [f"{class_names[t]} → {class_names[p]}" for t, p in pairs]
        ax.barh(range(len(pairs)), [counts[t, p] for t, p in pairs], color=_COLOURS[1])
        ax.set_yticks(range(len(pairs)), labels, fontsize=7)
    else:
        ax.text(0.5, 0.5, "no confusions", ha="center", va="center", transform=ax.transAxes)
    ax.set(xlabel="Test rows (true → predicted)")
    fig.suptitle(title, fontsize=10)  # over the whole figure: long class names narrow the axes
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    plt.close(fig)
