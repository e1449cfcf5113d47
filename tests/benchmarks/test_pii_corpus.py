"""The PII benchmark's corpus is labelled correctly and its metrics give known answers."""

from __future__ import annotations

import re

import pytest

from benchmarks.pii.corpus import (
    CONTEXTS,
    LANGUAGES,
    Doc,
    Span,
    generate_corpus,
    template_count,
)
from benchmarks.pii.run import TARGETS, check_targets, evaluate, map_vanilla_type
from benchmarks.pii.scoring import Detection, is_found, is_kept, is_leaked, redact, score_doc
from sandbox.privacy.checksums import hkid_valid, is_valid_cn_id, luhn_valid
from sandbox.privacy.entities import EntityType


@pytest.fixture(scope="module")
def corpus() -> list[Doc]:
    return generate_corpus(seed=11, n_docs=600)


def _spans_of(corpus: list[Doc], entity_type: EntityType) -> list[str]:
    return [s.value for d in corpus for s in d.spans if s.entity_type == entity_type]


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    assert generate_corpus(seed=3, n_docs=50) == generate_corpus(seed=3, n_docs=50)
    assert generate_corpus(seed=3, n_docs=50) != generate_corpus(seed=4, n_docs=50)


def test_spans_index_the_text_exactly(corpus: list[Doc]) -> None:
    for doc in corpus:
        for span in doc.spans + doc.distractors:
            assert doc.text[span.start : span.end] == span.value, (doc.doc_id, span)


def test_every_type_language_and_context_appears(corpus: list[Doc]) -> None:
    types = {s.entity_type for d in corpus for s in d.spans}
    assert types == set(EntityType)
    assert {d.language for d in corpus} == set(LANGUAGES)
    assert {d.context for d in corpus} == set(CONTEXTS)
    assert template_count() >= 60
    for lang in LANGUAGES:
        lang_types = {s.entity_type for d in corpus if d.language == lang for s in d.spans}
        assert len(lang_types) >= 12, lang


def test_cantonese_docs_are_colloquial_and_code_mixed(corpus: list[Doc]) -> None:
    yue = [d.text for d in corpus if d.language == "yue"]
    assert yue and all(re.search("[咗嘅唔喺俾啲嚟冇係佢]", t) for t in yue)
    assert any(re.search(r"[\u4e00-\u9fff]", t) and re.search("[A-Za-z]{4,}", t) for t in yue)


def test_identifiers_are_valid(corpus: list[Doc]) -> None:
    hkids = _spans_of(corpus, EntityType.HK_ID)
    assert hkids and all(hkid_valid(v) for v in hkids)
    assert any(re.match(r"[A-Z]{2}\d", v) for v in hkids)  # two-letter prefixes present
    assert any("（" in v for v in hkids) and any(v[-1].isdigit() for v in hkids)
    cards = _spans_of(corpus, EntityType.CREDIT_CARD)
    assert cards and all(luhn_valid(re.sub(r"\D", "", v)) for v in cards)
    assert all(13 <= len(re.sub(r"\D", "", v)) <= 19 for v in cards)
    cn_ids = _spans_of(corpus, EntityType.CN_ID)
    assert cn_ids and all(is_valid_cn_id(v) for v in cn_ids)
    phones = _spans_of(corpus, EntityType.HK_PHONE)
    assert all(re.sub(r"\D", "", v).removeprefix("852")[0] in "2356789" for v in phones)
    assert all(re.fullmatch(r"[HK]\d{8}", v) for v in _spans_of(corpus, EntityType.HK_PASSPORT))


def test_distractors_never_overlap_pii(corpus: list[Doc]) -> None:
    for doc in corpus:
        for d in doc.distractors:
            assert all(d.end <= s.start or s.end <= d.start for s in doc.spans), doc.doc_id


# Scoring on hand-made cases.

TEXT = "Call Chan Tai Man on +852 9123 4567 about HKD 1,200.50 at Wellcome."
NAME = Span(5, 17, EntityType.PERSON, "Chan Tai Man")
PHONE = Span(21, 35, EntityType.HK_PHONE, "+852 9123 4567")
AMOUNT = Span(42, 54, "AMOUNT", "HKD 1,200.50")
SHOP = Span(58, 66, "MERCHANT", "Wellcome")


def test_hand_made_spans_index_the_text() -> None:
    for span in (NAME, PHONE, AMOUNT, SHOP):
        assert TEXT[span.start : span.end] == span.value


def test_redaction_merges_overlaps_and_keeps_the_rest() -> None:
    dets = [Detection(21, 30, "A", None), Detection(25, 35, "PHONE", None)]
    redaction = redact(TEXT, dets)
    assert redaction.text == "Call Chan Tai Man on <PHONE> about HKD 1,200.50 at Wellcome."
    assert redaction.surviving_fragments(0, 17) == ["Call Chan Tai Man"]
    assert redaction.surviving_fragments(17, 40) == [" on ", " abou"]
    assert is_kept(AMOUNT, redaction) and is_kept(SHOP, redaction)


def test_leak_rules() -> None:
    untouched = redact(TEXT, [])
    assert is_leaked(NAME, untouched) and is_leaked(PHONE, untouched)
    # Only the +852 prefix redacted: the 8 remaining digits still identify the phone.
    assert is_leaked(PHONE, redact(TEXT, [Detection(21, 25, "X", None)]))
    # Half the number redacted: 4 digits left, not a leak; same for the name's surname.
    assert not is_leaked(PHONE, redact(TEXT, [Detection(21, 30, "X", None)]))
    assert not is_leaked(NAME, redact(TEXT, [Detection(5, 9, "X", None)]))
    # Digits of a neighbouring amount never make a redacted value leak.
    text = "A123456(3) 1234567"
    hkid = Span(0, 10, EntityType.HK_ID, "A123456(3)")
    assert not is_leaked(hkid, redact(text, [Detection(0, 10, "HK_ID", "HK_ID")]))
    # Check digit alone redacted: the six ID digits remain.
    assert is_leaked(hkid, redact(text, [Detection(7, 10, "X", None)]))
    assert not is_leaked(hkid, redact(text, [Detection(0, 7, "X", None)]))


def test_span_matching_half_coverage() -> None:
    assert is_found(NAME, [Detection(5, 11, "P", "PERSON")])  # 6 of 12 characters
    assert not is_found(NAME, [Detection(5, 10, "P", "PERSON")])  # 5 of 12
    assert not is_found(NAME, [Detection(5, 9, "P", None), Detection(9, 12, "P", None)])


def test_score_doc_counts() -> None:
    dets = [
        Detection(5, 17, "PERSON", "PERSON"),  # correct, right type
        Detection(21, 35, "US_BANK_NUMBER", "HK_BANK_ACCOUNT"),  # right span, wrong type
        Detection(58, 66, "ORGANIZATION", None),  # over-redacts the merchant
    ]
    overall, per_type, per_kind, redaction = score_doc(TEXT, [NAME, PHONE], [AMOUNT, SHOP], dets)
    assert (overall.gold, overall.found, overall.detected, overall.correct) == (2, 2, 3, 2)
    assert (overall.leaked, overall.distractors, overall.kept) == (0, 2, 1)
    assert overall.precision == pytest.approx(2 / 3) and overall.recall == 1.0
    assert overall.f2 == pytest.approx(5 * (2 / 3) / (4 * (2 / 3) + 1))
    assert (per_type["PERSON"].found, per_type["PERSON"].correct) == (1, 1)
    assert (per_type["HK_PHONE"].found, per_type["HK_PHONE"].leaked) == (0, 0)
    assert (per_type["HK_BANK_ACCOUNT"].detected, per_type["HK_BANK_ACCOUNT"].correct) == (1, 0)
    assert per_kind["MERCHANT"].keep_rate == 0.0 and per_kind["AMOUNT"].keep_rate == 1.0
    assert (
        redaction.text == "Call <PERSON> on <US_BANK_NUMBER> about HKD 1,200.50 at <ORGANIZATION>."
    )


def test_evaluate_and_targets_on_a_tiny_corpus() -> None:
    docs = [Doc("d1", "en", "call_centre", TEXT, [NAME, PHONE], [AMOUNT, SHOP])]
    result = evaluate(docs, [[Detection(5, 17, "PERSON", "PERSON")]])
    assert result["per_type"]["PERSON"]["leak_rate"] == 0.0
    assert result["per_type"]["HK_PHONE"]["leak_rate"] == 1.0
    assert result["per_language"]["en"] == {
        "leak_rate": 0.5,
        "keep_rate": 1.0,
        "gold": 2,
        "distractors": 2,
    }
    result["throughput"] = {"kb_per_s": 30.0}
    checks = {c["target"]: c for c in check_targets(result, {"throughput": {"kb_per_s": 10.0}})}
    assert checks["leak_rate[PERSON]"]["passed"] and not checks["leak_rate[HK_PHONE]"]["passed"]
    assert checks["leak_rate[HK_ID]"]["value"] is None and not checks["leak_rate[HK_ID]"]["passed"]
    assert checks["keep_rate"]["passed"] and checks["speed_vs_baseline"]["value"] == 3.0
    assert len(checks) == len(TARGETS)


def test_vanilla_person_maps_by_script() -> None:
    assert map_vanilla_type("PERSON", "陳大文") == "PERSON_ZH"
    assert map_vanilla_type("PERSON", "Peter Chan") == "PERSON"
    assert map_vanilla_type("EMAIL_ADDRESS", "a@b.com") == "EMAIL"
    assert map_vanilla_type("US_DRIVER_LICENSE", "A1234567") is None
