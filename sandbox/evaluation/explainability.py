"""Explainability scorer: global feature importance and per-decision reasons by occlusion.

Owns how a model is explained: permutation importance for tabular inputs, coefficient terms for
linear text pipelines, and occlusion (features or tokens) for the reasons behind one decision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.registry import scorer
from sandbox.tasks import TaskKind

SCORER = "explainability"
TITLE = "Explainability: what drives the model's scores"
EVIDENCES = ["HKMA-AI-3"]
TOP_TERMS = 15
"""Terms listed per direction for linear text pipelines."""
MAX_TOKENS = 40
"""Tokens occluded per text in :func:`decision_reasons` (the first ones; the rest are kept)."""

_TOKEN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]"
    r"|[^\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+"
)
"""A token: one CJK character, or a whitespace-delimited run of anything else."""


def _text_column(frame: pd.DataFrame) -> str | None:
    """The column name when ``frame`` is a single free-text (string/object) column."""
    if frame.shape[1] != 1:
        return None
    column = frame.columns[0]
    dtype = frame[column].dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return str(column)
    return None


def _linear_coefficients(model: Any) -> np.ndarray | None:
    """Binary linear model coefficients (averaged over a CalibratedClassifierCV's folds)."""
    if hasattr(model, "calibrated_classifiers_"):
        inner = [_linear_coefficients(c.estimator) for c in model.calibrated_classifiers_]
        if not inner or any(c is None for c in inner):
            return None
        return np.mean(np.vstack(inner), axis=0)
    coef = getattr(model, "coef_", None)
    if coef is None:
        return None
    coef = np.asarray(coef, dtype=float)
    if coef.ndim == 2 and coef.shape[0] == 1:
        return coef[0]
    return coef if coef.ndim == 1 else None


def _is_vectorizer(obj: Any) -> bool:
    return hasattr(obj, "build_analyzer") and hasattr(obj, "get_feature_names_out")


def _term_names(features: Pipeline, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Names of the coefficient columns that come from a text vectorizer, with their positions.

    Uses the whole feature pipeline's ``get_feature_names_out`` when every step has one, else the
    vectorizers of a final :class:`~sklearn.compose.ColumnTransformer` (skipping transformers
    without names, such as sentence embeddings).
    """
    steps = [step for _, step in features.steps]
    if not any(_is_vectorizer(s) for s in steps) and not (
        isinstance(steps[-1], ColumnTransformer)
        and any(_is_vectorizer(t) for _, t, _ in steps[-1].transformers_)
    ):
        return None
    try:
        names = np.asarray(features.get_feature_names_out(), dtype=str)
    except (AttributeError, ValueError, TypeError):
        names = None
    if names is not None and len(names) == width:
        return names, np.arange(width)
    last = steps[-1]
    if not isinstance(last, ColumnTransformer):
        return None
    collected: list[tuple[np.ndarray, np.ndarray]] = []
    for name, transformer, _ in last.transformers_:
        if not _is_vectorizer(transformer) or name not in last.output_indices_:
            continue
        positions = np.arange(width)[last.output_indices_[name]]
        terms = np.asarray(transformer.get_feature_names_out(), dtype=str)
        if len(terms) != len(positions):
            return None
        collected.append((np.char.add(f"{name}__", terms), positions))
    if not collected:
        return None
    return (
        np.concatenate([c[0] for c in collected]),
        np.concatenate([c[1] for c in collected]),
    )


def _text_terms(estimator: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int] | None:
    """Top positive and negative coefficient terms of a linear text pipeline, else ``None``."""
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return None
    coef = _linear_coefficients(estimator.steps[-1][1])
    if coef is None:
        return None
    named = _term_names(estimator[:-1], len(coef))
    if named is None:
        return None
    names, positions = named
    weights = coef[positions]
    order = np.argsort(-weights, kind="stable")
    positive = [
        {"term": str(names[i]), "coefficient": float(weights[i])}
        for i in order[:TOP_TERMS]
        if weights[i] > 0
    ]
    negative = [
        {"term": str(names[i]), "coefficient": float(weights[i])}
        for i in order[::-1][:TOP_TERMS]
        if weights[i] < 0
    ]
    return positive, negative, len(names)


def _sample(
    X: pd.DataFrame, y: np.ndarray, max_rows: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Up to ``max_rows`` rows, stratified on ``y`` when every class has at least two rows."""
    if len(X) <= max_rows:
        return X, y
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    X_sample, _, y_sample, _ = train_test_split(
        X, y, train_size=max_rows, stratify=stratify, random_state=seed
    )
    return X_sample, y_sample


@scorer(
    SCORER,
    title=TITLE,
    section=ReportSection.EXPLAINABILITY_DISCLOSURE,
    task_kinds=(TaskKind.BINARY, TaskKind.MULTICLASS),
)
def global_importance(
    estimator: Any,
    X: pd.DataFrame,
    y: Sequence[int],
    *,
    scoring: str = "average_precision",
    n_repeats: int = 5,
    seed: int = 0,
    max_rows: int = 5000,
) -> Evaluation:
    """Which input features the fitted model relies on overall.

    Tabular inputs: :func:`sklearn.inspection.permutation_importance`, the drop in ``scoring``
    when one column's values are shuffled, on up to ``max_rows`` rows (a seeded sample,
    stratified on ``y`` when possible). Metrics ``importance.<feature>`` (mean drop); evidence
    ``importance``: ``{"feature", "mean", "std"}`` rows sorted by mean, largest first.

    A single free-text column cannot be shuffled meaningfully (the model sees its words, not
    the column), so for a :class:`~sklearn.pipeline.Pipeline` ending in a binary linear model
    behind a text vectorizer the evidence ``terms`` lists the 15 most positive and 15 most
    negative coefficients (``{"positive": [...], "negative": [...]}``, each ``{"term",
    "coefficient"}``); other text models are ``not_assessed``.

    Args:
        estimator: Fitted model accepting ``X`` (``predict_proba``/``decision_function`` as
            needed by ``scoring``).
        X: Input columns.
        y: True labels (0/1), aligned with ``X``.
        scoring: scikit-learn scorer name.
        n_repeats: Shuffles per feature.
        seed: Seed for the sample and the shuffles.
        max_rows: Largest number of rows scored.

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` with the reason.

    Raises:
        ValueError: If ``X`` and ``y`` differ in length.
    """
    labels = np.asarray(y).ravel()
    if len(labels) != len(X):
        raise ValueError(f"X and y differ in length: {len(X)} vs {len(labels)}")
    if len(X) == 0 or X.shape[1] == 0:
        return Evaluation.not_assessed(SCORER, TITLE, "no rows or no features", EVIDENCES)
    text_column = _text_column(X)
    if text_column is not None:
        return _text_importance(estimator, text_column)
    if len(np.unique(labels)) < 2:
        return Evaluation.not_assessed(
            SCORER, TITLE, "only one class present; permutation importance is undefined", EVIDENCES
        )
    X_sample, y_sample = _sample(X, labels, max_rows, seed)
    result = permutation_importance(
        estimator, X_sample, y_sample, scoring=scoring, n_repeats=n_repeats, random_state=seed
    )
    rows = [
        {"feature": str(feature), "mean": float(mean), "std": float(std)}
        for feature, mean, std in zip(
            X.columns, result.importances_mean, result.importances_std, strict=True
        )
    ]
    rows.sort(key=lambda row: -row["mean"])
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        metrics={f"importance.{row['feature']}": row["mean"] for row in rows},
        evidence={"importance": rows, "scoring": scoring, "n": len(X_sample)},
        notes=[
            f"Permutation importance: mean drop in {scoring} over {n_repeats} shuffles of each "
            f"column, on {len(X_sample)} of {len(X)} rows (seed {seed}). Correlated features "
            "share importance, so each may look less important than the pair.",
        ],
    )


def _text_importance(estimator: Any, column: str) -> Evaluation:
    terms = _text_terms(estimator)
    if terms is None:
        return Evaluation.not_assessed(
            SCORER,
            TITLE,
            f"the input is one free-text column ({column!r}), where permutation importance is "
            "meaningless, and the model is not a linear pipeline over a text vectorizer",
            EVIDENCES,
        )
    positive, negative, n_terms = terms
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        evidence={"terms": {"positive": positive, "negative": negative}, "n_terms": n_terms},
        notes=[
            f"Input is free text ({column!r}): the {TOP_TERMS} terms with the largest positive and "
            "negative coefficients of the linear model are listed instead of permutation "
            "importance. Coefficients apply to the vectorizer's (e.g. TF-IDF) feature values.",
        ],
    )


def _jsonable(value: Any) -> Any:
    """A JSON-friendly Python value (numpy scalars unwrapped, NaN/NA as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _predict(predict_scores: Callable[[pd.DataFrame], np.ndarray], frame: pd.DataFrame) -> Any:
    scores = np.asarray(predict_scores(frame), dtype=float).ravel()
    if scores.shape != (len(frame),):
        raise ValueError(f"predict_scores returned {scores.shape} scores for {len(frame)} rows")
    return scores


def _typical_value(column: pd.Series) -> Any:
    """Median of a numeric column, most frequent value otherwise (NaN when all missing)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.median()
    modes = column.mode(dropna=True)
    return modes.iloc[0] if len(modes) else np.nan


def decision_reasons(
    predict_scores: Callable[[pd.DataFrame], np.ndarray],
    rows: pd.DataFrame,
    background: pd.DataFrame,
    *,
    top_k: int = 3,
) -> list[dict[str, Any]]:
    """The reasons behind individual decisions, by occlusion.

    Tabular rows: each column in turn is set to the background's typical value (median for
    numbers, most frequent value otherwise) and the contribution is ``score - occluded score``
    (positive = the row's actual value raised the score). The ``top_k`` columns by absolute
    contribution are reported.

    A single free-text column: each of the first 40 tokens (a CJK character or a
    whitespace-delimited run of other characters) is removed in turn, and the ``top_k``
    tokens whose removal lowers the score most are reported (only those that lower it;
    ``background`` is not used).

    Args:
        predict_scores: Maps a DataFrame with the columns of ``rows`` to positive-class scores.
        rows: Rows to explain (their index labels are reported).
        background: Reference rows (e.g. a training sample) for the typical values.
        top_k: Reasons reported per row.

    Returns:
        One dict per row: ``{"index", "score", "reasons": [{"feature", "value",
        "contribution"}, ...]}`` (text reasons also carry the token ``position``).

    Raises:
        ValueError: If ``predict_scores`` returns the wrong number of scores.
    """
    if len(rows) == 0:
        return []
    text_column = _text_column(rows)
    if text_column is not None:
        return _token_reasons(predict_scores, rows, text_column, top_k)
    base = _predict(predict_scores, rows)
    contributions = np.zeros((len(rows), rows.shape[1]))
    for j, column in enumerate(rows.columns):
        occluded = rows.copy()
        fill = _typical_value(background[column]) if column in background else np.nan
        occluded[column] = fill
        contributions[:, j] = base - _predict(predict_scores, occluded)
    explained = []
    for i, index in enumerate(rows.index):
        order = np.argsort(-np.abs(contributions[i]), kind="stable")[:top_k]
        explained.append(
            {
                "index": _jsonable(index),
                "score": float(base[i]),
                "reasons": [
                    {
                        "feature": str(rows.columns[j]),
                        "value": _jsonable(rows.iat[i, j]),
                        "contribution": float(contributions[i, j]),
                    }
                    for j in order
                ],
            }
        )
    return explained


def _token_reasons(
    predict_scores: Callable[[pd.DataFrame], np.ndarray],
    rows: pd.DataFrame,
    column: str,
    top_k: int,
) -> list[dict[str, Any]]:
    texts = ["" if pd.isna(t) else str(t) for t in rows[column]]
    base = _predict(predict_scores, rows)
    variants: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for text in texts:
        tokens = [m.span() for m in _TOKEN.finditer(text)][:MAX_TOKENS]
        spans.append(tokens)
        variants.extend(text[:start] + text[end:] for start, end in tokens)
    occluded = (
        _predict(predict_scores, pd.DataFrame({column: variants})) if variants else np.array([])
    )
    explained = []
    offset = 0
    for i, (index, text) in enumerate(zip(rows.index, texts, strict=True)):
        n = len(spans[i])
        drops = base[i] - occluded[offset : offset + n]
        offset += n
        order = [k for k in np.argsort(-drops, kind="stable")[:top_k] if drops[k] > 0]
        explained.append(
            {
                "index": _jsonable(index),
                "score": float(base[i]),
                "reasons": [
                    {
                        "feature": column,
                        "value": text[spans[i][k][0] : spans[i][k][1]],
                        "contribution": float(drops[k]),
                        "position": int(k),
                    }
                    for k in order
                ],
            }
        )
    return explained
