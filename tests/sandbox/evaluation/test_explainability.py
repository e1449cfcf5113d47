import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sandbox.evaluation.explainability import decision_reasons, global_importance


@pytest.fixture(scope="module")
def signal_noise() -> tuple[LogisticRegression, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"noise": rng.normal(size=600), "signal": rng.normal(size=600)})
    y = (X["signal"] + 0.3 * rng.normal(size=600) > 0).astype(int).to_numpy()
    return LogisticRegression().fit(X, y), X, y


SCAM = [
    "urgent verify your account now",
    "urgent click link to verify password",
    "your parcel is held click link urgent",
    "verify account or it will be suspended",
]
HAM = [
    "lunch at noon tomorrow",
    "see you at lunch",
    "meeting moved to noon",
    "dinner with family tonight",
]


def _text_frame() -> tuple[pd.DataFrame, np.ndarray]:
    return pd.DataFrame({"text": SCAM + HAM}), np.array([1] * len(SCAM) + [0] * len(HAM))


# --- global importance -----------------------------------------------------------------------


def test_signal_feature_ranks_first(signal_noise) -> None:
    model, X, y = signal_noise
    result = global_importance(model, X, y)
    assert result.status == "assessed" and result.evidences == ["HKMA-AI-3"]
    ranking = [row["feature"] for row in result.evidence["importance"]]
    assert ranking == ["signal", "noise"]
    assert result.metrics["importance.signal"] > 0.2
    assert abs(result.metrics["importance.noise"]) < 0.02
    json.dumps(result.evidence)


def test_importance_uses_at_most_max_rows_and_is_seeded(signal_noise) -> None:
    model, X, y = signal_noise
    first = global_importance(model, X, y, max_rows=100, n_repeats=2, seed=3)
    again = global_importance(model, X, y, max_rows=100, n_repeats=2, seed=3)
    assert first.evidence["n"] == 100
    assert first.metrics == again.metrics


def test_importance_not_assessed_for_one_class(signal_noise) -> None:
    model, X, _ = signal_noise
    result = global_importance(model, X, np.zeros(len(X), dtype=int))
    assert result.status == "not_assessed" and "one class" in result.reason


def test_linear_text_pipeline_lists_terms() -> None:
    X, y = _text_frame()
    model = Pipeline(
        [
            ("features", ColumnTransformer([("word", TfidfVectorizer(), "text")])),
            ("clf", LogisticRegression(C=10)),
        ]
    ).fit(X, y)
    result = global_importance(model, X, y)
    assert result.status == "assessed"
    positive = result.evidence["terms"]["positive"]
    negative = result.evidence["terms"]["negative"]
    assert 0 < len(positive) <= 15 and 0 < len(negative) <= 15
    assert positive[0]["term"] in {"word__urgent", "word__verify"}
    assert "word__lunch" in [t["term"] for t in negative[:3]]
    coefficients = [t["coefficient"] for t in positive]
    assert coefficients == sorted(coefficients, reverse=True) and min(coefficients) > 0
    assert max(t["coefficient"] for t in negative) < 0


def test_text_terms_skip_unnamed_transformers() -> None:
    # Like the scam challenger: a vectorizer next to a transformer without feature names.
    X, y = _text_frame()
    lengths = FunctionTransformer(lambda frame: frame.iloc[:, 0].str.len().to_frame())
    model = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [("word", TfidfVectorizer(), "text"), ("length", lengths, ["text"])]
                ),
            ),
            ("clf", LogisticRegression(C=10)),
        ]
    ).fit(X, y)
    result = global_importance(model, X, y)
    terms = result.evidence["terms"]["positive"] + result.evidence["terms"]["negative"]
    assert terms and all(t["term"].startswith("word__") for t in terms)


def test_text_with_non_linear_model_is_not_assessed() -> None:
    X, y = _text_frame()
    model = Pipeline(
        [
            ("features", ColumnTransformer([("word", TfidfVectorizer(), "text")])),
            ("clf", RandomForestClassifier(n_estimators=5, random_state=0)),
        ]
    ).fit(X, y)
    result = global_importance(model, X, y)
    assert result.status == "not_assessed"
    assert "free-text" in result.reason


# --- decision reasons ------------------------------------------------------------------------


def _linear_scores(frame: pd.DataFrame) -> np.ndarray:
    """0.1 x a + 0.5 if the channel is online; b is ignored."""
    return (0.1 * frame["a"] + 0.5 * (frame["channel"] == "online")).to_numpy(dtype=float)


def test_occlusion_reasons_match_hand_computation() -> None:
    background = pd.DataFrame(
        {"a": [0, 1, 2], "channel": ["branch", "branch", "online"], "b": [5, 5, 5]}
    )
    rows = pd.DataFrame(
        {"a": [3, 0], "channel": ["online", "branch"], "b": [7, 5]}, index=["t1", "t2"]
    )
    # Background: median a = 1, mode channel = branch, median b = 5.
    # t1: score 0.3 + 0.5 = 0.8; a -> 1 gives 0.6 (+0.2); channel -> branch gives 0.3 (+0.5).
    # t2: score 0.0; a -> 1 gives 0.1 (-0.1); channel and b unchanged (0).
    first, second = decision_reasons(_linear_scores, rows, background, top_k=2)
    assert first["index"] == "t1" and first["score"] == pytest.approx(0.8)
    assert [r["feature"] for r in first["reasons"]] == ["channel", "a"]
    assert [r["contribution"] for r in first["reasons"]] == pytest.approx([0.5, 0.2])
    assert [r["value"] for r in first["reasons"]] == ["online", 3]
    assert second["index"] == "t2" and second["score"] == pytest.approx(0.0)
    assert second["reasons"][0]["feature"] == "a"
    assert second["reasons"][0]["contribution"] == pytest.approx(-0.1)
    json.dumps([first, second])


def test_occlusion_names_the_signal_of_a_logistic_regression(signal_noise) -> None:
    model, X, _ = signal_noise
    rows = pd.DataFrame({"noise": [0.1, -0.2], "signal": [3.0, -3.0]})
    explained = decision_reasons(lambda f: model.predict_proba(f)[:, 1], rows, X, top_k=1)
    assert [e["reasons"][0]["feature"] for e in explained] == ["signal", "signal"]
    assert explained[0]["reasons"][0]["contribution"] > 0.3
    assert explained[1]["reasons"][0]["contribution"] < -0.3


def _keyword_scores(frame: pd.DataFrame) -> np.ndarray:
    """0.5 for the word 'urgent', 0.3 for the term 轉賬."""
    return np.array([0.5 * ("urgent" in t.split()) + 0.3 * ("轉賬" in t) for t in frame["text"]])


def test_token_occlusion_for_a_text_column() -> None:
    rows = pd.DataFrame({"text": ["urgent please 即刻轉賬", "see you at lunch"]})
    # Tokens: urgent, please, 即, 刻, 轉, 賬. Removing 'urgent' costs 0.5, 轉 or 賬 0.3 each.
    first, second = decision_reasons(_keyword_scores, rows, rows.iloc[:0], top_k=3)
    assert first["score"] == pytest.approx(0.8)
    assert [r["value"] for r in first["reasons"]] == ["urgent", "轉", "賬"]
    assert [r["contribution"] for r in first["reasons"]] == pytest.approx([0.5, 0.3, 0.3])
    assert [r["position"] for r in first["reasons"]] == [0, 4, 5]
    assert second["reasons"] == []


def test_token_occlusion_looks_at_the_first_40_tokens_only() -> None:
    late = " ".join(["word"] * 45 + ["urgent"])
    early = " ".join(["urgent"] + ["word"] * 45)
    late_reasons, early_reasons = decision_reasons(
        _keyword_scores, pd.DataFrame({"text": [late, early]}), pd.DataFrame({"text": []})
    )
    assert late_reasons["score"] == 0.5 and late_reasons["reasons"] == []
    assert early_reasons["reasons"][0]["value"] == "urgent"
