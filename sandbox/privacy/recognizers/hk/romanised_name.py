"""English and romanised Cantonese person names: ``Chan Tai Man``, ``Peter Chan``, ``Ms Wong``.

Matches are built from a list of HK surnames in romanisation, Cantonese given-name syllables
and common English given names; a deny-list of HK places, banks and shops ("Lee Gardens",
"Wing On", "Ho Man Tin", "Hang Seng") vetoes look-alikes.
"""

from __future__ import annotations

import json
from pathlib import Path

import regex as re
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextWords, HkEntityRecognizer
from sandbox.privacy.recognizers.hk._gazetteer import load_gazetteer

_NAMES = json.loads((Path(__file__).with_name("data") / "romanised_names.json").read_text("utf-8"))
SURNAMES: tuple[str, ...] = tuple(_NAMES["surnames"])
GIVEN_SYLLABLES: tuple[str, ...] = tuple(_NAMES["given_syllables"])
ENGLISH_GIVEN: tuple[str, ...] = tuple(_NAMES["english_given_names"])
_NOT_SURNAMES = frozenset(_NAMES["not_surnames"])
# English given names that are also ordinary capitalised words; they only count before a
# known HK surname, never before an unknown capitalised word ("May Day", "Mark Six").
_AMBIGUOUS_GIVEN = frozenset({"May", "Rose", "Ivy", "Max", "Crystal", "Ruby", "Venus", "Kay"})
_FOLLOWING_NOT_A_NAME = re.compile(
    r"^\s+(?:Road|Rd|Street|St|Avenue|Lane|Path|Building|Bldg|Centre|Center|Plaza|Tower|House|"
    r"Garden|Gardens|Estate|Court|Mansion|Bank|Limited|Ltd|Company|Co|Group|Holdings|Hospital|"
    r"School|College|Restaurant|Cafe|Station|Park|Village|Temple|Market|Shopping|Mall|Street)\b"
)
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mdm|Madam|Dr|Prof|Sir|Dame|MR|MRS|MS|MISS|DR)\.?"
_CONTEXT = ContextWords(
    (
        "name",
        "customer",
        "client",
        "account holder",
        "cardholder",
        "beneficiary",
        "payee",
        "applicant",
        "contact person",
        "signed",
        "姓名",
        "客戶",
        "客户",
        "收款人",
        "持卡人",
        "戶主",
    )
)


# Surnames that are also English words in capitals ("TRANSFER TO MAN KEE", "SO").
_GIVEN_CUES = (
    r"(?:\b(?:Hi|Hello|Dear|Hey|Thanks|Thank you|RM|I'm|I am|This is|[Mm]y name is|[Cc]all|"
    r"[Aa]sk for|[Cc]ontact)|搵|揾|我係|我叫|我是|叫做|同事|經理|经理)"
)
_NO_UPPER_FORM = frozenset({"So", "Man", "Ma", "Fan", "Sin", "Sit", "Sung", "Mui"})


def _alternation(words: tuple[str, ...], upper: bool = True) -> str:
    forms = {
        form
        for word in words
        for form in ((word, word.upper()) if upper and word not in _NO_UPPER_FORM else (word,))
    }
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


def _given_block() -> str:
    """One or two given syllables: ``Tai Man``, ``Tai-man``, ``TAI MAN``, ``Taiman`` not."""
    first = _alternation(GIVEN_SYLLABLES)
    # After a first syllable, even ambiguous ones (MAN, SO) are part of the name: CHAN TAI MAN.
    second = (
        "(?:"
        + "|".join(
            sorted({f for w in GIVEN_SYLLABLES for f in (w, w.upper())}, key=len, reverse=True)
        )
        + ")"
    )
    second_lower = "(?:" + "|".join(sorted({s.lower() for s in GIVEN_SYLLABLES})) + ")"
    return rf"{first}(?:(?:\s+|-){second}|-{second_lower})?"


def _name_patterns() -> tuple[tuple[str, re.Pattern[str], float], ...]:
    surname = _alternation(SURNAMES)
    surname_upper = "(?:" + "|".join(sorted({name.upper() for name in SURNAMES})) + ")"
    given = _given_block()
    english = _alternation(ENGLISH_GIVEN, upper=False)
    english_plain = _alternation(tuple(set(ENGLISH_GIVEN) - _AMBIGUOUS_GIVEN), upper=False)
    unknown_surname = r"(?!(?:" + "|".join(sorted(_NOT_SURNAMES)) + r")\b)[A-Z][a-z]{2,14}"
    left, right = r"(?<![A-Za-z])", r"(?![A-Za-z])"
    specs = (
        ("english_surname_given", rf"{english}\s+{surname}(?:\s+{given})?", 0.85),
        ("surname_given", rf"{surname}\s+{given}", 0.8),
        ("surname_comma_given", rf"{surname_upper}(?:,|\s?/)\s?{given}", 0.8),
        ("given_surname", rf"{given}\s+{surname}", 0.7),
        ("title_name", rf"(?<={_TITLES}\s)(?:{surname}(?:\s+{given})?|[A-Z][a-z]{{1,14}})", 0.8),
        ("english_unknown", rf"{english_plain}\s+{unknown_surname}", 0.6),
        # A first name alone after a greeting or introduction: "Hi Janice", "your RM Carmen".
        ("cue_given", rf"(?<={_GIVEN_CUES}[,:]?\s?){english}", 0.6),
    )
    return tuple((name, re.compile(left + regex + right), score) for name, regex, score in specs)


class RomanisedNameRecognizer(HkEntityRecognizer):
    """Names of people in English or romanised Cantonese, surname-first or given-first."""

    ENTITY = EntityType.PERSON
    CONTEXT_BOOST = 0.1

    def __init__(self) -> None:
        """Compile the name patterns and the deny-list of HK places and businesses."""
        gazetteer = load_gazetteer()
        given = {name.lower() for name in ENGLISH_GIVEN}
        denied = [
            name
            for name in (*gazetteer.places_en, *gazetteer.organisations_en)
            if name.lower() not in given
        ]
        self._patterns = _name_patterns()
        self._deny = re.compile(
            r"(?<![A-Za-z])(?:"
            + "|".join(re.escape(name) for name in sorted(set(denied), key=len, reverse=True))
            + r")(?![A-Za-z])",
            re.IGNORECASE,
        )
        super().__init__()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Name candidates that do not start inside a denied place or business name."""
        denied = [match.span() for match in self._deny.finditer(text, overlapped=True)]
        results = []
        for pattern_name, regex, base_score in self._patterns:
            for match in regex.finditer(text, overlapped=True):
                start, end = match.span()
                if _starts_inside(start, denied) or _FOLLOWING_NOT_A_NAME.match(text[end:]):
                    continue
                score = base_score + (self.CONTEXT_BOOST if _CONTEXT.found(text, start, end) else 0)
                results.append(self._result(start, end, min(score, 0.95), pattern_name))
        return EntityRecognizer.remove_duplicates(results)

    def _result(self, start: int, end: int, score: float, pattern_name: str) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=score,
            pattern_name=pattern_name,
            textual_explanation=f"Romanised name pattern `{pattern_name}`",
        )
        return RecognizerResult(
            entity_type=self.ENTITY.value,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )


def _starts_inside(start: int, spans: list[tuple[int, int]]) -> bool:
    """Whether a candidate starts inside a denied name ("Ho Man Tin", not "Chan Tai Wai")."""
    return any(span_start <= start < span_end for span_start, span_end in spans)
