"""Figures drawn at report time from the evidence stored in RunRecords (never from raw data).

Each function returns PNG bytes, or None when there is nothing to draw. PNGs carry no timestamp,
so the same record always gives the same bytes (the sign-off hash depends on it).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sandbox.experiment import ModelResult, RunRecord  # noqa: E402

_COLOURS = ("#1f4e79", "#c0504d", "#4f9a4f", "#8064a2", "#f79646")
plt.rcParams["font.sans-serif"] = ["DejaVu Sans", "WenQuanYi Micro Hei"]
plt.rcParams["svg.hashsalt"] = "sandbox"


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def reliability(models: Sequence[ModelResult]) -> bytes | None:
    """Reliability diagram: mean score vs observed positive share per score bin, one line per
    model (multiclass: top-class confidence vs share right)."""
    drawn = False
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    for colour, model in zip(_COLOURS, models, strict=False):
        evaluation = model.evaluation("calibration")
        if evaluation is None or evaluation.status != "assessed":
            continue
        bins = evaluation.evidence.get("reliability", [])
        if not bins:
            continue
        x = [b["mean_score"] for b in bins]
        y = [b["fraction_positive"] for b in bins]
        sizes = np.sqrt([max(b["count"], 1) for b in bins])
        ece = evaluation.metrics.get("ece", float("nan"))
        ax.plot(x, y, color=colour, lw=1.5, label=f"{model.role} (ECE {ece:.3f})")
        ax.scatter(x, y, s=4 + 30 * sizes / sizes.max(), color=colour, zorder=3)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set(
        xlabel="Mean model score in bin",
        ylabel="Observed positive share",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="Reliability (marker size ~ rows in bin)",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return _png(fig)


def fairness_rates(
    models: Sequence[ModelResult], attribute: str, decision: str = "flag"
) -> bytes | None:
    """Selection rate (the use case's decision: alert, flag, ...) per group of one attribute,
    side by side per model."""
    series: list[tuple[str, dict[str, float]]] = []
    for model in models:
        evaluation = model.evaluation("fairness")
        if evaluation is None or evaluation.status != "assessed":
            continue
        groups = evaluation.slices.get(attribute)
        if groups:
            series.append((model.role, {g: v["selection_rate"] for g, v in groups.items()}))
    if not series:
        return None
    groups = sorted({g for _, rates in series for g in rates})
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    width = 0.8 / len(series)
    positions = np.arange(len(groups))
    for index, (colour, (role, rates)) in enumerate(zip(_COLOURS, series, strict=False)):
        values = [rates.get(g, np.nan) * 100 for g in groups]
        ax.bar(positions + index * width, values, width, color=colour, label=role)
    ax.set_xticks(positions + width * (len(series) - 1) / 2, groups, rotation=30, ha="right")
    noun = decision.capitalize()
    ax.set(ylabel=f"{noun} rate (%)", title=f"{noun} rate by {attribute.replace('_', ' ')}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def importance(model: ModelResult, positive: str = "positive", top: int = 12) -> bytes | None:
    """Permutation importance (or linear-term weights for text models) of one model."""
    evaluation = model.evaluation("explainability")
    if evaluation is None:
        return None
    rows = evaluation.evidence.get("importance")
    if rows:
        rows = sorted(rows, key=lambda r: r["mean"], reverse=True)[:top][::-1]
        labels = [r["feature"] for r in rows]
        values = [r["mean"] for r in rows]
        errors = [r.get("std", 0.0) for r in rows]
        xlabel = "Drop in average precision when the feature is shuffled"
    else:
        terms = evaluation.evidence.get("terms")
        if not terms:
            return None
        positive = terms.get("positive", [])[: top // 2]
        negative = terms.get("negative", [])[: top // 2]
        # most negative at the bottom, most positive at the top
        rows = sorted([*positive, *negative], key=lambda r: r["coefficient"])
        labels = [repr(r["term"].rsplit("__", 1)[-1]) for r in rows]
        values = [r["coefficient"] for r in rows]
        errors = None
        xlabel = f"Coefficient in the linear model (positive = towards {positive})"
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(labels) + 1.2))
    colours = [_COLOURS[1] if v > 0 else _COLOURS[0] for v in values]
    ax.barh(range(len(labels)), values, xerr=errors, color=colours, alpha=0.85)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set(xlabel=xlabel, title=f"Global importance: {model.name}")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def drift(record: RunRecord) -> bytes | None:
    """PSI per feature between the train and test populations, with the usual bands."""
    evaluation = record.evaluation("drift")
    if evaluation is None or evaluation.status != "assessed":
        return None
    table = evaluation.evidence.get("table", [])[:15]
    if not table:
        return None
    table = table[::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.3 * len(table) + 1.3))
    values = [r["psi"] for r in table]
    colours = [
        _COLOURS[2] if v < 0.1 else (_COLOURS[4] if v < 0.25 else _COLOURS[1]) for v in values
    ]
    ax.barh(range(len(table)), values, color=colours)
    ax.set_yticks(range(len(table)), [r["feature"] for r in table], fontsize=8)
    for limit in (0.1, 0.25):
        ax.axvline(limit, color="grey", ls="--", lw=1)
    ax.set(xlabel="Population stability index (train -> test)", title="Population drift")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)
