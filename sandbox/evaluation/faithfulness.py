"""Faithfulness of generated explanations to the facts they were written from (model-free).

Owns the extraction of checkable claims from an explanation (numbers with their units, feature
concepts, categorical values, pseudonymised identifiers) and their check against a per-explanation
mapping of facts, so that a fluent explanation that states a fact the model was never given is
caught.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.registry import scorer

__all__ = [
    "DIMENSIONS",
    "Claim",
    "MAX_ROWS",
    "RELATIVE_TOLERANCE",
    "check_claims",
    "faithfulness",
]

RELATIVE_TOLERANCE = 0.01
"""A written number within 1% of a fact value is supported whatever precision it is written to."""
MAX_ROWS = 10
"""Explanations listed in the evidence (unfaithful ones first)."""
EXCERPT_CHARS = 300

ClaimKind = Literal["number", "concept", "category", "identifier"]

# --- text patterns ---------------------------------------------------------------------------

_PSEUDONYM = re.compile(r"<[A-Z][A-Z_]*[A-Z](?:_\d+)?(?::[0-9a-f]+)?>")
"""Vault tokens (``<HK_ID_7>``, ``<HK_ID>``, ``<HK_ID:3f9a>``): identifier claims, and their
digits no numbers."""
_LIST_MARKER = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+", re.MULTILINE)
_TIME = re.compile(
    r"(?<![\d:.])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])"
    r"(?:\s?(?P<ampm>[ap]\.?m\b\.?))?"
    r"|(?<![A-Za-z\d_.,])(?P<h12>1[0-2]|0?[1-9])\s?(?P<ampm12>[ap]\.?m\b\.?)",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![A-Za-z\d_.,$])(?P<currency>HK\$|HKD|US\$|USD|\$)?\s?"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]\d)"
    r"(?:\s?(?P<scale>k|m|bn|thousand|million|billion|[萬万億亿])(?![a-z]))?"
    r"(?:\s?(?P<percent>%|percent\b|per cent\b))?",
    re.IGNORECASE,
)
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "萬": 1e4,
    "万": 1e4,
    "億": 1e8,
    "亿": 1e8,
}
_WORD_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
}
DIMENSIONS = ("currency", "percent", "fraction", "times", "hours", "days", "clock")
"""What a number may measure. ``fraction`` is a fact only (a 0-1 value that "87%" may state);
``clock`` is a time of day ("2:15 am", read as hour 2)."""
_UNIT_WORDS = {
    "currency": {"hkd", "dollars", "dollar", "港元", "港幣", "元", "蚊"},
    "times": {"times", "x", "倍"},
    "hours": {"hour", "hours", "hr", "hrs", "h", "小時", "小时"},
    "days": {"day", "days", "日", "天"},
}
_UNIT_AFTER = re.compile(
    r"\s?-?\s?(?P<unit>"
    + "|".join(sorted((re.escape(w) for ws in _UNIT_WORDS.values() for w in ws), key=len)[::-1])
    + r")(?![A-Za-z])",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "兩": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"萬": 10_000, "万": 10_000, "億": 100_000_000, "亿": 100_000_000}
_CN_CHARS = "".join([*_CN_DIGITS, *_CN_UNITS, *_CN_BIG])
_CN_NUMBER = re.compile(f"(?P<percent>百分之)?(?P<number>[{_CN_CHARS}]+)(?P<after>.?)")
_CN_MEASURE = set("元蚊宗次筆笔倍小時时日天%")  # not 個: "一個" is mostly "a"
_CN_NOT_NUMBERS = ("十分", "萬一", "万一", "一一", "千萬", "千万")
_NEGATORS = {
    "no",
    "not",
    "without",
    "never",
    "none",
    "neither",
    "nor",
    "non",
    "isn't",
    "wasn't",
    "aren't",
    "weren't",
    "didn't",
    "doesn't",
    "hasn't",
    "haven't",
    "hadn't",
}
_CLAUSE_END = re.compile(r"[.;:!?,。；！？，]|\bbut\b|\bhowever\b", re.IGNORECASE)
_CONDITION = re.compile(r"^(?P<name>[^=<>]+?)\s*(?:(?P<op>[=<>])\s*(?P<value>.*))?$")
_FALSE_WORDS = {"", "no", "none", "false", "0", "n/a"}


@dataclass(frozen=True)
class Claim:
    """One checkable statement found in an explanation.

    Attributes:
        text: The words that make the claim, as written (``HK$12,300``, ``not a new device``).
        kind: ``number``, ``concept`` (a feature such as a new device), ``category`` (a value
            of a categorical fact, such as the channel) or ``identifier`` (a pseudonym such as
            ``<HK_BANK_ACCOUNT_1>`` that the privacy guard put where personal data was written).
        supported: Whether the facts support it.
    """

    text: str
    kind: ClaimKind
    supported: bool


@dataclass(frozen=True)
class _Condition:
    """``name`` (active), ``name=value``, ``name>number`` or ``name<number`` on the facts."""

    name: str
    op: str = ""
    value: str = ""

    @classmethod
    def parse(cls, key: str) -> _Condition:
        match = _CONDITION.match(key.strip())
        if match is None or not match.group("name").strip():
            raise ValueError(f"feature_terms key {key!r} is not 'name', 'name=value' or 'name>n'")
        op, value = match.group("op") or "", (match.group("value") or "").strip()
        if op in ("<", ">"):
            try:
                float(value)
            except ValueError:
                raise ValueError(
                    f"feature_terms key {key!r} compares with {value!r}, which is not a number"
                ) from None
        return cls(match.group("name").strip(), op, value)

    def holds(self, facts: Mapping[str, Any]) -> bool | None:
        """True / False on the facts; None when the fact is missing (nothing to check against)."""
        if self.name not in facts:
            return None
        value = facts[self.name]
        if self.op == "=":
            number = _as_number(value)
            if number is not None and _as_number(self.value) is not None:
                return math.isclose(number, float(self.value), rel_tol=1e-9, abs_tol=1e-12)
            return str(value).strip().casefold() == self.value.casefold()
        if self.op in ("<", ">"):
            number = _as_number(value)
            if number is None:
                return False
            return number > float(self.value) if self.op == ">" else number < float(self.value)
        return _active(value)


@dataclass(frozen=True)
class _Phrases:
    pattern: re.Pattern[str] | None
    conditions: dict[str, list[_Condition]]


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if math.isnan(float(value)) else float(value)
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _active(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    number = _as_number(value)
    if number is not None:
        return number != 0
    return str(value).strip().casefold() not in _FALSE_WORDS


def _normalise_phrase(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", text.strip().casefold())


def _compile_phrases(feature_terms: Mapping[str, Sequence[str]] | None) -> _Phrases:
    conditions: dict[str, list[_Condition]] = {}
    for key, phrases in (feature_terms or {}).items():
        if isinstance(phrases, str):
            raise ValueError(f"feature_terms[{key!r}] must be a list of phrases, not a string")
        condition = _Condition.parse(key)
        for phrase in phrases:
            normalised = _normalise_phrase(phrase)
            if not normalised:
                raise ValueError(f"feature_terms[{key!r}] holds an empty phrase")
            conditions.setdefault(normalised, []).append(condition)
    if not conditions:
        return _Phrases(None, {})
    kinds = {p: {c.op == "=" for c in cs} for p, cs in conditions.items()}
    mixed = [p for p, k in kinds.items() if len(k) > 1]
    if mixed:
        raise ValueError(f"phrases {mixed} name both a category value and a concept")
    # Longest first, so "FPS ID" wins over "FPS" and "new payee" over "payee".
    alternatives = [
        r"[\s\-]+".join(re.escape(word) for word in phrase.split(" "))
        for phrase in sorted(conditions, key=len, reverse=True)
    ]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
    return _Phrases(pattern, conditions)


# --- numbers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Number:
    text: str
    value: float
    step: float
    """Size of one step in the last written digit (0.1 for "12.3", 1000 for "12k")."""
    dimension: str | None = None
    """What the number measures, from the words around it (see :data:`DIMENSIONS`)."""


def _integer_step(digits: str) -> float:
    """Precision of an integer as written: trailing zeros are rounding down to 2 significant
    digits (``12,000`` may round 12,345; ``10,000`` may round 9,600 but not 14,000)."""
    digits = digits.lstrip("0") or "0"
    significant = len(digits.rstrip("0"))
    zeros = len(digits) - max(significant, 2)
    return 10.0 ** max(zeros, 0)


def _unit_after(text: str, end: int) -> tuple[str | None, str]:
    """The dimension named right after position ``end`` ("-day", " times") and its words."""
    match = _UNIT_AFTER.match(text, end)
    if match is None:
        return None, ""
    word = match.group("unit").casefold()
    return next(d for d, words in _UNIT_WORDS.items() if word in words), match.group(0)


def _arabic_number(match: re.Match[str]) -> _Number:
    raw = match.group("number").replace(",", "")
    scale_word = (match.group("scale") or "").casefold()
    scale = _SCALES.get(scale_word, _SCALES.get(match.group("scale") or "", 1.0))
    if "." in raw:
        step = 10.0 ** -len(raw.split(".")[1])
    elif scale != 1.0:
        step = 1.0  # "12k": the written precision is thousands
    else:
        step = _integer_step(raw)
    dimension, unit = _unit_after(match.string, match.end())
    if match.group("percent"):
        dimension, unit = "percent", ""
    elif match.group("currency"):
        dimension, unit = "currency", ""
    return _Number(
        text=(match.group(0) + unit).strip(),
        value=float(raw) * scale,
        step=step * scale,
        dimension=dimension,
    )


def _parse_chinese(text: str) -> int | None:
    """Value of a Chinese numeral (``一萬二千``, ``三十五``, ``兩百``); None if malformed."""
    total = section = digit = 0
    seen = False
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
            seen = True
        elif char in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[char]
            digit = 0
            seen = True
        elif char in _CN_BIG:
            if not seen:
                return None
            total = (total + section + digit) * _CN_BIG[char]
            section = digit = 0
        else:
            return None
    return total + section + digit


def _chinese_numbers(text: str) -> list[_Number]:
    found: list[_Number] = []
    for match in _CN_NUMBER.finditer(text):
        numeral = match.group("number")
        around = text[max(match.start("number") - 1, 0) : match.end("number") + 1]
        if any(word in around for word in _CN_NOT_NUMBERS):
            continue
        has_unit = any(c in _CN_UNITS or c in _CN_BIG for c in numeral)
        if not (len(numeral) >= 2 or has_unit or match.group("after") in _CN_MEASURE):
            continue  # a lone 一 is "a" / "one of", not a figure
        value = _parse_chinese(numeral)
        if value is None:
            continue
        dimension, unit = _unit_after(text, match.end("number"))
        if match.group("percent"):
            dimension, unit = "percent", ""
        found.append(
            _Number(
                text=text[match.start() : match.end("number")] + unit,
                value=float(value),
                step=_integer_step(str(value)),
                dimension=dimension,
            )
        )
    return found


def _extract_numbers(text: str) -> list[_Number]:
    """Numbers in ``text``, times as their hour (24-hour clock)."""
    found: list[_Number] = []

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group(0))

    def time(match: re.Match[str]) -> str:
        hour = int(match.group("h") or match.group("h12"))
        ampm = (match.group("ampm") or match.group("ampm12") or "").casefold()
        if ampm.startswith("p") and hour < 12:
            hour += 12
        elif ampm.startswith("a") and hour == 12:
            hour = 0
        found.append(_Number(match.group(0).strip(), float(hour), 1.0, "clock"))
        return blank(match)

    text = _LIST_MARKER.sub(blank, text)
    text = _TIME.sub(time, text)

    def arabic(match: re.Match[str]) -> str:
        found.append(_arabic_number(match))
        return blank(match)

    text = _NUMBER.sub(arabic, text)
    for match in _NUMBER_WORD.finditer(text):
        word = match.group(0)
        dimension, unit = _unit_after(text, match.end())
        found.append(_Number(word + unit, float(_WORD_NUMBERS[word.casefold()]), 1.0, dimension))
    found.extend(_chinese_numbers(text))
    return found


def _fact_numbers(
    facts: Mapping[str, Any], fact_units: Mapping[str, str] | None
) -> list[tuple[float, str | None]]:
    """``(value, dimension)`` of every numeric fact and of numbers inside text facts."""
    values: list[tuple[float, str | None]] = []
    for name, value in facts.items():
        dimension = fact_units.get(name) if fact_units is not None else None
        number = _as_number(value)
        if number is not None:
            values.append((number, dimension))
        elif isinstance(value, str):  # codes inside text facts, e.g. the MCC "5411 (grocery)"
            for code in re.findall(r"\d[\d,]*\.?\d*", value):
                values.append((float(code.replace(",", "")), None))
    return values


def _close(written: float, step: float, value: float) -> bool:
    if abs(written - value) <= step / 2 * (1 + 1e-9) + 1e-12:
        return True
    return bool(value) and abs(written - value) <= RELATIVE_TOLERANCE * abs(value)


def _number_supported(
    number: _Number,
    values: Sequence[tuple[float, str | None]],
    allowed: Collection[float],
    typed: bool,
) -> bool:
    """Whether a fact (of a matching dimension when the facts are typed) rounds to ``number``."""
    if any(_close(number.value, number.step, value) for value in allowed):
        return True
    for value, dimension in values:
        if typed and number.dimension is not None:
            if number.dimension == "percent" and dimension == "fraction":
                if _close(number.value / 100, number.step / 100, value):
                    return True
                continue
            if dimension != number.dimension:
                continue
        if _close(number.value, number.step, value):
            return True
        # "45%" may state a fraction 0.45 when the facts are untyped.
        untyped_percent = not typed and number.dimension == "percent"
        if untyped_percent and _close(number.value / 100, number.step / 100, value):
            return True
    return False


# --- concepts ----------------------------------------------------------------------------------


def _negated(text: str, start: int) -> bool:
    """Whether one of the three words before ``start`` in the same clause negates it."""
    before = text[:start]
    clause_starts = [m.end() for m in _CLAUSE_END.finditer(before)]
    clause = before[clause_starts[-1] :] if clause_starts else before
    words = re.findall(r"[a-z']+", clause.casefold().replace("\u2019", "'"))[-3:]
    return any(word in _NEGATORS or word.endswith("n't") for word in words)


def _phrase_claims(text: str, facts: Mapping[str, Any], phrases: _Phrases) -> list[Claim]:
    if phrases.pattern is None:
        return []
    claims: list[Claim] = []
    for match in phrases.pattern.finditer(text):
        conditions = phrases.conditions[_normalise_phrase(match.group(0))]
        results = [condition.holds(facts) for condition in conditions]
        known = [r for r in results if r is not None]
        negated = _negated(text, match.start())
        # A negated claim needs a fact to check and none of its conditions to hold.
        supported = (bool(known) and not any(known)) if negated else any(known)
        kind: ClaimKind = "category" if conditions[0].op == "=" else "concept"
        words = f"not {match.group(0)}" if negated else match.group(0)
        claims.append(Claim(text=words, kind=kind, supported=supported))
    return claims


# --- public API --------------------------------------------------------------------------------


def check_claims(
    explanation: str,
    facts: Mapping[str, Any],
    *,
    feature_terms: Mapping[str, Sequence[str]] | None = None,
    allowed_numbers: Collection[float] = (),
    fact_units: Mapping[str, str] | None = None,
) -> list[Claim]:
    """The checkable claims of one explanation, each marked supported or not by ``facts``.

    Numbers: every figure (``HK$12,300.50``, ``12.3k``, ``45%``, ``3 times``, ``2:15 am`` as hour
    2, ``two`` to ``twelve``, Chinese numerals such as ``一萬二千``), with thousands separators,
    currency and scale words normalised. A number is supported when some numeric fact (or a
    number inside a text fact, or one of ``allowed_numbers``) equals it after rounding to the
    precision written (``12.3`` covers 12.25-12.35; ``HK$12k`` and ``HK$12,000`` cover 11,500-
    12,500; trailing zeros count as rounding to two significant digits at most), or lies within
    1% of it. List markers are not claims.

    With ``fact_units``, a number must also measure what the fact measures: one written with a
    currency (``HK$``, ``HKD``, ``dollars``), ``%``, ``times`` / ``x``, ``hours`` or ``days``
    after it, or as a clock time, is checked only against facts of that dimension (a percentage
    also against ``fraction`` facts, as ``87%`` of 0.873), so ``$416.22`` does not pass on a
    416.22 ratio and ``a 3-day delay`` not on a count of 3. Numbers without such words, and all
    numbers when ``fact_units`` is None, are checked against every fact (then a percentage may
    state any fact as a percentage or a fraction).

    Identifiers: a vault token (``<PERSON_1>``, ``<HK_BANK_ACCOUNT_2>``) stands for personal data
    the model wrote; it is supported only when a text fact holds the same token.

    Concepts and categories: each phrase of ``feature_terms`` that occurs in the text. Keys are
    ``name`` (supported when the fact is present and active: true, non-zero, non-empty, not
    None), ``name=value`` (the fact equals ``value``; a *category* claim), ``name>n`` or
    ``name<n`` (numeric comparison). A phrase listed under several keys is supported when any of
    them holds. A phrase negated by one of the three words before it in its clause ("no new
    device", "was not flagged") is supported when none of them holds. A missing fact supports
    nothing.

    Repeated claims (the same number, or the same phrase) are kept once.

    Args:
        explanation: The generated text.
        facts: What the explanation may state: ``name -> value`` (numbers, booleans, strings,
            None for "not applicable").
        feature_terms: ``key -> phrases`` as described above; None checks numbers only.
        allowed_numbers: Numbers that may be cited although they are not fact values, such as
            the window lengths in the facts' labels ("in the last 24 hours").
        fact_units: ``fact name -> dimension`` (one of :data:`DIMENSIONS`) for numeric facts;
            facts left out are plain numbers (counts).

    Returns:
        The claims in order of first appearance.

    Raises:
        ValueError: If a ``feature_terms`` key or phrase, or a ``fact_units`` dimension, is
            malformed.
    """
    _check_units(fact_units)
    return _check(explanation, facts, _compile_phrases(feature_terms), allowed_numbers, fact_units)


def _check_units(fact_units: Mapping[str, str] | None) -> None:
    bad = {k: v for k, v in (fact_units or {}).items() if v not in DIMENSIONS}
    if bad:
        raise ValueError(f"fact_units {bad} are not dimensions; use one of {', '.join(DIMENSIONS)}")


def _check(
    explanation: str,
    facts: Mapping[str, Any],
    phrases: _Phrases,
    allowed_numbers: Collection[float],
    fact_units: Mapping[str, str] | None,
) -> list[Claim]:
    texts = [value for value in facts.values() if isinstance(value, str)]
    positioned: list[tuple[int, Claim]] = [
        (m.start(), Claim(m.group(0), "identifier", any(m.group(0) in t for t in texts)))
        for m in _PSEUDONYM.finditer(explanation)
    ]
    text = _PSEUDONYM.sub(lambda m: " " * len(m.group(0)), explanation)
    values = _fact_numbers(facts, fact_units)
    for claim in _phrase_claims(text, facts, phrases):
        positioned.append((text.casefold().find(claim.text.removeprefix("not ").casefold()), claim))
    # Numbers are read after the phrases are blanked, so "FPS ID" digits never count twice.
    if phrases.pattern is not None:
        text = phrases.pattern.sub(lambda m: " " * len(m.group(0)), text)
    keys: dict[int, str] = {}
    for number in _extract_numbers(text):
        supported = _number_supported(number, values, allowed_numbers, fact_units is not None)
        claim = Claim(number.text, "number", supported)
        keys[id(claim)] = f"{number.value:g} {number.dimension}"
        positioned.append((text.find(number.text), claim))
    claims: list[Claim] = []
    seen: set[tuple[str, str]] = set()
    for _, claim in sorted(positioned, key=lambda item: item[0]):
        key = (claim.kind, keys.get(id(claim), _normalise_phrase(claim.text)))
        if key not in seen:
            seen.add(key)
            claims.append(claim)
    return claims


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


@scorer(
    "explanation_faithfulness",
    title="Faithfulness of LLM-written explanations",
    section=ReportSection.GENAI,
)
def faithfulness(
    explanations: Sequence[str],
    facts: Sequence[Mapping[str, Any]],
    *,
    feature_terms: Mapping[str, Sequence[str]] | None = None,
    allowed_numbers: Collection[float] = (),
    fact_units: Mapping[str, str] | None = None,
) -> Evaluation:
    """Whether each explanation states only facts it was given (no invented figures or features).

    Claims are extracted and checked by :func:`check_claims`. An explanation is faithful when
    none of its claims is unsupported; one without any checkable claim counts as faithful and
    is counted as ``empty_or_vague``.

    Metrics:
        ``faithfulness_rate``: share of explanations with no unsupported claim.
        ``unsupported_claims_per_explanation``: mean number of unsupported claims.
        ``claims_per_explanation``: mean number of checkable claims.
        ``numbers_supported_rate``: share of number claims that are supported (NaN when no
        explanation states a number).
        ``empty_or_vague_rate``: share of explanations without a checkable claim.

    Evidence: ``rows`` (up to :data:`MAX_ROWS` explanations, unfaithful ones first, then in
    order: ``index``, ``excerpt``, ``claims``, ``unsupported`` (claim texts), ``supported``
    (count)), ``n``, ``empty_or_vague`` (count), ``unsupported_by_kind``, ``numbers_checked``.

    Args:
        explanations: Generated explanations.
        facts: The facts each explanation was written from, aligned 1:1.
        feature_terms: Phrases naming features and categorical values (see :func:`check_claims`).
        allowed_numbers: Numbers any explanation may cite (see :func:`check_claims`).
        fact_units: What each numeric fact measures (see :func:`check_claims`).

    Returns:
        An assessed :class:`Evaluation` (``explanation_faithfulness``), or ``not_assessed`` when
        there is no explanation.

    Raises:
        ValueError: If the inputs differ in length, or ``feature_terms`` or ``fact_units``
            is malformed.
    """
    scorer = "explanation_faithfulness"
    title = "Faithfulness of generated explanations to their facts"
    evidences = ["HKMA-AI-3", "HKMA-GENAI-ACCURACY"]
    if len(explanations) != len(facts):
        raise ValueError(
            f"inputs differ in length: {len(explanations)} explanations, {len(facts)} facts"
        )
    if not explanations:
        return Evaluation.not_assessed(scorer, title, "no explanations to check", evidences)
    _check_units(fact_units)
    phrases = _compile_phrases(feature_terms)
    rows: list[dict[str, Any]] = []
    unsupported_by_kind = {"number": 0, "concept": 0, "category": 0, "identifier": 0}
    numbers_checked = numbers_supported = claims_total = unsupported_total = 0
    faithful = vague = 0
    for index, (explanation, row_facts) in enumerate(zip(explanations, facts, strict=True)):
        claims = _check(explanation, row_facts, phrases, allowed_numbers, fact_units)
        unsupported = [claim for claim in claims if not claim.supported]
        for claim in unsupported:
            unsupported_by_kind[claim.kind] += 1
        numbers = [claim for claim in claims if claim.kind == "number"]
        numbers_checked += len(numbers)
        numbers_supported += sum(claim.supported for claim in numbers)
        claims_total += len(claims)
        unsupported_total += len(unsupported)
        faithful += not unsupported
        vague += not claims
        rows.append(
            {
                "index": index,
                "excerpt": _excerpt(explanation),
                "claims": [claim.text for claim in claims],
                "unsupported": [claim.text for claim in unsupported],
                "supported": len(claims) - len(unsupported),
            }
        )
    listed = sorted(rows, key=lambda row: (not row["unsupported"], row["index"]))[:MAX_ROWS]
    n = len(explanations)
    return Evaluation(
        scorer=scorer,
        title=title,
        evidences=evidences,
        metrics={
            "faithfulness_rate": faithful / n,
            "unsupported_claims_per_explanation": unsupported_total / n,
            "claims_per_explanation": claims_total / n,
            "numbers_supported_rate": numbers_supported / numbers_checked
            if numbers_checked
            else math.nan,
            "empty_or_vague_rate": vague / n,
        },
        evidence={
            "rows": sorted(listed, key=lambda row: row["index"]),
            "n": n,
            "empty_or_vague": vague,
            "unsupported_by_kind": unsupported_by_kind,
            "numbers_checked": numbers_checked,
        },
        notes=[
            "Model-free check: every number, feature concept (e.g. 'new device'), channel or "
            "merchant-category word and pseudonymised identifier in an explanation must match "
            "the facts it was given. A number matches when it rounds from a fact value at the "
            f"precision written or lies within {RELATIVE_TOLERANCE:.0%} of one"
            + (
                "; a number written with a unit (HK$, %, times, hours, days, a clock time) must "
                "match a fact of that unit"
                if fact_units is not None
                else ""
            )
            + ". A negated concept ('no new device') must be inactive.",
            "Claims the patterns do not recognise (paraphrases, places, fees, qualitative "
            "judgements such as 'suspicious') are not checked, and a number without a unit is "
            "matched against every fact, so a count copied from the wrong fact passes: treat "
            "the rate as an upper bound of faithfulness. Explanations without any checkable "
            "claim count as faithful and are reported as empty_or_vague.",
        ],
    )
