import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sandbox.evaluation.calibration import calibration
from use_cases.customer_service.banking77 import load_banking77
from use_cases.customer_service.intent_model import (
    IntentAugmenter,
    IntentEnsembleClassifier,
    fit_temperature,
    make_baseline,
    texts_of,
    validation_split,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """10 intents x 20 training queries, and 5 test queries of each of those intents."""
    train, test, intents = load_banking77()
    keep = intents[:10]
    return (
        train[train["intent"].isin(keep)].groupby("intent").head(20).reset_index(drop=True),
        test[test["intent"].isin(keep)].groupby("intent").head(5).reset_index(drop=True),
    )


def _challenger(cache: Path, **params: object) -> IntentEnsembleClassifier:
    return IntentEnsembleClassifier(cache_dir=str(cache), epochs=8, hidden=64, **params)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MiniLM feature cache for the module, so each query is embedded once."""
    return tmp_path_factory.mktemp("intent-cache")


@pytest.fixture(scope="module")
def fitted(small: tuple[pd.DataFrame, pd.DataFrame], cache: Path) -> dict[str, object]:
    train, _ = small
    return {
        "baseline": make_baseline(cache_dir=str(cache)).fit(train[["text"]], train["intent"]),
        "challenger": _challenger(cache).fit(train[["text"]], train["intent"]),
    }


@pytest.mark.parametrize("role", ["baseline", "challenger"])
def test_models_follow_the_sklearn_contract(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame], role: str
) -> None:
    model = fitted[role]
    _, test = small
    proba = model.predict_proba(test[["text"]])
    assert proba.shape == (len(test), 10)
    assert list(model.classes_) == sorted(test["intent"].unique())
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert (proba >= 0).all()
    assert clone(model).get_params()  # unfitted copy with the same parameters
    accuracy = (model.classes_[proba.argmax(axis=1)] == test["intent"].to_numpy()).mean()
    assert accuracy >= 0.7, f"{role} learnt little from 200 queries: accuracy {accuracy:.2f}"


@pytest.mark.parametrize("role", ["baseline", "challenger"])
def test_predictions_survive_pickling(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame], role: str
) -> None:
    _, test = small
    model = fitted[role]
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(
        again.predict_proba(test[["text"]]), model.predict_proba(test[["text"]]), atol=1e-6
    )


def test_challenger_accepts_integer_labels(
    small: tuple[pd.DataFrame, pd.DataFrame], cache: Path
) -> None:
    train, test = small
    codes = train["intent"].astype("category").cat.codes.to_numpy()
    model = _challenger(cache, augment_fraction=0).fit(train[["text"]], codes)
    assert list(model.classes_) == list(range(10))
    assert model.predict(test[["text"]]).dtype.kind == "i"


def test_challenger_is_reproducible_given_a_seed(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """A refit from scratch (cold feature cache) gives the same probabilities."""
    train, test = small
    again = _challenger(tmp_path).fit(train[["text"]], train["intent"])
    np.testing.assert_allclose(
        again.predict_proba(test[["text"]]),
        fitted["challenger"].predict_proba(test[["text"]]),
        atol=1e-6,
    )


def test_challenger_ignores_letter_case(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    _, test = small
    model = fitted["challenger"]
    shouted = test.assign(text=test["text"].str.upper())
    np.testing.assert_allclose(
        model.predict_proba(shouted[["text"]]), model.predict_proba(test[["text"]]), atol=1e-3
    )


def _full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms, spaces as ideographic."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def test_challenger_reads_full_width_text_as_plain_text(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    _, test = small
    model = fitted["challenger"]
    wide = test.assign(text=test["text"].map(_full_width))
    assert wide["text"].iloc[0] != test["text"].iloc[0]
    assert _full_width("OTP card") == "ＯＴＰ\u3000ｃａｒｄ"
    np.testing.assert_allclose(
        model.predict_proba(wide[["text"]]), model.predict_proba(test[["text"]]), atol=1e-6
    )


def test_augmenter_normalises_its_inputs() -> None:
    texts, _ = IntentAugmenter().augment([_full_width("I lost my card yesterday")], [0], 1.0, 0)
    assert texts and not any("\uff01" <= c <= "\uff5e" for c in texts[0])


def test_temperature_is_fitted_on_held_out_training_rows_only(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame], cache: Path
) -> None:
    """The temperature comes from a stratified slice of the training rows, scored by members
    that did not see it; the refit on all rows keeps it; scoring test data leaves it unchanged."""
    train, test = small
    held_out_model = _challenger(cache, refit=False).fit(train[["text"]], train["intent"])
    targets = np.searchsorted(held_out_model.classes_, train["intent"].to_numpy())
    _, held_out = validation_split(targets, held_out_model.validation_fraction, 0)
    assert held_out_model.n_validation_ == len(held_out) == 20
    assert sorted(np.bincount(targets[held_out])) == [2] * 10  # stratified
    texts = texts_of(train[["text"]].iloc[held_out])
    pooled = held_out_model._pooled(texts, held_out_model._embedder().transform(texts))
    expected = fit_temperature(pooled, targets[held_out])
    assert held_out_model.temperature_ == pytest.approx(expected, rel=1e-6)
    assert abs(expected - 1.0) > 0.05
    model = fitted["challenger"]
    assert model.temperature_ == pytest.approx(expected, rel=1e-6)  # refit keeps it
    model.predict_proba(test[["text"]])
    assert model.temperature_ == pytest.approx(expected, rel=1e-6)


def test_temperature_scaling_improves_calibration(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    _, test = small
    model = fitted["challenger"]
    y = np.searchsorted(model.classes_, test["intent"].to_numpy())
    scaled = calibration(y, model.predict_proba(test[["text"]])).metrics["ece"]
    untempered = pickle.loads(pickle.dumps(model))
    untempered.temperature_ = 1.0
    raw = calibration(y, untempered.predict_proba(test[["text"]])).metrics["ece"]
    assert scaled < raw - 0.1, f"ECE {raw:.3f} untempered, {scaled:.3f} tempered"


def test_no_validation_slice_keeps_the_temperature_at_one(
    small: tuple[pd.DataFrame, pd.DataFrame], cache: Path
) -> None:
    train, _ = small
    model = _challenger(cache, validation_fraction=0.0, augment_fraction=0)
    model.fit(train[["text"]], train["intent"])
    assert model.temperature_ == 1.0 and model.n_validation_ == 0


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(4000, 5))
    p = np.exp(logits / 2.0)
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(5, p=row) for row in p])
    assert fit_temperature(logits, y) == pytest.approx(2.0, rel=0.1)


def test_challenger_trains_on_code_mixed_and_misspelt_variants(
    fitted: dict[str, object], small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, _ = small
    assert fitted["challenger"].n_augmented_ >= 0.15 * len(train)
    texts, labels = IntentAugmenter().augment(
        list(train["text"]), list(train["intent"]), 0.5, seed=3
    )
    originals = dict(zip(train["text"], train["intent"], strict=True))
    assert sum(bool(CJK.search(t)) for t in texts) >= len(texts) // 4  # Cantonese mixed in
    assert not set(texts) & set(originals)  # every row is a new variant
    assert set(labels) <= set(originals.values())
    assert (texts, labels) == IntentAugmenter().augment(
        list(train["text"]), list(train["intent"]), 0.5, seed=3
    )


def test_code_mix_swaps_english_terms_for_cantonese() -> None:
    rng = np.random.default_rng(0)
    query = "My card was lost, how do I block it?"
    mixed = [IntentAugmenter().code_mix(query, rng) for _ in range(20)]
    assert all(m is not None and CJK.search(m) for m in mixed)
    assert any("卡" in m for m in mixed)
    assert IntentAugmenter().code_mix("Xyzzy plugh", rng) is None
