"""Stability scorers: bootstrap confidence intervals for any metric, and spread across seeds.

Owns the class-stratified resampling used for every interval in the sandbox's reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from sandbox.evaluation.base import Evaluation, Interval, ReportSection
from sandbox.evaluation.registry import scorer
from sandbox.tasks import TaskKind

MetricFn = Callable[[np.ndarray, np.ndarray], float]

BOOTSTRAP_SCORER = "stability"
BOOTSTRAP_TITLE = "Sampling uncertainty of headline metrics (bootstrap)"
SEED_SCORER = "seed_stability"
SEED_TITLE = "Spread of metrics across training seeds"
EVIDENCES = ["HKMA-AI-5"]


def _evaluate(fn: MetricFn, y: np.ndarray, s: np.ndarray) -> float:
    """Value of ``fn`` or NaN where it is undefined (returns NaN or raises ``ValueError``)."""
    try:
        return float(fn(y, s))
    except ValueError:
        return math.nan


def _strata_indices(y: np.ndarray, strata: Sequence[object] | None) -> list[np.ndarray]:
    """Row positions of each resampling cell: each class, or each (class, stratum) pair."""
    frame = pd.DataFrame({"y": y})
    keys = ["y"]
    if strata is not None:
        values = np.asarray(strata, dtype=object)
        if values.shape != y.shape:
            raise ValueError(f"strata and labels differ in length: {values.shape} vs {y.shape}")
        frame["stratum"] = [str(v) for v in values]
        keys.append("stratum")
    cells = frame.groupby(keys, sort=True, dropna=False).indices
    return [np.asarray(cells[key]) for key in sorted(cells, key=str)]


def _resample(cells: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Row positions drawn with replacement within each cell, keeping every cell's size."""
    return np.concatenate([cell[rng.integers(0, len(cell), size=len(cell))] for cell in cells])


@scorer(
    BOOTSTRAP_SCORER,
    title=BOOTSTRAP_TITLE,
    section=ReportSection.CALIBRATION_STABILITY,
    task_kinds=(TaskKind.BINARY, TaskKind.MULTICLASS),
)
def bootstrap_intervals(
    y_true: Sequence[int],
    scores: Sequence[float],
    metrics: Mapping[str, MetricFn],
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    strata: Sequence[object] | None = None,
) -> Evaluation:
    """Point estimates and percentile bootstrap intervals for arbitrary ``metric(y, scores)``.

    Each resample draws rows with replacement within each class (and within each stratum when
    ``strata`` is given), so class counts, including rare positives, are the same as in the
    data. All metrics are computed on the same resamples. A resample where a metric is
    undefined (it returns NaN or raises ``ValueError``) is skipped for that metric only, and
    the number skipped is reported in the notes.

    Metrics:
        ``<name>``: the metric on the full data (NaN when undefined there).
        ``<name>_ci_width``: ``high - low`` of the interval (NaN when no resample was usable).

    Intervals:
        ``<name>``: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the resampled
        values.

    Args:
        y_true: True labels (0/1).
        scores: Scores or predictions passed to each metric alongside the labels.
        metrics: Metric name -> function of ``(y_true, scores)`` returning a float.
        n_boot: Number of bootstrap resamples.
        level: Confidence level of the intervals, in (0, 1).
        seed: Seed for :func:`numpy.random.default_rng`; the same seed gives the same result.
        strata: Optional per-row labels (e.g. segment); resampling is then within each
            (class, stratum) cell.

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` for empty input or no metrics.

    Raises:
        ValueError: If lengths differ, ``n_boot < 1`` or ``level`` is outside (0, 1).
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    y = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.shape} vs {s.shape}")
    if len(y) == 0:
        return Evaluation.not_assessed(
            BOOTSTRAP_SCORER, BOOTSTRAP_TITLE, "no rows to resample", EVIDENCES
        )
    if not metrics:
        return Evaluation.not_assessed(
            BOOTSTRAP_SCORER, BOOTSTRAP_TITLE, "no metrics were requested", EVIDENCES
        )

    cells = _strata_indices(y, strata)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in metrics}
    for _ in range(n_boot):
        idx = _resample(cells, rng)
        for name, fn in metrics.items():
            value = _evaluate(fn, y[idx], s[idx])
            if not math.isnan(value):
                samples[name].append(value)

    stratified_by = "class and stratum" if strata is not None else "class"
    tail = (1 - level) / 2
    values: dict[str, float] = {}
    intervals: dict[str, Interval] = {}
    skipped: dict[str, int] = {}
    notes = [
        f"Percentile bootstrap over {n_boot} resamples drawn within each {stratified_by} "
        f"(seed {seed}); intervals are {level:.0%} two-sided."
    ]
    for name, fn in metrics.items():
        values[name] = _evaluate(fn, y, s)
        if math.isnan(values[name]):
            notes.append(f"{name} is undefined on the full data.")
        skipped[name] = n_boot - len(samples[name])
        if skipped[name]:
            notes.append(
                f"{name}: {skipped[name]} of {n_boot} resamples skipped (metric undefined)."
            )
        if samples[name]:
            low, high = np.quantile(samples[name], [tail, 1 - tail])
            intervals[name] = Interval(
                low=float(low),
                high=float(high),
                level=level,
                method=f"bootstrap percentile (stratified by {stratified_by})",
            )
            values[f"{name}_ci_width"] = float(high - low)
        else:
            values[f"{name}_ci_width"] = math.nan
            notes.append(f"{name}: no usable resample, so no interval.")
    return Evaluation(
        scorer=BOOTSTRAP_SCORER,
        title=BOOTSTRAP_TITLE,
        evidences=list(EVIDENCES),
        metrics=values,
        intervals=intervals,
        evidence={"n_boot": n_boot, "seed": seed, "level": level, "skipped": skipped},
        notes=notes,
    )


@scorer(
    SEED_SCORER,
    title=SEED_TITLE,
    section=ReportSection.CALIBRATION_STABILITY,
    task_kinds=(TaskKind.BINARY, TaskKind.MULTICLASS),
)
def seed_spread(values_by_seed: Mapping[int, Mapping[str, float]]) -> Evaluation:
    """Mean, sample standard deviation and range of each metric across training seeds.

    Only metric keys reported for every seed are summarised; the others are named in the notes.

    Metrics (for each common key ``<key>``):
        ``<key>_seed_mean``: mean over seeds.
        ``<key>_seed_std``: sample standard deviation over seeds (``ddof=1``).
        ``<key>_seed_range``: largest minus smallest value over seeds.

    Evidence ``per_seed`` is a table with one row per seed: ``{"seed": ..., <key>: value}``.

    Args:
        values_by_seed: Seed -> {metric key -> value} from otherwise identical runs.

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` with fewer than two seeds or no
        metric key common to all seeds.
    """
    if len(values_by_seed) < 2:
        return Evaluation.not_assessed(
            SEED_SCORER,
            SEED_TITLE,
            f"needs at least 2 seeds to measure spread, got {len(values_by_seed)}",
            EVIDENCES,
        )
    seeds = sorted(values_by_seed)
    key_sets = [set(values_by_seed[seed]) for seed in seeds]
    common = sorted(set.intersection(*key_sets))
    partial = sorted(set.union(*key_sets) - set(common))
    if not common:
        return Evaluation.not_assessed(
            SEED_SCORER, SEED_TITLE, "no metric is reported for every seed", EVIDENCES
        )
    table = pd.DataFrame(
        [[float(values_by_seed[seed][key]) for key in common] for seed in seeds],
        index=seeds,
        columns=common,
    )
    metrics: dict[str, float] = {}
    for key in common:
        column = table[key]
        metrics[f"{key}_seed_mean"] = float(column.mean(skipna=False))
        metrics[f"{key}_seed_std"] = float(column.std(ddof=1, skipna=False))
        metrics[f"{key}_seed_range"] = float(column.max(skipna=False) - column.min(skipna=False))
    notes = [f"Spread over {len(seeds)} seeds ({', '.join(map(str, seeds))}); std uses ddof=1."]
    if partial:
        notes.append(f"Not reported for every seed, so not summarised: {', '.join(partial)}.")
    per_seed = [
        {"seed": seed, **{key: float(table.at[seed, key]) for key in common}} for seed in seeds
    ]
    return Evaluation(
        scorer=SEED_SCORER,
        title=SEED_TITLE,
        evidences=list(EVIDENCES),
        metrics=metrics,
        evidence={"per_seed": per_seed},
        notes=notes,
    )
