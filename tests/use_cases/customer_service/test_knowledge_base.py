"""The fictional bank's knowledge base: it loads, languages agree, bad files are named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.errors import DataError
from use_cases.customer_service.knowledge_base import (
    INJECTED_DIR,
    KNOWLEDGE_BASE_DIR,
    chunks,
    load_injected_documents,
    load_knowledge_base,
)

FIGURE = re.compile(r"HK\$\d{1,3}(?:,\d{3})*|\d+(?:\.\d+)?%|\b\d{4} \d{4}\b")
PHONE = re.compile(r"(?<![\d$,.])(\d{4}) ?(\d{4})(?![\d,])")
# Public helplines the support article may name; every other 8-digit number is the bank's own.
PUBLIC_HELPLINES = {"28960000", "23892222", "23820000"}

GOOD = """---
id: sample.en
title: A sample
language: en
topic: cards
updated: 2026-11-02
---
First paragraph.

## A heading

Second paragraph.
"""


@pytest.fixture(scope="module")
def articles():
    return load_knowledge_base()


def test_every_article_exists_in_english_and_traditional_chinese(articles) -> None:
    by_slug: dict[str, dict[str, object]] = {}
    for article in articles:
        by_slug.setdefault(article.slug, {})[article.language] = article
    assert len(by_slug) >= 24
    for slug, versions in by_slug.items():
        assert set(versions) == {"en", "zh-Hant"}, slug
        assert versions["en"].topic == versions["zh-Hant"].topic, slug


def test_the_topics_the_assistant_must_cover_are_there(articles) -> None:
    topics = {article.topic for article in articles}
    assert {
        "cards",
        "fps",
        "atm",
        "deposits",
        "mortgages",
        "fees",
        "complaints",
        "scams",
        "branches",
        "security",
        "accounts",
        "remittances",
    } <= topics
    slugs = {article.slug for article in articles}
    assert {"cards-lost", "fps-limits", "fps-suspicious-alert", "scams-otp"} <= slugs


def test_articles_are_substantial_but_short(articles) -> None:
    for article in articles:
        if article.language == "en":
            words = len(re.findall(r"[A-Za-z0-9$][\w$,.'%-]*", article.body))
            assert 150 <= words <= 400, (article.id, words)
        else:
            han = len(re.findall(r"[\u4e00-\u9fff]", article.body))
            assert 250 <= han <= 900, (article.id, han)


def test_both_languages_state_the_same_figures(articles) -> None:
    by_id = {article.id: article for article in articles}
    for article in articles:
        if article.language != "en":
            continue
        chinese = by_id[f"{article.slug}.zh-Hant"]
        english_figures = set(FIGURE.findall(article.body))
        assert english_figures == set(FIGURE.findall(chinese.body)), article.slug


def test_phone_numbers_are_the_fictional_banks_or_public_helplines(articles) -> None:
    for article in articles:
        for first, second in PHONE.findall(article.body):
            number = first + second
            assert number.startswith("2888") or number in PUBLIC_HELPLINES, (article.id, number)


def test_passages_are_paragraphs_with_unique_citation_ids(articles) -> None:
    passages = chunks(articles)
    ids = [p.citation_id for p in passages]
    assert len(ids) == len(set(ids))
    assert len(passages) > 4 * len(articles)
    lost = [p for p in passages if p.article_id == "cards-lost.en"]
    assert [p.citation_id for p in lost][:2] == ["cards-lost.en#1", "cards-lost.en#2"]
    assert all(not re.fullmatch(r"(#+ [^\n]*\n?)+", p.text) for p in passages)
    # Every line of every article lands in exactly one passage.
    for article in articles[:6]:
        joined = "\n".join(p.text for p in passages if p.article_id == article.id)
        for line in article.body.splitlines():
            assert line.strip() in joined


def test_a_heading_joins_the_paragraph_after_it(tmp_path: Path) -> None:
    (tmp_path / "sample.en.md").write_text(GOOD, encoding="utf-8")
    passages = chunks(load_knowledge_base(tmp_path))
    assert [p.citation_id for p in passages] == ["sample.en#1", "sample.en#2"]
    assert passages[1].text == "## A heading\nSecond paragraph."


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("sample.en.md", "no front matter here\n", "no YAML front matter"),
        ("sample.en.md", GOOD.replace("topic: cards", "topic: cards\nauthor: me"), "author"),
        ("sample.en.md", GOOD.replace("language: en", "language: fr"), "language"),
        ("sample.en.md", GOOD.replace("updated: 2026-11-02", "updated: soon"), "updated"),
        ("other.en.md", GOOD, "does not match the file name"),
        ("sample.en.md", GOOD.replace("topic: cards\n", ""), "topic"),
        ("sample.en.md", GOOD.replace("topic: cards", "canary: XX-CANARY-00"), "canary"),
        ("sample.en.md", GOOD.replace("title: A sample", "title: [unclosed"), "not valid YAML"),
    ],
)
def test_a_malformed_article_is_refused_naming_the_file(
    tmp_path: Path, name: str, text: str, words: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_knowledge_base(tmp_path)
    assert name in str(caught.value)
    assert words in str(caught.value)


def test_an_id_in_the_wrong_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sample.en.md").write_text(GOOD.replace("language: en", "language: zh-Hant"))
    with pytest.raises(DataError, match="must end with '.zh-Hant'"):
        load_knowledge_base(tmp_path)


def test_an_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds no"):
        load_knowledge_base(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        load_knowledge_base(tmp_path / "missing")


def test_poisoned_documents_carry_distinct_canaries_absent_from_the_real_base(articles) -> None:
    documents = load_injected_documents()
    assert INJECTED_DIR != KNOWLEDGE_BASE_DIR
    assert len(documents) >= 6
    assert {d.language for d in documents} == {"en", "zh-Hant"}
    canaries = [d.canary for d in documents]
    assert len(set(canaries)) == len(canaries)
    clean = "\n".join(a.body for a in articles)
    for document in documents:
        assert document.canary in document.body
        assert document.canary not in clean
        assert "CANARY" not in clean


def test_a_poisoned_document_without_its_canary_in_the_text_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("topic: cards", "topic: cards\ncanary: ZZ-CANARY-99")
    (tmp_path / "sample.en.md").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="sample.en.md.*does not occur"):
        load_injected_documents(tmp_path)
