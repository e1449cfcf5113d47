"""Person names written in Chinese characters: ``陳大文``, ``黃小明``, ``陳生``, ``李小姐``.

Two sources are combined: jieba part-of-speech tagging (``nr`` = person name) restricted to
2-4 characters starting with a common Hong Kong surname, and patterns around honorifics
(先生, 小姐, 太, 生) and cue words (叫, 客戶, 姓名, 收款人). jieba is given HK places, estates,
banks and shops as non-name words so that 太古城, 何文田 or 周生生 are not taken for people.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import jieba
import jieba.posseg
import regex as re
from presidio_analyzer import AnalysisExplanation, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextWords, HkEntityRecognizer
from sandbox.privacy.recognizers.hk._gazetteer import Gazetteer, alternation, load_gazetteer

_NAME_TAGS = frozenset({"nr", "nrfg"})
_HONORIFICS_AFTER_FULL_NAME = (
    "先生|小姐|太太|女士|姑娘|醫生|医生|經理|经理|律師|律师|老師|老师|教授|主任|同學|同学|師傅|师傅"
)
_HONORIFICS_AFTER_SURNAME = (
    r"先生|小姐|太太|女士|姑娘|sir|Sir|SIR|生(?![產产活意日氣气效存命成物病長长字])"
    r"|太(?![多貴贵少遲迟快慢大細细高低好古子空陽阳平和過过早晚差難难易重輕轻遠远近長长短熱热凍冻冷急忙])"
)
_CUES_BEFORE = (
    r"(?:叫做|名叫|叫|姓名|客戶|客户|客人|收款人|予|向|個仔|個女|个仔|个女|媽媽|妈妈|爸爸|老豆|老竇|持卡人|戶主|户主|聯絡人|联络人|轉賬俾|转账给|轉俾|轉畀"
    r"|俾|畀|給|给|我係|我是|本人|同事|朋友|老公|老婆|太太)[:：]?\s?"
)
# Characters that end a name: a 3rd character from this set belongs to the next word.
_NAME_STOP = set(
    "致話话係系是的嘅先小太生在喺去有要想同和及與与打講讲說说問问查申已今昨明琴聽听"
    "嚟来來會会都就又再而但咗了過过啦呀喎嗎吗呢咩嘛噉咁啊話讲叫姓名請请轉转俾畀給给"
)
_CONTEXT = ContextWords(
    (
        "姓名",
        "客戶",
        "客户",
        "先生",
        "小姐",
        "太太",
        "女士",
        "收款人",
        "持卡人",
        "戶主",
        "户主",
        "叫",
    )
)
_HAN = r"\p{Han}"
_NOT_NICKNAMES = (
    "姨|媽|妈|爸|哥|姐|妹|弟|嫲|爺|爷|公|婆|仔|女|伯|叔|嬸|婶|嫂|舅|Sir|SIR|sir|邊|边|拉|里|根|聯|联|"
    "富|爾|尔|們|们|膠|胶|蘇|苏|差|媽媽|Q|乜|咩|如|誰|谁"
)
_CLAUSE_VERBS = (
    "表示|話|想|說|说|稱|称|接到|投訴|投诉|致電|致电|確認|确认|要求|報稱|报称|收到|指出|反映|"
    "查詢|查询|申請|申请|遺失|遗失|報失|报失|聲稱|声称|同意|透過|透过"
)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    score: float
    source: str


class ChineseNameRecognizer(HkEntityRecognizer):
    """Chinese-character person names (PERSON_ZH), Traditional or Simplified."""

    ENTITY = EntityType.PERSON_ZH
    JIEBA_SCORE = 0.6
    PATTERN_SCORE = 0.85
    CONTEXT_BOOST = 0.2

    def __init__(self) -> None:
        """Compile the patterns; jieba itself is loaded on first use (about a second)."""
        gazetteer = load_gazetteer()
        self._gazetteer = gazetteer
        self._surnames = frozenset(gazetteer.surnames_zh)
        self._surname_initials = frozenset(name[0] for name in gazetteer.surnames_zh)
        self._common_words = frozenset(gazetteer.common_words_zh)
        surname = alternation(gazetteer.surnames_zh)
        self._full_before_honorific = re.compile(
            rf"{surname}{_HAN}{{1,2}}?(?=(?:{_HONORIFICS_AFTER_FULL_NAME}))"
        )
        self._surname_honorific = re.compile(rf"{surname}(?:{_HONORIFICS_AFTER_SURNAME})")
        self._after_cue = re.compile(rf"(?<={_CUES_BEFORE}){surname}{_HAN}{{1,2}}")
        self._after_surname_word = re.compile(rf"(?<=姓){surname}(?![名氏])")
        # A name opening a clause and followed by a reporting verb ("馬基華表示…", "陳珊想…").
        self._clause_subject = re.compile(
            rf"(?<=^|[：:，,。；;！!？?\s]){surname}{_HAN}{{1,2}}?(?=(?:{_CLAUSE_VERBS}))"
        )
        # Cantonese nicknames: 阿明, 阿May (not kinship terms such as 阿媽, 阿Sir).
        self._nickname = re.compile(
            rf"(?<=叫|搵|揾|同|問|问|俾|畀|找|請|请|call|Call)阿(?!(?:{_NOT_NICKNAMES})){_HAN}"
            rf"|阿(?!(?:{_NOT_NICKNAMES}))(?:{_HAN}(?!{_HAN})|{_HAN}(?=(?:{_CLAUSE_VERBS}|話|講|佢|係|都))"
            r"|[A-Z][a-z]{2,9}(?![A-Za-z]))"
        )
        # A 2-3 character token between punctuation that starts with a surname, as in record
        # fields ("定期審查：司徒玲麗，出生日期…"); kept only if jieba's dictionary does not know it
        # as an ordinary word.
        self._delimited = re.compile(
            rf"(?<=^|[：:，,、；;。（(「\s]){surname}{_HAN}{{1,2}}(?=[，,、；;。）)」\s]|$)"
        )
        self._denied = re.compile(alternation((*gazetteer.places_zh, *gazetteer.organisations_zh)))
        self._tagger: jieba.posseg.POSTokenizer | None = None
        self._lock = threading.Lock()
        super().__init__()

    def tagger(self) -> jieba.posseg.POSTokenizer:
        """A private jieba POS tagger that knows HK places and businesses (built once)."""
        with self._lock:
            if self._tagger is None:
                self._tagger = _build_tagger(self._gazetteer)
            return self._tagger

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Name spans from jieba and from the honorific and cue patterns, overlaps merged."""
        if not re.search(_HAN, text):
            return []
        denied = [match.span() for match in self._denied.finditer(text, overlapped=True)]
        candidates = [
            candidate
            for candidate in (*self._jieba_candidates(text), *self._pattern_candidates(text))
            if not any(start <= candidate.start < end for start, end in denied)
            and text[candidate.start : candidate.start + 2] not in self._common_words
        ]
        return [self._result(candidate) for candidate in _merge(candidates)]

    def _jieba_candidates(self, text: str) -> Iterator[_Candidate]:
        """jieba ``nr`` tokens, tagged only in windows around surname characters.

        jieba's POS HMM costs ~0.1 s per paragraph; a name needs a surname, so only the text
        from 2 characters before to 6 after each surname character is tagged (overlapping
        windows merged). That keeps the tagging context of every candidate and makes the
        recognizer an order of magnitude faster on long texts.
        """
        for window_start, window_end in self._surname_windows(text):
            position = window_start
            words = list(self._tagged_words(text[window_start:window_end]))
            for index, (word, flag) in enumerate(words):
                start, position = position, position + len(word)
                following = words[index + 1] if index + 1 < len(words) else ("", "")
                if (
                    word in self._surnames
                    and following[1] in _NAME_TAGS
                    and 1 <= len(following[0]) <= 2
                    and re.fullmatch(rf"{_HAN}+", following[0])
                ):
                    # jieba often splits a name after the surname: 黃 | 小明.
                    yield _Candidate(start, position + len(following[0]), self.JIEBA_SCORE, "jieba")
                if flag in _NAME_TAGS and self._is_name_shaped(word):
                    score = self.JIEBA_SCORE + (
                        self.CONTEXT_BOOST if _CONTEXT.found(text, start, position) else 0.0
                    )
                    yield _Candidate(start, position, score, "jieba")

    def _tagged_words(self, text: str) -> Iterator[tuple[str, str]]:
        """jieba words with their dictionary tag; words the HMM discovered are tagged ``nr``.

        jieba's segmentation HMM (4 states) is ~50x faster than its POS HMM; a word it builds
        from characters that the dictionary does not know, and that starts with a surname, is
        in practice a person's name (dictionary names keep their own ``nr`` tag).
        """
        tagger = self.tagger()
        for word in tagger.tokenizer.cut(text, HMM=True):
            tag = tagger.word_tag_tab.get(word)
            if tag is None:
                tag = "x" if tagger.tokenizer.FREQ.get(word) else "nr"
            yield word, tag

    def _surname_windows(self, text: str) -> list[tuple[int, int]]:
        windows: list[list[int]] = []
        for index, char in enumerate(text):
            if char not in self._surname_initials:
                continue
            start, end = max(0, index - 2), min(len(text), index + 6)
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end)
            else:
                windows.append([start, end])
        return [(start, end) for start, end in windows]

    def _is_name_shaped(self, word: str) -> bool:
        if not 2 <= len(word) <= 4 or not re.fullmatch(rf"{_HAN}+", word):
            return False
        return word[0] in self._surnames or word[:2] in self._surnames

    def _pattern_candidates(self, text: str) -> Iterator[_Candidate]:
        for match in self._full_before_honorific.finditer(text, overlapped=True):
            yield _Candidate(*match.span(), self.PATTERN_SCORE, "honorific")
        for match in self._surname_honorific.finditer(text):
            yield _Candidate(*match.span(), self.PATTERN_SCORE - 0.05, "surname_honorific")
        for match in self._after_cue.finditer(text):
            start, end = match.span()
            if end - start == 3 and text[end - 1] in _NAME_STOP:
                end -= 1
            yield _Candidate(start, end, self.PATTERN_SCORE, "cue")
        for match in self._after_surname_word.finditer(text):
            yield _Candidate(*match.span(), 0.6, "surname_cue")
        for match in self._nickname.finditer(text):
            yield _Candidate(*match.span(), 0.55, "nickname")
        for match in self._clause_subject.finditer(text):
            if not self._is_dictionary_word(match.group()):
                yield _Candidate(*match.span(), 0.55, "clause_subject")
        for match in self._delimited.finditer(text):
            if not self._is_dictionary_word(match.group()):
                yield _Candidate(*match.span(), 0.55, "delimited")

    def _is_dictionary_word(self, word: str) -> bool:
        """Whether jieba knows ``word`` as something other than a person name."""
        tagger = self.tagger()
        tag = tagger.word_tag_tab.get(word)
        if tag is not None:
            return tag not in _NAME_TAGS
        return bool(tagger.tokenizer.FREQ.get(word))

    def _result(self, candidate: _Candidate) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=candidate.score,
            textual_explanation=f"Chinese name from {candidate.source}",
        )
        return RecognizerResult(
            entity_type=self.ENTITY.value,
            start=candidate.start,
            end=candidate.end,
            score=round(min(candidate.score, 0.95), 4),
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )


def _build_tagger(gazetteer: Gazetteer) -> jieba.posseg.POSTokenizer:
    """A jieba tokenizer of its own (the global one stays untouched) with HK non-name words."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tagged = (
        (gazetteer.places_zh, "ns"),
        (gazetteer.organisations_zh, "nt"),
        (gazetteer.common_words_zh, "n"),
    )
    for words, tag in tagged:
        for word in words:
            tokenizer.add_word(word, freq=2_000_000, tag=tag)
    return jieba.posseg.POSTokenizer(tokenizer)


def _merge(candidates: list[_Candidate]) -> list[_Candidate]:
    """Overlapping candidates become one span with the best score."""
    merged: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.start, -c.end)):
        if merged and candidate.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = _Candidate(
                last.start,
                max(last.end, candidate.end),
                max(last.score, candidate.score),
                f"{last.source}+{candidate.source}",
            )
        else:
            merged.append(candidate)
    return merged
