import random
import re
import unicodedata
from functools import partial

import numpy as np
import pytest

from sandbox.errors import DataError
from sandbox.evaluation.robustness import (
    DEFAULT_PERTURBATIONS,
    SPACING_SEPARATORS,
    Lexicon,
    casing,
    code_mix,
    full_width,
    perturbations,
    robustness,
    spacing,
    typos,
)

LEXICON = Lexicon(
    code_mix=(
        ("bank", "銀行"),
        ("account", "戶口"),
        ("verify", "核實"),
        ("frozen", "凍結"),
        ("OTP", "驗證碼"),
        ("password", "密碼"),
    ),
    split_keywords=("winner",),
)

SCAM = (
    "URGENT: your bank account is suspended. Click the link https://hk-bank-verify.com/login "
    "to verify your password or call 9123 4567. 你的銀行戶口已被凍結，請立即撳連結核實密碼。"
)
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060]")


def keyword_scores(texts: list[str]) -> np.ndarray:
    """1.0 when the text has the exact word 'urgent' or 'verify' (case-insensitive), else 0.0."""
    return np.array([float(bool({"urgent", "verify"} & set(t.lower().split()))) for t in texts])


# --- perturbations ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(perturbations(LEXICON)))
def test_perturbations_are_deterministic_for_a_seeded_rng(name: str) -> None:
    perturb = perturbations(LEXICON)[name]
    first = perturb(SCAM, random.Random(7))
    assert first == perturb(SCAM, random.Random(7))
    assert first != SCAM


def test_typos_change_long_latin_words_only() -> None:
    text = "Call 91234567 now about your parcel at https://track-parcel.com/abcdef 包裹已到"
    out = typos(text, random.Random(0), rate=1.0).split(" ")
    original = text.split(" ")
    # Words of >= 4 letters change by one edit; short words, digits, the URL and CJK do not.
    for before, after in zip(original, out, strict=True):
        if before in {"Call", "about", "your", "parcel"}:
            assert after != before
            assert abs(len(after) - len(before)) <= 1
        else:
            assert after == before
    assert typos(text, random.Random(0), rate=0.0) == text


def test_typos_default_rate_touches_about_a_tenth_of_words() -> None:
    text = " ".join(["scam"] * 1000)
    changed = sum(w != "scam" for w in typos(text, random.Random(1)).split(" "))
    assert 60 <= changed <= 140


def test_casing_only_changes_case_and_leaves_urls() -> None:
    text = "please verify your account at https://Example.com/Path today"
    out = casing(text, random.Random(3), rate=1.0)
    assert out != text
    assert out.lower() == text.lower()
    assert "https://Example.com/Path" in out


def test_code_mix_swaps_both_directions() -> None:
    rng = random.Random(0)
    mix = partial(code_mix, lexicon=LEXICON, rate=1.0)
    assert mix("Please verify your bank account", rng) == "Please 核實 your 銀行 戶口"
    assert mix("你的銀行戶口已被凍結。", rng) == "你的 bank account 已被 frozen。"
    # Case-insensitive whole words only: 'accounts' is not the lexicon word 'account'.
    assert mix("send OTP to accounts", rng) == "send 驗證碼 to accounts"
    assert code_mix("Please verify", rng, lexicon=LEXICON, rate=0.0) == "Please verify"


def test_without_a_lexicon_only_vocabulary_free_perturbations_apply() -> None:
    assert set(perturbations()) == set(DEFAULT_PERTURBATIONS) == {"typos", "casing", "full_width"}
    assert set(perturbations(LEXICON)) == {"typos", "casing", "code_mix", "full_width", "spacing"}


def test_lexicon_file_is_validated(tmp_path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("code_mix:\n- [bank, 銀行]\nsplit_keywords: [free]\n", encoding="utf-8")
    lexicon = Lexicon.load(good)
    assert lexicon.code_mix == (("bank", "銀行"),) and lexicon.keywords == ("bank", "銀行", "free")
    bad = tmp_path / "bad.yaml"
    bad.write_text("code_mix:\n- [bank]\n", encoding="utf-8")
    with pytest.raises(DataError, match="bad.yaml"):
        Lexicon.load(bad)


def test_multiclass_scores_are_judged_by_top_class_accuracy() -> None:
    def top_class(texts: list[str]) -> np.ndarray:
        # class 1 when the exact word 'urgent' is present, else class 0; three classes
        hit = np.array([float("urgent" in t.split()) for t in texts])
        return np.stack([1 - hit, hit, np.zeros_like(hit)], axis=1)

    result = robustness(
        top_class,
        ["urgent now", "hello there", "urgent call"],
        [1, 0, 2],
        threshold=None,
        perturbations={"casing": partial(casing, rate=1.0)},
        seed=1,
    )
    m = result.metrics
    assert result.evidence["metric"] == "accuracy"
    assert m["accuracy.original"] == pytest.approx(2 / 3)
    assert m["accuracy_drop.casing"] == pytest.approx(m["accuracy.original"] - m["accuracy.casing"])
    assert "f1.original" not in m


def test_full_width_converts_letters_and_digits() -> None:
    out = full_width("OTP 123456 請輸入", random.Random(0))
    assert out == "ＯＴＰ １２３４５６ 請輸入"
    assert unicodedata.normalize("NFKC", out) == "OTP 123456 請輸入"


def test_spacing_splits_keywords_with_spaces_or_zero_width_characters() -> None:
    text = "Verify your password now: 密碼"
    out = spacing(text, random.Random(2), lexicon=LEXICON)
    assert "password" not in out.lower() and "verify" not in out.lower() and "密碼" not in out
    assert set(re.findall("[\u200b\u200c\u200d\u2060 ]", out)) <= set(SPACING_SEPARATORS)
    # Removing the inserted separators gives the original text back.
    assert ZERO_WIDTH.sub("", out).replace(" ", "") == text.replace(" ", "")
    assert "now" in out  # not a keyword


# --- scorer ----------------------------------------------------------------------------------

# Hand-worked: keyword_scores at threshold 0.5.
#   text                       y   original   typos (every word >= 4 letters changed)
#   "urgent transfer now"      1   1          0   flip
#   "please verify account"    1   1          0   flip
#   "lunch at noon"            0   0          0
#   "urgent meeting today"     0   1 (FP)     0   flip
# Original: tp=2 fp=1 fn=0 -> F1 = 4/5. Typos: tp=0 fp=0 fn=2 -> F1 = 0; flips 3/4.
# Paraphrase: scores 1, 0, 0, 0 -> tp=1 fn=1 -> F1 = 2/3; flips rows 1 and 3 -> 2/4.
TEXTS = ["urgent transfer now", "please verify account", "lunch at noon", "urgent meeting today"]
LABELS = [1, 1, 0, 0]
PARAPHRASES = ["this is urgent", "kindly confirm account", "lunch at noon", "meeting today"]


def _evaluate(**kwargs):
    return robustness(
        keyword_scores,
        TEXTS,
        LABELS,
        threshold=0.5,
        perturbations={"typos": partial(typos, rate=1.0), "identity": lambda text, rng: text},
        extra_variants={"paraphrase": PARAPHRASES},
        **kwargs,
    )


def test_robustness_metrics_match_hand_computation() -> None:
    result = _evaluate()
    m = result.metrics
    assert result.status == "assessed" and result.evidences == ["HKMA-AI-5"]
    assert m["f1.original"] == pytest.approx(0.8)
    assert m["f1.typos"] == pytest.approx(0.0)
    assert m["f1_drop.typos"] == pytest.approx(0.8)
    assert m["flip_rate.typos"] == pytest.approx(0.75)
    assert m["f1.identity"] == pytest.approx(0.8)
    assert m["flip_rate.identity"] == 0.0 and m["f1_drop.identity"] == 0.0
    assert m["f1.paraphrase"] == pytest.approx(2 / 3)
    assert m["f1_drop.paraphrase"] == pytest.approx(0.8 - 2 / 3)
    assert m["flip_rate.paraphrase"] == pytest.approx(0.5)
    assert m["f1_drop_max"] == pytest.approx(0.8)
    assert m["flip_rate_max"] == pytest.approx(0.75)


def test_robustness_examples_list_flipped_rows() -> None:
    examples = _evaluate().evidence["examples"]
    by_variant: dict[str, list[dict]] = {}
    for example in examples:
        by_variant.setdefault(example["variant"], []).append(example)
    assert sorted(e["index"] for e in by_variant["typos"]) == [0, 1, 3]
    assert sorted(e["index"] for e in by_variant["paraphrase"]) == [1, 3]
    assert "identity" not in by_variant
    first = by_variant["paraphrase"][0]
    assert first["original"] == TEXTS[first["index"]]
    assert first["perturbed"] == PARAPHRASES[first["index"]]
    assert (first["score_original"], first["score_perturbed"]) == (1.0, 0.0)


def test_robustness_examples_are_capped_and_truncated() -> None:
    texts = ["urgent " + "x" * 300] * 5
    result = robustness(
        keyword_scores,
        texts,
        [1] * 5,
        threshold=0.5,
        perturbations={},
        extra_variants={"rewrite": ["harmless"] * 5},
    )
    examples = result.evidence["examples"]
    assert len(examples) == 3
    assert all(len(e["original"]) == 160 for e in examples)
    assert result.metrics["flip_rate.rewrite"] == 1.0


def test_normalising_model_is_robust_to_full_width() -> None:
    def normalising(texts: list[str]) -> np.ndarray:
        return keyword_scores([unicodedata.normalize("NFKC", t) for t in texts])

    perturbations = {"full_width": full_width}
    naive = robustness(keyword_scores, TEXTS, LABELS, threshold=0.5, perturbations=perturbations)
    robust = robustness(normalising, TEXTS, LABELS, threshold=0.5, perturbations=perturbations)
    assert naive.metrics["flip_rate.full_width"] == pytest.approx(0.75)
    assert robust.metrics["flip_rate.full_width"] == 0.0


def test_robustness_is_reproducible_for_a_seed() -> None:
    first = robustness(keyword_scores, [SCAM] * 3, [1, 1, 1], threshold=0.5, seed=4)
    second = robustness(keyword_scores, [SCAM] * 3, [1, 1, 1], threshold=0.5, seed=4)
    assert first.model_dump() == second.model_dump()
    assert {row["variant"] for row in first.evidence["variants"]} == set(DEFAULT_PERTURBATIONS)


def test_robustness_not_assessed_without_texts() -> None:
    result = robustness(keyword_scores, [], [], threshold=0.5)
    assert result.status == "not_assessed" and result.reason


def test_robustness_rejects_misaligned_inputs() -> None:
    with pytest.raises(ValueError):
        robustness(keyword_scores, TEXTS, [1, 0], threshold=0.5)
    with pytest.raises(ValueError):
        robustness(keyword_scores, TEXTS, LABELS, threshold=0.5, extra_variants={"p": ["a"]})
    with pytest.raises(ValueError):
        robustness(keyword_scores, TEXTS, LABELS, threshold=0.5, extra_variants={"typos": TEXTS})
