"""Risk flags from credit-memo sentences, with the sentence each flag cites.

Two GenAI readers, both through the sandbox's model gateway (redaction, quotas, audit):

* :class:`EmbeddingFlagReader` embeds every sentence (MiniLM through LangChain's
  ``Embeddings`` interface, :class:`sandbox.models.chains.GatewayEmbeddings`) and gives it the
  label of the nearest labelled example sentence in :data:`EXAMPLES` (written here, in English
  and Traditional Chinese, worded unlike the memo generator, and including denials so that "no
  court claims" reads as no signal). A flag is raised when some sentence of the memo is labelled
  with it; the flag cites that sentence.
* :func:`llm_flags` asks the generative model about the sentences that the embedding reader
  found close to any signal (retrieve, then read): a LangChain few-shot prompt and the label
  tokens' probabilities (:meth:`Gateway.label_probabilities`), one word per label. On CPU it runs
  on a capped sample of memos.

Neither reader sees whether an applicant defaulted, so flags can be computed for every applicant
before the split without leaking the target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from langchain_core.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate
from sklearn.feature_extraction.text import TfidfVectorizer

from use_cases.risk.memos import SIGNALS

NONE = "none"

EXAMPLES: dict[str, tuple[str, ...]] = {
    "late_payments": (
        "Two instalments on the mortgage were paid after the due date.",
        "The borrower has a history of overdue card payments.",
        "Repayments on the existing loan are in arrears.",
        "She missed several monthly payments on her credit card.",
        "借款人的按揭有兩期供款遲交。",
        "客戶信用卡多次逾期還款。",
        "現有貸款的供款仍然拖欠。",
        "他有好幾個月沒有準時還卡數。",
        "The customer paid his loan instalments weeks late on several occasions.",
        "Arrears of three months were recorded on the card account.",
        "客戶曾經拖欠貸款，被追收欠款。",
        "信貸資料庫紀錄顯示借款人有逾期未還的賬項。",
    ),
    "litigation": (
        "A creditor has sued the borrower for an unpaid balance.",
        "There is an outstanding court judgment against him.",
        "The borrower faces a lawsuit over a debt.",
        "Legal proceedings were started against the customer by a lender.",
        "債權人已就未清還的欠款入稟控告借款人。",
        "法庭對他作出的判決仍未執行。",
        "借款人因債務面臨官司。",
        "貸款機構已對客戶展開法律程序。",
        "A claim over an unpaid debt is pending in court.",
        "The borrower was named as defendant in a debt recovery case.",
        "有財務公司向法院申索，追討借款人的欠款。",
        "借款人涉及一宗債務訴訟，案件尚未審結。",
    ),
    "sector_distress": (
        "His industry is going through heavy layoffs.",
        "The company she works for is cutting jobs because business collapsed.",
        "Demand in the borrower's trade has dropped sharply.",
        "The shop's sales have fallen and wages were reduced.",
        "他所屬的行業正大規模裁員。",
        "她任職的公司生意大跌，正在削減人手。",
        "借款人所屬行業的需求大幅下跌。",
        "店舖營業額下降，員工被減薪。",
        "Business in the borrower's line of work is shrinking and firms are closing.",
        "Her employer put staff on unpaid leave after orders dried up.",
        "該行業經營困難，不少公司倒閉。",
        "僱主因訂單減少要求員工放無薪假。",
    ),
    "related_party": (
        "Funds were moved to a firm owned by the borrower's family.",
        "The borrower's relatives' company sends him regular payments.",
        "Money from the loan went to a business he controls.",
        "He stands as guarantor for his family's company.",
        "資金被轉到借款人家人擁有的公司。",
        "借款人親戚的公司定期向他匯款。",
        "貸款資金流向他控制的公司。",
        "他為家族公司的借貸擔保。",
        "Large payments went to a company run by the borrower's spouse.",
        "The borrower is a director of the company that received the funds.",
        "大額款項轉入借款人配偶經營的公司。",
        "收款公司的董事正是借款人本人。",
    ),
    "adverse_news": (
        "A newspaper says the borrower's co-director is under police investigation.",
        "Reports link her business associate to a fraud case.",
        "The press reported that a director of his firm was charged.",
        "Media coverage names the borrower's partner in a scandal.",
        "報章指借款人公司的另一董事正被警方調查。",
        "有報道指她的業務夥伴牽涉詐騙案。",
        "傳媒報道他公司的一名董事被落案起訴。",
        "新聞指借款人的合夥人捲入醜聞。",
        "An article reports that the borrower's fellow director was arrested.",
        "Her business partner is named in news about a bribery inquiry.",
        "報道指借款人公司的董事被廉署拘捕。",
        "新聞報道借款人的拍檔被控欺詐。",
    ),
    NONE: (
        "All repayments so far were made on time.",
        "No legal action has been taken against the borrower.",
        "The borrower's employer is doing well and hiring.",
        "There are no dealings with companies of the borrower's family.",
        "Searches found no negative press about the borrower.",
        "The borrower asks for a loan to buy a car over three years.",
        "He has lived at the same address for five years.",
        "The phone number on the application was verified.",
        "The case is passed to the approving officer.",
        "Salary slips were checked.",
        "至今所有供款均準時繳交。",
        "借款人並無被起訴。",
        "借款人的僱主業務理想，仍在招聘。",
        "借款人與家族公司之間沒有任何往來。",
        "搜尋未發現關於借款人的負面報道。",
        "借款人申請三年期私人貸款購買汽車。",
        "他在同一地址居住了五年。",
        "申請表上的電話號碼已核實。",
        "個案交由審批主任決定。",
        "糧單已經核對。",
        "信貸紀錄良好，從未拖欠供款。",
        "法院紀錄中沒有借款人的名字。",
        "借款人任職的行業前景穩定。",
        "借款人沒有為任何公司提供擔保。",
        "傳媒並無任何有關借款人的負面消息。",
        "The credit record is clean, with no missed payments.",
        "Court searches returned nothing on the borrower.",
        "The borrower gives no guarantees to any company.",
    ),
}
"""Labelled example sentences (English and Traditional Chinese) the embedding reader compares
memo sentences with; ``none`` holds facts, routine remarks and denials of each signal."""

LLM_LABELS = {
    "late": "late_payments",
    "court": "litigation",
    "sector": "sector_distress",
    "family": "related_party",
    "news": "adverse_news",
    NONE: NONE,
}
"""One-word answers the generative model chooses from -> the signal they stand for."""

LLM_SYSTEM_PROMPT = (
    "You read one sentence from a bank's credit memo. Answer with one word: late (late or "
    "missed repayments), court (lawsuit or judgment), sector (the borrower's industry or "
    "employer in trouble), family (money or guarantees with companies of the borrower or "
    "relatives), news (bad press about an associate) or none (anything else, including "
    "denials)."
)
LLM_SHOTS = (
    ("Three card payments were made late this year.", "late"),
    ("All instalments were paid on time.", "none"),
    ("A finance company has sued the borrower.", "court"),
    ("借款人的僱主正大幅裁員。", "sector"),
    ("He transferred HK$ 80,000 to his sister's company.", "family"),
    ("報章報道他的合夥人涉嫌詐騙。", "news"),
    ("沒有發現任何法律訴訟。", "none"),
)


@dataclass(frozen=True)
class SentenceLabels:
    """What a reader made of each sentence: label, confidence and the nearest example."""

    labels: np.ndarray
    """Signal name or ``none`` per sentence."""
    confidence: np.ndarray
    """Cosine similarity to the nearest example (embedding reader) or label probability."""
    nearest: np.ndarray
    """The example sentence or answer that decided the label."""
    signal_similarity: np.ndarray
    """Highest similarity to any signal example (embedding reader; ``nan`` otherwise)."""


_CJK = re.compile(r"[\u3400-\u9fff]")


def is_chinese(text: str) -> bool:
    """True when a sentence is mostly written in Chinese characters."""
    letters = sum(ch.isalpha() for ch in text)
    return letters > 0 and len(_CJK.findall(text)) / letters >= 0.5


class EmbeddingFlagReader:
    """The nearest labelled example decides each sentence's label.

    Similarity is MiniLM cosine similarity blended with character n-gram TF-IDF similarity:
    MiniLM (all-MiniLM-L6-v2) was trained on English only, so Chinese sentences lean on the
    character n-grams (``char_weight_zh``) and English ones on the embedding
    (``char_weight_en``).

    Args:
        embeddings: A LangChain ``Embeddings`` (``GatewayEmbeddings`` in runs).
        min_similarity: A sentence whose nearest example is a signal example below this
            similarity is labelled ``none``.
        char_weight_en: Weight of the character n-gram similarity for English sentences.
        char_weight_zh: The same for Chinese sentences.
    """

    def __init__(
        self,
        embeddings: Any,
        min_similarity: float = 0.35,
        char_weight_en: float = 0.3,
        char_weight_zh: float = 0.5,
    ) -> None:
        self.embeddings = embeddings
        self.min_similarity = min_similarity
        self.char_weights = (char_weight_en, char_weight_zh)
        self.example_labels = np.array([label for label, xs in EXAMPLES.items() for _ in xs])
        self.example_texts = [text for texts in EXAMPLES.values() for text in texts]
        self._examples = np.asarray(self.embeddings.embed_documents(self.example_texts))
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self._example_chars = self._chars.fit_transform(self.example_texts)

    def similarity(self, sentences: Sequence[str]) -> np.ndarray:
        """Blended similarity of each sentence (rows) to each example (columns)."""
        vectors = np.asarray(self.embeddings.embed_documents(list(sentences)))
        dense = vectors @ self._examples.T
        chars = (self._chars.transform(sentences) @ self._example_chars.T).toarray()
        weight = np.array([self.char_weights[is_chinese(s)] for s in sentences])[:, None]
        return (1 - weight) * dense + weight * chars

    def read(self, sentences: Sequence[str]) -> SentenceLabels:
        """Label each (redacted) sentence."""
        similarity = self.similarity(sentences)
        best = similarity.argmax(axis=1)
        best_similarity = similarity[np.arange(len(best)), best]
        labels = self.example_labels[best].copy()
        labels[(labels != NONE) & (best_similarity < self.min_similarity)] = NONE
        is_signal = self.example_labels != NONE
        return SentenceLabels(
            labels=labels,
            confidence=best_similarity,
            nearest=np.array(self.example_texts, dtype=object)[best],
            signal_similarity=similarity[:, is_signal].max(axis=1),
        )


def flags_by_applicant(
    sentences: pd.DataFrame, labels: np.ndarray, confidence: np.ndarray, applicants: int
) -> pd.DataFrame:
    """Per applicant: a 0/1 column per signal and ``cite.<signal>`` (the cited sentence's
    position in the memo, -1 when the flag is not raised)."""
    frame = sentences[["applicant", "position"]].assign(label=labels, confidence=confidence)
    out = pd.DataFrame(index=pd.RangeIndex(applicants))
    for signal in SIGNALS:
        hits = frame[frame["label"] == signal].sort_values("confidence", ascending=False)
        first = hits.drop_duplicates("applicant").set_index("applicant")["position"]
        out[signal] = out.index.isin(first.index).astype(int)
        out[f"cite.{signal}"] = first.reindex(out.index).fillna(-1).astype(int)
    return out


def llm_prompt() -> ChatPromptTemplate:
    """The LangChain few-shot prompt of the generative reader."""
    shots = FewShotChatMessagePromptTemplate(
        examples=[{"sentence": s, "answer": a} for s, a in LLM_SHOTS],
        example_prompt=ChatPromptTemplate.from_messages(
            [("human", 'Sentence: "{sentence}"'), ("ai", "{answer}")]
        ),
    )
    return ChatPromptTemplate.from_messages(
        [("system", LLM_SYSTEM_PROMPT), shots, ("human", 'Sentence: "{sentence}"')]
    )


def llm_labels(
    chat_model: Any,
    sentences: Sequence[str],
    *,
    purpose: str,
    progress: Callable[[int, int], None] | None = None,
) -> SentenceLabels:
    """The generative model's label for each sentence (``chat_model``: a
    :class:`sandbox.models.chains.GatewayChatModel`)."""
    prompt = llm_prompt()
    answers = list(LLM_LABELS)
    found = chat_model.label_probabilities(
        [prompt.invoke({"sentence": s}) for s in sentences],
        answers,
        purpose=purpose,
        progress=progress,
    )
    best = [max(result, key=result.__getitem__) for result in found]
    return SentenceLabels(
        labels=np.array([LLM_LABELS[a] for a in best]),
        confidence=np.array([result[a] for result, a in zip(found, best, strict=True)]),
        nearest=np.array(best, dtype=object),
        signal_similarity=np.full(len(best), np.nan),
    )


def flag_quality(
    truth: pd.DataFrame,
    flags: pd.DataFrame,
    sentences: pd.DataFrame | None = None,
) -> dict[str, dict[str, float]]:
    """Precision, recall and counts per signal against the hidden signals, and, when the
    sentence rows are given, the share of raised flags whose cited sentence states the signal."""
    out: dict[str, dict[str, float]] = {}
    states = None
    if sentences is not None:
        states = sentences.set_index(["applicant", "position"])["states"]
    for signal in SIGNALS:
        y, f = truth[signal].to_numpy().astype(int), flags[signal].to_numpy().astype(int)
        tp = int((y & f).sum())
        values = {
            "precision": tp / f.sum() if f.sum() else float("nan"),
            "recall": tp / y.sum() if y.sum() else float("nan"),
            "support": float(y.sum()),
            "raised": float(f.sum()),
        }
        if states is not None and f.sum():
            cited = [
                states.get((int(a), int(p))) == signal
                for a, p in zip(flags.index[f == 1], flags[f"cite.{signal}"][f == 1], strict=True)
            ]
            values["citation_accuracy"] = float(np.mean(cited))
        out[signal] = values
    return out
