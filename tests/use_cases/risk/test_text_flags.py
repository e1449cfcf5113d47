"""The embedding reader of memo flags, with the real MiniLM model, and the flag scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sandbox.models.embeddings import SentenceEmbedder
from use_cases.risk.memos import SIGNALS
from use_cases.risk.text_flags import (
    EmbeddingFlagReader,
    flag_quality,
    flags_by_applicant,
    is_chinese,
    llm_prompt,
)


class MiniLM:
    """LangChain's Embeddings face over the local MiniLM (runs use GatewayEmbeddings)."""

    def __init__(self) -> None:
        self.model = SentenceEmbedder(cache_dir=None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.transform(texts).tolist()


@pytest.fixture(scope="module")
def reader() -> EmbeddingFlagReader:
    return EmbeddingFlagReader(MiniLM())


def test_reader_tells_signals_from_their_denials_and_from_facts(reader) -> None:
    sentences = [
        "The customer has repeatedly paid her card bills late over the past year.",
        "The borrower was sued by a money lender last spring.",
        "Court searches show no proceedings against the customer.",
        "The applicant asks for HK$ 50,000 over 24 months to renovate the flat.",
        "借款人過去半年多次拖欠信用卡還款。",
    ]
    labels = reader.read(sentences).labels
    assert list(labels) == ["late_payments", "litigation", "none", "none", "late_payments"]


def test_flags_cite_the_most_similar_sentence_of_each_applicant() -> None:
    sentences = pd.DataFrame({"applicant": [0, 0, 0, 1, 1], "position": [0, 1, 2, 0, 1]})
    labels = np.array(["none", "litigation", "litigation", "late_payments", "none"])
    confidence = np.array([0.9, 0.5, 0.7, 0.6, 0.9])
    flags = flags_by_applicant(sentences, labels, confidence, applicants=3)
    assert flags["litigation"].tolist() == [1, 0, 0]
    assert flags["cite.litigation"].tolist() == [2, -1, -1]
    assert flags["late_payments"].tolist() == [0, 1, 0]
    assert flags["cite.late_payments"].tolist() == [-1, 0, -1]


def test_flag_quality_counts_precision_recall_and_citations() -> None:
    truth = pd.DataFrame({s: [1, 1, 0, 0] for s in SIGNALS})
    flags = pd.DataFrame({s: [1, 0, 1, 0] for s in SIGNALS})
    for s in SIGNALS:
        flags[f"cite.{s}"] = [1, -1, 0, -1]
    sentences = pd.DataFrame(
        {
            "applicant": [0, 0, 2],
            "position": [0, 1, 0],
            "states": ["none", "litigation", "none"],
        }
    )
    quality = flag_quality(truth, flags, sentences)
    assert quality["litigation"]["precision"] == 0.5
    assert quality["litigation"]["recall"] == 0.5
    assert quality["litigation"]["citation_accuracy"] == 0.5
    assert quality["late_payments"]["citation_accuracy"] == 0.0


def test_language_detection_and_the_llm_prompt() -> None:
    assert is_chinese("申請人過去十個月沒有逾期還款。")
    assert not is_chinese("No overdue payments (逾期) were found.")
    messages = llm_prompt().invoke({"sentence": "A writ was served."}).to_messages()
    assert messages[0].type == "system" and "one word" in messages[0].content
    assert messages[-1].content == 'Sentence: "A writ was served."'
