"""Fairness scorer: demographic parity and equal opportunity gaps per protected attribute.

Owns group eligibility (minimum group size, groups without positives) and the gap intervals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equal_opportunity_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from sandbox.evaluation.base import Evaluation, Interval, ReportSection
from sandbox.evaluation.registry import scorer
from sandbox.tasks import TaskKind

SCORER = "fairness"
TITLE = "Fairness of decisions across protected groups"
EVIDENCES = ["HKMA-AI-8", "HKMA-BDAI-FAIR"]


def _cells(y: np.ndarray, d: np.ndarray, g: np.ndarray) -> pd.DataFrame:
    """Rows collapsed to one weighted row per (group, label, decision) combination.

    Every rate used here is a weighted count ratio, so fairlearn computes exactly the same
    values on this table (with ``sample_weight``) as on the rows, in milliseconds instead of
    seconds for hundreds of thousands of rows.
    """
    frame = pd.DataFrame({"group": g, "y": y, "d": d})
    return (
        frame.value_counts(sort=False)
        .rename("weight")
        .reset_index()
        .sort_values(["group", "y", "d"], ignore_index=True)
    )


def _group_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Per-group n, positives, selection rate, TPR and FPR (fairlearn ``MetricFrame``).

    fairlearn reports a rate of 0 for a group with no positives (TPR) or no negatives (FPR);
    those rates are undefined, so they are set to NaN here.
    """
    weight = {"sample_weight": cells["weight"].to_numpy()}
    rates = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
        },
        y_true=cells["y"].to_numpy(),
        y_pred=cells["d"].to_numpy(),
        sensitive_features=cells["group"].rename("group"),
        sample_params={"selection_rate": weight, "tpr": weight, "fpr": weight},
    ).by_group.astype(float)
    by_group = cells.assign(positives=cells["weight"] * cells["y"]).groupby("group")
    table = pd.DataFrame(
        {"n": by_group["weight"].sum(), "positives": by_group["positives"].sum()}
    ).astype(float)
    table = table.join(rates)
    table.loc[table["positives"] == 0, "tpr"] = math.nan
    table.loc[table["positives"] == table["n"], "fpr"] = math.nan
    return table


def _bootstrap_gaps(
    cells: pd.DataFrame,
    dp_groups: pd.Index,
    eo_groups: pd.Index,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Demographic parity and equal opportunity gaps over row resamples.

    Drawing n rows with replacement is the same as drawing the (group, label, decision) cell
    counts from a multinomial with the cells' shares, which is what is done here, for all
    resamples at once. A resample where fewer than two of the given groups have a defined rate
    gives NaN.
    """
    weight = cells["weight"].to_numpy(dtype=float)
    n = int(weight.sum())
    counts = rng.multinomial(n, weight / weight.sum(), size=n_boot).astype(float)
    y, d = cells["y"].to_numpy(dtype=float), cells["d"].to_numpy(dtype=float)

    def per_group(values: np.ndarray, groups: pd.Index) -> np.ndarray:
        onehot = (cells["group"].to_numpy()[:, None] == groups.to_numpy()[None, :]).astype(float)
        return counts @ (onehot * values[:, None])

    def gaps(rates: np.ndarray) -> np.ndarray:
        defined = (~np.isnan(rates)).sum(axis=1) >= 2
        result = np.full(len(rates), math.nan)
        if defined.any():
            usable = rates[defined]
            result[defined] = np.nanmax(usable, axis=1) - np.nanmin(usable, axis=1)
        return result

    ones = np.ones_like(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        selection = per_group(d, dp_groups) / per_group(ones, dp_groups)
        tpr = per_group(y * d, eo_groups) / per_group(y, eo_groups)
    return gaps(selection), gaps(tpr)


@scorer(
    SCORER,
    title=TITLE,
    section=ReportSection.FAIRNESS,
    task_kinds=(TaskKind.BINARY, TaskKind.MULTICLASS),
)
def fairness(
    y_true: Sequence[int],
    decisions: Sequence[int],
    groups: Mapping[str, Sequence[object]],
    *,
    n_boot: int = 200,
    seed: int = 0,
    min_group_size: int = 30,
    level: float = 0.95,
) -> Evaluation:
    """Gaps in selection rate and true positive rate between groups of each protected attribute.

    A group takes part in the gaps of its attribute only if it has at least ``min_group_size``
    rows; smaller groups are still reported in ``slices`` and named in the notes. A group with
    no positives has an undefined TPR and takes no part in the equal opportunity gap. An
    attribute with fewer than two eligible groups gets no gap metric, only a note.

    Metrics (for each attribute ``<A>`` in ``groups``):
        ``dpd.<A>``: demographic parity difference, the largest minus the smallest selection
        rate (share of rows with decision 1) among eligible groups.
        ``eod.<A>``: equal opportunity difference, the largest minus the smallest true positive
        rate among eligible groups that have positives.
        ``dpd_max`` / ``eod_max``: the largest ``dpd.<A>`` / ``eod.<A>`` over attributes.

    Intervals for ``dpd.<A>`` and ``eod.<A>``: percentile bootstrap over resamples of rows
    (the set of eligible groups is fixed from the full data).

    Slices: ``{<A>: {group: {"n", "selection_rate", "tpr", "fpr", "positives"}}}``, where
    ``tpr`` (``fpr``) is NaN for a group without positives (negatives).

    Args:
        y_true: True labels (0/1).
        decisions: Binary decisions (0/1), e.g. alerts at the operating threshold.
        groups: Attribute name -> per-row group value (same length as ``y_true``).
        n_boot: Number of bootstrap resamples for the intervals.
        seed: Seed for :func:`numpy.random.default_rng`; the same seed gives the same result.
        min_group_size: Fewest rows for a group to take part in the gaps.
        level: Confidence level of the intervals, in (0, 1).

    Returns:
        An assessed :class:`Evaluation`; ``not_assessed`` (slices and notes kept) when there is
        no data, no attribute, or no attribute with two eligible groups.

    Raises:
        ValueError: If lengths differ, labels or decisions are not 0/1, ``n_boot < 1`` or
            ``level`` is outside (0, 1).
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    y = np.asarray(y_true, dtype=float).ravel()
    d = np.asarray(decisions, dtype=float).ravel()
    if y.shape != d.shape:
        raise ValueError(f"labels and decisions differ in length: {y.shape} vs {d.shape}")
    if not (np.isin(y, (0.0, 1.0)).all() and np.isin(d, (0.0, 1.0)).all()):
        raise ValueError("labels and decisions must be 0 or 1")
    for attribute, values in groups.items():
        if len(values) != len(y):
            raise ValueError(
                f"group attribute {attribute!r} has {len(values)} values for {len(y)} rows"
            )
    if len(y) == 0:
        return Evaluation.not_assessed(SCORER, TITLE, "no decisions to assess", EVIDENCES)
    if not groups:
        return Evaluation.not_assessed(
            SCORER, TITLE, "no protected attribute was declared", EVIDENCES
        )
    y, d = y.astype(int), d.astype(int)

    tail = (1 - level) / 2
    metrics: dict[str, float] = {}
    intervals: dict[str, Interval] = {}
    slices: dict[str, dict[str, dict[str, float]]] = {}
    skipped: dict[str, int] = {}
    notes = [
        f"Gaps are largest minus smallest group rate over groups with at least {min_group_size} "
        f"rows; intervals are {level:.0%} percentile bootstrap over {n_boot} row resamples "
        f"(seed {seed}). Largest-minus-smallest gaps of noisy rates are biased upwards, so "
        "with small groups the interval can lie above the point estimate."
    ]
    for attribute, values in groups.items():
        cells = _cells(y, d, np.array([str(v) for v in values], dtype=object))
        table = _group_table(cells)
        slices[attribute] = {
            str(group): {
                k: float(row[k]) for k in ("n", "selection_rate", "tpr", "fpr", "positives")
            }
            for group, row in table.iterrows()
        }
        eligible = table.index[table["n"] >= min_group_size]
        small = table.index[table["n"] < min_group_size]
        if len(small):
            notes.append(
                f"{attribute}: groups below {min_group_size} rows are excluded from the gaps: "
                f"{', '.join(map(str, small))}."
            )
        if len(eligible) < 2:
            notes.append(
                f"{attribute}: fewer than two groups with at least {min_group_size} rows, "
                "so no gap is measured."
            )
            continue
        with_positives = eligible[table.loc[eligible, "positives"] > 0]
        if len(with_positives) < len(eligible):
            notes.append(
                f"{attribute}: groups without positives have no TPR and are excluded from the "
                f"equal opportunity gap: "
                f"{', '.join(map(str, eligible.difference(with_positives)))}."
            )

        dp_cells = cells[cells["group"].isin(eligible)]
        metrics[f"dpd.{attribute}"] = float(
            demographic_parity_difference(
                dp_cells["y"].to_numpy(),
                dp_cells["d"].to_numpy(),
                sensitive_features=dp_cells["group"].to_numpy(),
                sample_weight=dp_cells["weight"].to_numpy(),
            )
        )
        if len(with_positives) >= 2:
            eo_cells = cells[cells["group"].isin(with_positives)]
            metrics[f"eod.{attribute}"] = float(
                equal_opportunity_difference(
                    eo_cells["y"].to_numpy(),
                    eo_cells["d"].to_numpy(),
                    sensitive_features=eo_cells["group"].to_numpy(),
                    sample_weight=eo_cells["weight"].to_numpy(),
                )
            )
        else:
            notes.append(
                f"{attribute}: fewer than two eligible groups have positives, so no equal "
                "opportunity gap is measured."
            )

        # Seeded per attribute, so an attribute's interval does not depend on the others.
        dp_samples, eo_samples = _bootstrap_gaps(
            cells, eligible, with_positives, n_boot, np.random.default_rng(seed)
        )
        for key, samples in ((f"dpd.{attribute}", dp_samples), (f"eod.{attribute}", eo_samples)):
            if key not in metrics:
                continue
            samples = samples[~np.isnan(samples)]
            skipped[key] = n_boot - len(samples)
            if skipped[key]:
                notes.append(
                    f"{key}: {skipped[key]} of {n_boot} resamples skipped "
                    "(fewer than two groups with a defined rate)."
                )
            if len(samples):
                low, high = np.quantile(samples, [tail, 1 - tail])
                intervals[key] = Interval(low=float(low), high=float(high), level=level)

    for prefix in ("dpd", "eod"):
        gaps = [v for k, v in metrics.items() if k.startswith(f"{prefix}.")]
        if gaps:
            metrics[f"{prefix}_max"] = max(gaps)
    evidence = {"min_group_size": min_group_size, "n_boot": n_boot, "skipped": skipped}
    if not metrics:
        return Evaluation.not_assessed(
            SCORER,
            TITLE,
            f"no attribute has two groups with at least {min_group_size} rows",
            EVIDENCES,
            notes=notes,
            slices=slices,
            evidence=evidence,
        )
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        metrics=metrics,
        intervals=intervals,
        slices=slices,
        evidence=evidence,
        notes=notes,
    )
