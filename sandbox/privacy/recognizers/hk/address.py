"""Hong Kong postal addresses in English and Chinese.

An address is read as a chain of parts (flat, floor, block, building, street with number,
estate, district, region) joined by commas or spaces, or by nothing in Chinese. A chain
counts when it holds a flat, floor or numbered street plus one more part, or a block plus a
named building or estate; a numbered street alone counts weakly. A lone district ("I work in
Central") never counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import regex as re
from presidio_analyzer import AnalysisExplanation, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import HkEntityRecognizer
from sandbox.privacy.recognizers.hk._gazetteer import alternation, load_gazetteer


class Part(StrEnum):
    """Kinds of address part, from most to least telling."""

    UNIT = "unit"
    FLOOR = "floor"
    STREET_NUMBERED = "street_numbered"
    BLOCK = "block"
    ESTATE = "estate"
    BUILDING = "building"
    STREET = "street"
    DISTRICT = "district"
    REGION = "region"
    GENERIC = "generic"


ANCHORS = frozenset({Part.UNIT, Part.FLOOR, Part.STREET_NUMBERED})
NAMED = frozenset({Part.ESTATE, Part.BUILDING, Part.STREET, Part.GENERIC})

_L = r"(?<![A-Za-z0-9])"
_R = r"(?![A-Za-z0-9])"
_WORD = r"[A-Z][A-Za-z'’.&\-]*"
# Characters that never start a Chinese street or building name (pronouns, verbs, particles),
# so "我住喺彌敦道" yields the street "彌敦道", not "我住喺彌敦道".
_STOP_ZH = (
    "我你佢他她它們们住喺係系是在於于去到返回的嘅之和同與与及或址為为搬從从經经沿向往過过"
    "條条喎呀啦嘛咩呢吖囉啊咗緊紧著着了把請请轉转客戶户致電电話话查詢询寄送郵邮知識识要想"
    "會会可以有冇無无就都也再俾畀給给"
)
_HAN = rf"(?:(?![{_STOP_ZH}])\p{{Han}})"
_ZH_NUM = "[一二三四五六七八九十]"
_SEPARATOR = re.compile(r"[ \t]*[,，、]?[ \t\r\n]*")


def _cased(words: tuple[str, ...]) -> str:
    """Alternation of words in Title case and UPPER case, longest first."""
    forms = {form for word in words for form in (word, word.upper())}
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


_STREET_SUFFIX = (
    _cased(
        (
            "Road",
            "Rd.",
            "Rd",
            "Street",
            "St.",
            "St",
            "Avenue",
            "Ave.",
            "Ave",
            "Lane",
            "Path",
            "Drive",
            "Terrace",
            "Crescent",
            "Circuit",
            "Highway",
            "Boulevard",
            "Praya",
            "Bypass",
            "Way",
            "Close",
            "Square",
        )
    )
    + r"(?:\s+"
    + _cased(("East", "West", "North", "South", "Central"))
    + ")?"
)
_BUILDING_SUFFIX = _cased(
    (
        "Building",
        "Bldg",
        "Mansion",
        "Mansions",
        "Court",
        "Centre",
        "Center",
        "Plaza",
        "Tower",
        "Towers",
        "House",
        "Garden",
        "Gardens",
        "Estate",
        "Villa",
        "Villas",
        "Heights",
        "Place",
        "Chuen",
        "Shing",
        "Park",
        "Residence",
        "Residences",
        "Lodge",
        "Hall",
        "Mall",
        "Castle",
        "Cove",
        "Crest",
        "Horizon",
        "Horizons",
        "Palace",
        "Apartments",
        "Arcade",
        "Grove",
        "Manor",
        "Pavilion",
        "Summit",
        "Village",
        "Yuen",
        "Lau",
        "Tsuen",
        "Commercial Centre",
        "Industrial Building",
        "Industrial Centre",
        "Industrial Estate",
    )
)
_ZH_STREET_SUFFIX = r"(?:道|街|路|里|徑|径|坊|巷|圍|围)[東西南北中东]?"
_ZH_BUILDING_SUFFIX = (
    r"(?:大廈|大厦|中心|花園|花园|廣場|广场|商場|商场|大樓|大楼|山莊|山庄|豪庭|豪園|豪园|半島|半岛"
    r"|新邨|苑|邨|村|閣|阁|軒|轩|居|城|灣|湾|臺|台|廊|園|园|峰|峯|庭|府|樓|楼)"
)


def _part_patterns() -> tuple[tuple[Part, re.Pattern[str]], ...]:
    """Regexes of every part kind, English and Chinese, tried at a given position."""
    gazetteer = load_gazetteer()
    en = r"(?![A-Za-z0-9$])"
    specs: tuple[tuple[Part, str], ...] = (
        (
            Part.UNIT,
            _L + r"(?i:flat|flt|room|rm|unit|suite|shop|apartment|apt|house)\.?\s?(?i:no\.?\s?)?"
            r"(?:[A-Z]?\d{1,4}[A-Z]?|[A-Z])(?:\s?[-&]\s?(?:\d{1,4}[A-Z]?|[A-Z]))?" + _R,
        ),
        (
            Part.FLOOR,
            _L + r"(?:(?:\d{1,3}|G|LG|UG|M|B\d?)\s?/\s?F"
            r"|(?i:\d{1,3}(?:st|nd|rd|th)|ground|upper ground|lower ground|mezzanine)\s+(?i:floor)"
            r"|(?i:floor)\s+\d{1,3}|\d{1,2}F)" + _R,
        ),
        (
            Part.BLOCK,
            _L + r"(?i:block|blk|tower|twr|phase|stage|wing)\.?\s?(?:[A-Z]\d?|\d{1,2}[A-Z]?)" + _R,
        ),
        (
            Part.STREET_NUMBERED,
            _L
            + r"(?:(?i:no)\.?\s?)?\d{1,4}[A-Z]?(?:\s?[-–]\s?\d{1,4}[A-Z]?)?,?\s+"
            + rf"(?:{_WORD}\s+){{1,4}}{_STREET_SUFFIX}"
            + _R,
        ),
        (Part.STREET, _L + rf"(?:{_WORD}\s+){{1,4}}{_STREET_SUFFIX}" + _R),
        (Part.BUILDING, _L + rf"(?:{_WORD}\s+){{1,4}}{_BUILDING_SUFFIX}" + _R),
        (Part.ESTATE, _L + "(?i:" + alternation(gazetteer.estates_en) + ")" + en),
        (Part.DISTRICT, _L + "(?i:" + alternation(gazetteer.districts_en) + ")" + en),
        (Part.REGION, _L + "(?i:" + alternation(gazetteer.regions_en) + ")" + en),
        (
            Part.UNIT,
            r"(?:[A-Za-z]|\d{1,4}[A-Za-z]?)\s?(?:室|號室|号室|號舖|号铺|號鋪|舖|铺|鋪|單位|单位)",
        ),
        (
            Part.FLOOR,
            rf"(?:(?:\d{{1,3}}|{_ZH_NUM}{{1,3}})\s?(?:樓|楼|層|层)|地下|地庫|地库|閣樓|阁楼|天台)",
        ),
        (Part.BLOCK, rf"第?(?:\d{{1,3}}|[A-Za-z]|{_ZH_NUM}{{1,3}})\s?(?:座|期|棟|栋|幢)"),
        (
            Part.STREET_NUMBERED,
            rf"{_HAN}{{1,6}}?{_ZH_STREET_SUFFIX}\s?\d{{1,4}}[A-Za-z]?"
            r"(?:\s?[-至]\s?\d{1,4}[A-Za-z]?)?\s?[號号]",
        ),
        (Part.STREET, rf"{_HAN}{{2,6}}?{_ZH_STREET_SUFFIX}"),
        (Part.ESTATE, alternation(gazetteer.estates_zh)),
        (Part.BUILDING, rf"{_HAN}\p{{Han}}{{0,5}}{_ZH_BUILDING_SUFFIX}"),
        (Part.DISTRICT, alternation(gazetteer.districts_zh)),
        (Part.REGION, alternation(gazetteer.regions_zh)),
    )
    return tuple((part, re.compile(regex)) for part, regex in specs)


_GENERIC = re.compile(_L + rf"(?:The\s+)?{_WORD}(?:\s+{_WORD}){{0,4}}" + _R)


@dataclass(frozen=True)
class AddressPart:
    """One recognised part of an address: ``text[start:end]`` is a ``kind``."""

    kind: Part
    start: int
    end: int


class HkAddressRecognizer(HkEntityRecognizer):
    """English and Chinese Hong Kong addresses, as the longest chain of address parts."""

    ENTITY = EntityType.HK_ADDRESS

    def __init__(self) -> None:
        """Compile the part patterns (gazetteer included)."""
        self._parts = _part_patterns()
        self._starter = re.compile("|".join(f"(?:{regex.pattern})" for _, regex in self._parts))
        super().__init__()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Every address chain in ``text`` that holds enough evidence to be an address."""
        results: list[RecognizerResult] = []
        position = 0
        while (start := self._starter.search(text, position)) is not None:
            chain = self._chain(text, start.start())
            score = chain_score(chain)
            if score > 0:
                results.append(self._result(chain, score))
                position = chain[-1].end
            else:
                position = start.start() + 1
        return results

    def _longest_part(self, text: str, position: int) -> AddressPart | None:
        best: AddressPart | None = None
        for kind, regex in self._parts:
            match = regex.match(text, position)
            if match and match.end() > position and (best is None or match.end() > best.end):
                best = AddressPart(kind, position, match.end())
        return best

    def _chain(self, text: str, position: int) -> list[AddressPart]:
        """Parts from ``position`` on; a generic capitalised name may only sit between parts."""
        chain: list[AddressPart] = []
        while position < len(text):
            part = self._longest_part(text, position)
            if part is None and chain:
                part = self._generic_between(text, position)
            if part is None:
                break
            chain.append(part)
            position = _SEPARATOR.match(text, part.end).end()
        return chain

    def _generic_between(self, text: str, position: int) -> AddressPart | None:
        generic = _GENERIC.match(text, position)
        if generic is None:
            return None
        after = _SEPARATOR.match(text, generic.end()).end()
        if after == generic.end() or self._longest_part(text, after) is None:
            return None
        return AddressPart(Part.GENERIC, position, generic.end())

    def _result(self, chain: list[AddressPart], score: float) -> RecognizerResult:
        kinds = "+".join(part.kind.value for part in chain)
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=score,
            textual_explanation=f"Address parts: {kinds}",
        )
        return RecognizerResult(
            entity_type=self.ENTITY.value,
            start=chain[0].start,
            end=chain[-1].end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )


def chain_score(chain: list[AddressPart]) -> float:
    """0 unless the chain is an address; more parts, more confidence (0.5 to 0.9)."""
    kinds = [part.kind for part in chain]
    anchors = sum(kind in ANCHORS for kind in kinds)
    has_block_and_name = Part.BLOCK in kinds and any(kind in NAMED for kind in kinds)
    if len(kinds) == 1:
        return 0.5 if kinds[0] is Part.STREET_NUMBERED else 0.0
    if not anchors and not has_block_and_name:
        return 0.0
    return {2: 0.65, 3: 0.8}.get(len(kinds), 0.9)
