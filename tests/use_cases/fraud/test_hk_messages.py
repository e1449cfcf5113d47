"""Tests for the synthetic Hong Kong scam / ham message corpus."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline

from sandbox import DataError
from sandbox.privacy.checksums import hkid_valid
from use_cases.fraud.hk_messages import (
    DATA_DIR,
    FAMILIES,
    LANGUAGES,
    MessageFamily,
    generate_hk_messages,
    load_families,
    load_slot_values,
    split_by_family,
)

HKID_RE = re.compile(r"^([A-Z]{1,2})(\d{6})\(?([0-9A])\)?$")
# Cantonese-only characters / words that written Chinese (書面語) avoids.
CANTONESE_MARKERS = re.compile(
    r"[咗嘅唔喺俾畀啲嚟睇冇係佢咩嘢嗰㗎喇吖哋咁乜攞搵啱𨋢]|琴晚|聽日|邊個|點解"
)
SHORTENERS = ("bit.ly/", "tinyurl.com/", "t.ly/", "is.gd/", "rb.gy/", "cutt.ly/", "s.id/")


def _is_hk_phone(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("852") and len(digits) == 11:
        digits = digits[3:]
    return len(digits) == 8 and digits[0] in "235689"


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return generate_hk_messages()


@pytest.fixture(scope="module")
def split(corpus: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_by_family(corpus)


# --- catalogue -------------------------------------------------------------------------------


def test_family_catalogue_is_rich() -> None:
    ids = [f.id for f in FAMILIES]
    assert len(ids) == len(set(ids))
    assert sum(f.label == 1 for f in FAMILIES) >= 30
    assert sum(f.label == 0 for f in FAMILIES) >= 20
    for family in FAMILIES:
        assert isinstance(family, MessageFamily)
        assert family.id.startswith("scam." if family.label == 1 else "ham.")
        assert family.topic
        assert set(family.languages) <= set(LANGUAGES)
        for lang in family.languages:
            templates = family.templates[lang]
            assert len(templates) >= 3, (family.id, lang)
            assert len(set(templates)) == len(templates), (family.id, lang)
    all_three = sum(set(f.languages) == set(LANGUAGES) for f in FAMILIES)
    assert all_three >= 0.9 * len(FAMILIES)


# --- data files ------------------------------------------------------------------------------

FAMILY = {
    "topic": "bank_impersonation",
    "description": "A test family.",
    "templates": {"en": ["[{bank}] Verify at {bank_link}", "Hi {name}, call {mobile}"]},
}


def _write(path: Path, document: object) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_data_files_are_the_families() -> None:
    files = sorted(p.name for p in (DATA_DIR / "families").glob("*.yaml"))
    assert files == sorted(f"{f.id}.yaml" for f in FAMILIES)
    assert load_families() == FAMILIES
    assert [f.label for f in FAMILIES] == sorted((f.label for f in FAMILIES), reverse=True)
    assert load_slot_values().pools["district"].en[0] == "Mong Kok"


def test_a_valid_family_file_loads(tmp_path: Path) -> None:
    _write(tmp_path / "scam.test_family.yaml", {**FAMILY, "fixed": {"bank": "hsbc"}})
    (family,) = load_families(tmp_path)
    assert (family.id, family.label, family.languages) == ("scam.test_family", 1, ("en",))
    assert family.fixed == {"bank": "hsbc"}


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("scam.x", {"templates": {"en": ["Pay {fee} at {nosuch_link}"]}},
         "templates.en[0]: unknown slot {nosuch_link}"),
        ("scam.x", {"templates": {"en": ["Pay {fee"]}}, "templates.en[0]: not a template"),
        ("scam.x", {"templates": {"en": ["ok", 24]}}, "templates.en[1]: Input should be a"),
        ("scam.x", {"templates": {"en": []}}, "templates.en: List should have at least 1 item"),
        ("scam.x", {"templates": {"fr": ["Bonjour"]}}, "templates.fr: Input should be 'en'"),
        ("scam.x", {"topic": None}, "topic: Input should be a valid string"),
        ("scam.x", {"topc": "typo"}, "topc: unknown key"),
        ("scam.x", {"fixed": {"bank": "nosuchbank"}}, "fixed.bank: unknown bank 'nosuchbank'"),
        ("scam.x", {"fixed": {"airline": "cx"}}, "fixed.airline: unknown airline 'cx'"),
        ("spam.x", {}, "must start with scam. or ham."),
    ],
)  # fmt: skip
def test_malformed_family_file_names_file_and_key(
    tmp_path: Path, name: str, change: dict[str, object], expected: str
) -> None:
    path = _write(tmp_path / f"{name}.yaml", {**FAMILY, **change})
    with pytest.raises(DataError) as caught:
        load_families(tmp_path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_family_file_that_is_not_yaml_or_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "ham.broken.yaml"
    path.write_text("topic: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match="ham.broken.yaml is not valid YAML"):
        load_families(tmp_path)
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"ham.broken.yaml: \(top level\): Input should be"):
        load_families(tmp_path)
    path.unlink()
    with pytest.raises(DataError, match="no message family files"):
        load_families(tmp_path)


def _slots_with(tmp_path: Path, edit: Callable[[dict[str, Any]], object]) -> Path:
    """A copy of the shipped slots.yaml with ``edit`` applied to its parsed document."""
    document = yaml.safe_load((DATA_DIR / "slots.yaml").read_text(encoding="utf-8"))
    edit(document)
    return _write(tmp_path / "slots.yaml", document)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["records"]["bank"][2].pop("sender"), "records.bank[2] lacks sender"),
        (lambda d: d["choices"].update(hours=[2, 3]), "choices.hours[0]: Input should be a"),
        (lambda d: d["pools"]["district"].pop("zh-Hant"), "pools.district.zh-Hant: Field required"),
        (lambda d: d["pools"].pop("stock_name"), "pools.stock_name is missing"),
        (lambda d: d["records"].pop("toll"), "records must list exactly the kinds"),
        (lambda d: d["scam_tokens"]["gov"].pop("hko"), "scam_tokens.gov must have one entry"),
        (lambda d: d.update(surname=[]), "surname: unknown key"),
        (lambda d: d.pop("url_tlds"), "url_tlds: Field required"),
    ],
)  # fmt: skip
def test_malformed_slot_values_file_names_file_and_key(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], expected: str
) -> None:
    path = _slots_with(tmp_path, edit)
    with pytest.raises(DataError) as caught:
        load_slot_values(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_slot_values_round_trip_unchanged(tmp_path: Path) -> None:
    assert load_slot_values(_slots_with(tmp_path, lambda d: None)) == load_slot_values()


# --- generation ------------------------------------------------------------------------------


# sha256 of generate_hk_messages(seed, per_family).to_csv(); the fraud runs train and evaluate on
# this corpus, so a change here changes their results. Update only for an intended change of
# the templates or slot values, and say so in the commit.
GOLDEN = {
    (42, 30): "a52675b0a356c429218fed4e0d7b586c731a9f0826ad4ab2f31cb7e115b546a6",
    (7, 5): "f548e46cebdeec062ac4a73cc71ef22ada17418f8c22b818a12c963809570820",
}


@pytest.mark.parametrize(("seed", "per_family"), sorted(GOLDEN))
def test_corpus_is_byte_identical_to_the_recorded_one(seed: int, per_family: int) -> None:
    csv = generate_hk_messages(seed=seed, per_family=per_family).to_csv()
    assert hashlib.sha256(csv.encode()).hexdigest() == GOLDEN[seed, per_family]


def test_same_seed_gives_identical_frame() -> None:
    first = generate_hk_messages(seed=11, per_family=6)
    second = generate_hk_messages(seed=11, per_family=6)
    pd.testing.assert_frame_equal(first, second)


def test_different_seed_gives_different_texts() -> None:
    a = generate_hk_messages(seed=1, per_family=6)
    b = generate_hk_messages(seed=2, per_family=6)
    assert len(a) == len(b)
    assert (a["text"] != b["text"]).mean() > 0.9
    assert len(set(a["text"]) & set(b["text"])) < 0.1 * len(a)


def test_per_family_is_validated() -> None:
    with pytest.raises(ValueError):
        generate_hk_messages(per_family=0)


def test_columns_and_row_counts(corpus: pd.DataFrame) -> None:
    assert list(corpus.columns) == ["text", "label", "language", "family", "topic", "pii_values"]
    expected_rows = 30 * sum(len(f.languages) for f in FAMILIES)
    assert len(corpus) == expected_rows
    assert corpus["label"].dtype == "int64"
    assert set(corpus["label"]) == {0, 1}
    assert set(corpus["language"]) == set(LANGUAGES)
    assert corpus["text"].map(lambda t: isinstance(t, str) and len(t) > 10).all()
    assert corpus["pii_values"].map(lambda v: isinstance(v, list)).all()
    sizes = corpus.groupby(["family", "language"]).size()
    assert (sizes == 30).all()


def test_every_language_has_both_labels_and_balanced_share(corpus: pd.DataFrame) -> None:
    labels = corpus.groupby("language")["label"].agg(set)
    assert all(v == {0, 1} for v in labels)
    assert 0.30 <= corpus["label"].mean() <= 0.60
    for _, group in corpus.groupby("language"):
        assert 0.30 <= group["label"].mean() <= 0.60


def test_texts_are_mostly_unique(corpus: pd.DataFrame) -> None:
    assert corpus["text"].nunique() >= 0.9 * len(corpus)


def test_pii_values_occur_in_text(corpus: pd.DataFrame) -> None:
    for text, values in zip(corpus["text"], corpus["pii_values"], strict=True):
        for value in values:
            assert isinstance(value, str) and value
            assert value in text, (value, text)
    assert corpus["pii_values"].map(len).sum() > 0.3 * len(corpus)


def test_no_unrecorded_identifiers_in_text(corpus: pd.DataFrame) -> None:
    """Anything shaped like an HK phone, HKID or email must be listed in ``pii_values``."""
    edge = r"(?<![A-Za-z0-9])"
    end = r"(?![A-Za-z0-9])"
    patterns = [
        re.compile(edge + r"(?:\+?852[\s-]?)?[2-9]\d{3}[\s-]?\d{4}" + end),
        re.compile(edge + r"[A-Z]{1,2}\d{6}(?:\([0-9A]\)|[0-9A])" + end),
        re.compile(r"[\w.+-]+@[A-Za-z0-9-]+\.[A-Za-z.]+"),
    ]
    leaks = []
    for text, values in zip(corpus["text"], corpus["pii_values"], strict=True):
        for pattern in patterns:
            for match in pattern.finditer(text):
                if not any(match.group(0) in v or v in match.group(0) for v in values):
                    leaks.append((match.group(0), text))
    assert not leaks, leaks[:5]


def test_hkids_have_valid_check_digits(corpus: pd.DataFrame) -> None:
    hkids = [v for values in corpus["pii_values"] for v in values if HKID_RE.match(v)]
    assert len(hkids) >= 50
    invalid = [v for v in hkids if not hkid_valid(v)]
    assert not invalid, invalid[:5]


def test_phone_numbers_follow_hk_numbering(corpus: pd.DataFrame) -> None:
    phone_like = re.compile(r"^\+?[\d\s\-()]{8,}$")
    phones = [v for values in corpus["pii_values"] for v in values if phone_like.match(v)]
    phones = [p for p in phones if len(re.sub(r"\D", "", p)) in (8, 11)]
    assert len(phones) >= 100
    bad = [p for p in phones if not _is_hk_phone(p)]
    assert not bad, bad[:5]


def test_cantonese_is_colloquial_and_written_chinese_is_not(corpus: pd.DataFrame) -> None:
    has_marker = corpus["text"].map(lambda t: bool(CANTONESE_MARKERS.search(t)))
    by_lang = has_marker.groupby(corpus["language"]).mean()
    assert by_lang["yue"] >= 0.9
    assert by_lang["zh-Hant"] <= 0.02


def test_ham_messages_never_use_link_shorteners(corpus: pd.DataFrame) -> None:
    ham = corpus.loc[corpus["label"] == 0, "text"]
    assert not ham.map(lambda t: any(s in t for s in SHORTENERS)).any()
    scam = corpus.loc[corpus["label"] == 1, "text"]
    assert scam.map(lambda t: any(s in t for s in SHORTENERS)).any()


# --- split -----------------------------------------------------------------------------------


def test_split_holds_out_whole_families(
    corpus: pd.DataFrame, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train, test = split
    assert not set(train["family"]) & set(test["family"])
    assert len(train) + len(test) == len(corpus)
    assert set(train["family"]) | set(test["family"]) == set(corpus["family"])
    n_families = corpus["family"].nunique()
    assert 0.2 * n_families <= test["family"].nunique() <= 0.4 * n_families


def test_split_covers_every_language_and_label(
    corpus: pd.DataFrame, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    for side in split:
        for lang in LANGUAGES:
            assert set(side.loc[side["language"] == lang, "label"]) == {0, 1}, lang


def test_split_is_deterministic(corpus: pd.DataFrame) -> None:
    a_train, a_test = split_by_family(corpus, seed=3)
    b_train, b_test = split_by_family(corpus, seed=3)
    pd.testing.assert_frame_equal(a_train, b_train)
    pd.testing.assert_frame_equal(a_test, b_test)
    _, c_test = split_by_family(corpus, seed=4)
    assert set(c_test["family"]) != set(a_test["family"])


def test_split_rejects_bad_input(corpus: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        split_by_family(corpus, test_fraction=1.0)
    with pytest.raises(ValueError):
        split_by_family(corpus.drop(columns=["language"]))
    mixed = corpus.copy()
    mixed.loc[mixed.index[0], "label"] = 1 - mixed.loc[mixed.index[0], "label"]
    with pytest.raises(ValueError):
        split_by_family(mixed)


# --- held-out-family classifier sanity check -------------------------------------------------


def test_held_out_family_classifier_is_neither_trivial_nor_hopeless(
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    train, test = split
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4)),
        LogisticRegression(max_iter=1000),
    )
    model.fit(train["text"], train["label"])
    predicted = model.predict(test["text"])
    overall = f1_score(test["label"], predicted)
    assert 0.6 <= overall <= 0.995, overall
    for lang in LANGUAGES:
        mask = (test["language"] == lang).to_numpy()
        score = f1_score(test["label"].to_numpy()[mask], predicted[mask])
        assert 0.6 <= score <= 0.995, (lang, score)
