"""Population drift scorer: Population Stability Index (PSI) per feature, reference vs current.

Owns the PSI binning rules (reference quantiles or categories) and the stable/moderate/significant
bands used in reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.registry import scorer

SCORER = "drift"
TITLE = "Population drift of input features (PSI)"
EVIDENCES = ["HKMA-AI-4", "HKMA-AI-9"]

PROPORTION_FLOOR = 1e-4
MODERATE = 0.1
SIGNIFICANT = 0.25
MISSING = "<missing>"


def _is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def _is_free_text(series: pd.Series) -> bool:
    """Object/string column whose values are mostly unique and longer than 20 chars on average."""
    dtype = series.dtype
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return False
    values = series.dropna().astype(str)
    if values.empty:
        return False
    return values.nunique() / len(values) > 0.5 and values.str.len().mean() > 20


def _category_counts(expected: pd.Series, actual: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    def labels(series: pd.Series) -> pd.Series:
        return series.astype(object).where(series.notna(), MISSING).map(str)

    e, a = labels(expected), labels(actual)
    categories = sorted(set(e) | set(a))
    return (
        e.value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float),
        a.value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float),
    )


def _bin_counts(expected: pd.Series, actual: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    def as_float(series: pd.Series) -> np.ndarray:
        if not pd.api.types.is_numeric_dtype(series.dtype):
            raise TypeError(f"cannot compute PSI for dtype {series.dtype}")
        return series.to_numpy(dtype=float, na_value=np.nan)

    e, a = as_float(expected), as_float(actual)
    observed = e[~np.isnan(e)]
    quantiles = np.quantile(observed, np.linspace(0, 1, bins + 1)) if len(observed) else []
    inner = np.unique(quantiles[1:-1])  # outer edges are -inf and +inf

    def counts(x: np.ndarray) -> np.ndarray:
        # Bins are [edge_i, edge_i+1); missing values get a last bin of their own.
        ids = np.where(np.isnan(x), len(inner) + 1, np.searchsorted(inner, x, side="right"))
        return np.bincount(ids, minlength=len(inner) + 2).astype(float)

    return counts(e), counts(a)


def psi(expected: Sequence[object], actual: Sequence[object], bins: int = 10) -> float:
    """Population Stability Index of ``actual`` against ``expected``.

    ``PSI = sum((a_i - e_i) * ln(a_i / e_i))`` over bins, where ``e_i`` and ``a_i`` are the
    shares of each sample in bin ``i``, floored at 1e-4 so that empty bins do not give log(0).

    Numeric data are binned at the ``expected`` sample's quantiles (``bins`` equal-frequency
    bins, duplicate edges merged, outer edges -inf and +inf). Categorical data (object, string,
    category or bool dtype in either sample) get one bin per category seen in either sample.
    Missing values form a bin of their own in both cases.

    Args:
        expected: Reference sample (e.g. training or validation data).
        actual: Current sample (e.g. recent production data).
        bins: Number of quantile bins for numeric data.

    Returns:
        The PSI (0 for identical distributions; larger is more drift).

    Raises:
        ValueError: If either sample is empty or ``bins < 1``.
        TypeError: If numeric binning is needed and a sample is not numeric (e.g. datetimes).
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    e, a = pd.Series(expected), pd.Series(actual)
    if e.empty or a.empty:
        raise ValueError("PSI needs a non-empty expected and actual sample")
    if _is_categorical(e) or _is_categorical(a):
        e_counts, a_counts = _category_counts(e, a)
    else:
        e_counts, a_counts = _bin_counts(e, a, bins)
    e_share = np.maximum(e_counts / e_counts.sum(), PROPORTION_FLOOR)
    a_share = np.maximum(a_counts / a_counts.sum(), PROPORTION_FLOOR)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def psi_band(value: float) -> str:
    """``stable`` (< 0.1), ``moderate`` (0.1 to < 0.25) or ``significant`` (>= 0.25)."""
    if value >= SIGNIFICANT:
        return "significant"
    if value >= MODERATE:
        return "moderate"
    return "stable"


@scorer(
    "drift", title="Population drift between training and test data", section=ReportSection.DATA
)
def population_drift(
    reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str], bins: int = 10
) -> Evaluation:
    """PSI of each feature between a reference and a current sample.

    Columns that cannot be assessed are skipped with a note: missing from either frame, free
    text (object/string values more than 50% unique with mean length over 20 characters, which
    would make every value its own category) or an unsupported dtype.

    Metrics:
        ``psi.<column>``: PSI of the column (see :func:`psi`).
        ``psi_max``: the largest PSI over assessed columns.

    Evidence ``table`` lists ``{"feature", "psi", "band"}`` per assessed column, largest PSI
    first, with ``band`` from :func:`psi_band`.

    Args:
        reference: Reference data (e.g. the training sample).
        current: Current data (e.g. recent production traffic).
        columns: Features to compare.
        bins: Number of quantile bins for numeric features.

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` (with notes) when no column could
        be assessed.
    """
    if reference.empty or current.empty:
        return Evaluation.not_assessed(
            SCORER, TITLE, "reference or current sample has no rows", EVIDENCES
        )
    metrics: dict[str, float] = {}
    notes = [
        "PSI bands: below 0.1 stable, 0.1 to below 0.25 moderate shift (investigate), "
        "0.25 or more significant shift (act).",
        f"Numeric features use {bins} bins at the reference sample's quantiles; categorical "
        "features one bin per category; missing values a bin of their own; shares are floored "
        f"at {PROPORTION_FLOOR:g}.",
    ]
    for column in columns:
        missing_from = [
            name
            for name, frame in (("reference", reference), ("current", current))
            if column not in frame.columns
        ]
        if missing_from:
            notes.append(f"{column}: skipped, not in the {' or '.join(missing_from)} data.")
            continue
        if _is_free_text(reference[column]):
            notes.append(f"{column}: skipped, free text has no stable categories to compare.")
            continue
        try:
            metrics[f"psi.{column}"] = psi(reference[column], current[column], bins=bins)
        except TypeError as exc:
            notes.append(f"{column}: skipped, {exc}.")

    if not metrics:
        return Evaluation.not_assessed(
            SCORER, TITLE, "no requested column could be assessed", EVIDENCES, notes=notes
        )
    table = sorted(
        (
            {"feature": key.removeprefix("psi."), "psi": value, "band": psi_band(value)}
            for key, value in metrics.items()
        ),
        key=lambda row: (-row["psi"], row["feature"]),
    )
    metrics["psi_max"] = max(metrics.values())
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        metrics=metrics,
        evidence={"table": table, "bins": bins},
        notes=notes,
    )
