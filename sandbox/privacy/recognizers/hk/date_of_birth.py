"""Dates of birth: a date in any common English or Chinese format, with birth context near it.

Dates alone (transaction, due, statement dates) are what analysts need, so a date counts
only when a birth cue (``DOB``, ``born``, ``出生日期``, ``生日`` ...) sits close before it with
no other date in between, or right after it.
"""

from __future__ import annotations

import datetime as dt

import regex as re

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?P<mon>"
    + "|".join(sorted((name for name in _MONTHS if len(name) > 4), key=len, reverse=True))
    + "|"
    + "|".join(sorted((name for name in _MONTHS if len(name) <= 4), key=len, reverse=True))
    + r")(?:(?<=\b[a-z]{3,4})\.)?"
)
_DAY = r"(?P<d>0?[1-9]|[12]\d|3[01])"
_DAY_ORD = _DAY + r"(?:st|nd|rd|th)?"
_MON_NUM = r"(?P<m>0?[1-9]|1[0-2])"
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_YEAR_ANY = r"(?P<y>(?:19|20)?\d\d)"
_L = r"(?<![A-Za-z0-9])"
_R = r"(?![A-Za-z0-9])"

_DATE_FORMS: tuple[tuple[str, str], ...] = (
    ("dmy_numeric", _L + _DAY + r"(?P<s>[/\-.])" + _MON_NUM + r"(?P=s)" + _YEAR_ANY + r"(?!\d)"),
    ("ymd_numeric", _L + _YEAR + r"(?P<s>[/\-.])" + _MON_NUM + r"(?P=s)" + _DAY + r"(?!\d)"),
    (
        "ymd_compact",
        _L + r"(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])" + r"(?![0-9])",
    ),
    ("d_month_y", _L + _DAY_ORD + r"(?:\s+of)?[\s\-]+" + _MONTH + r",?[\s\-]+" + _YEAR + _R),
    ("month_d_y", _L + _MONTH + r"\s+" + _DAY_ORD + r",?\s+" + _YEAR + _R),
    ("month_y", _L + _MONTH + r",?\s+" + _YEAR + _R),
    (
        "zh_ymd",
        r"(?<!\d)" + _YEAR_ANY + r"\s?年\s?" + _MON_NUM + r"\s?月\s?" + _DAY + r"\s?[日號号]",
    ),
    ("zh_md", r"(?<![\d年])" + _MON_NUM + r"\s?月\s?" + _DAY + r"\s?[日號号]"),
    ("d_month", _L + _DAY_ORD + r"\s+" + _MONTH + _R),
    ("month_d", _L + _MONTH + r"\s+" + _DAY_ORD + _R),
)
_ANY_DATE = re.compile("|".join(f"(?:{form})" for _, form in _DATE_FORMS), re.IGNORECASE)
_BIRTH_BEFORE = re.compile(
    r"(?<![a-z])(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|birthday|born|"
    r"birth)(?![a-z])|出生日期|出生|出世|生日|生於|生于|誕生|诞生",
    re.IGNORECASE,
)
_BIRTH_AFTER = re.compile(
    r"\s*[(（]?\s*(?:d\.?o\.?b\.?|date\s+of\s+birth|birthday|出生|出世|生日)", re.IGNORECASE
)
_LOOKBACK = 40


def _year(raw: str) -> int:
    year = int(raw)
    if year >= 100:
        return year
    this_year = dt.date.today().year % 100
    return 2000 + year if year <= this_year else 1900 + year


def is_plausible_birth_date(match: re.Match[str]) -> bool:
    """Whether the date's parts form a real day between 1900 and today."""
    groups = match.groupdict()
    month = int(groups["m"]) if groups.get("m") else _MONTHS[groups["mon"].lower().rstrip(".")]
    day = int(groups["d"]) if groups.get("d") else 1
    if not groups.get("y"):
        return 1 <= day <= 31
    try:
        birth = dt.date(_year(groups["y"]), month, day)
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= birth <= dt.date.today()


class DateOfBirthRecognizer(HkPatternRecognizer):
    """A plausible past date with a birth cue just before it (or right after it)."""

    ENTITY = EntityType.DATE_OF_BIRTH
    PATTERNS = tuple(ContextPattern(name, form, 0.85) for name, form in _DATE_FORMS)
    CONTEXT = ("dob", "d.o.b.", "date of birth", "born", "birthday", "出生日期", "出生", "生日")
    REGEX_FLAGS = re.IGNORECASE

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """0.85 with a birth cue within reach, else 0."""
        match = pattern.compiled_regex.match(text, start)
        if match is None or match.end() != end or not is_plausible_birth_date(match):
            return 0.0
        return pattern.score if _has_birth_cue(text, start, end) else 0.0


def _has_birth_cue(text: str, start: int, end: int) -> bool:
    """A birth cue right after the date, or before it with no other date in between."""
    if _BIRTH_AFTER.match(text, end, min(len(text), end + 20)):
        return True
    window_start = max(0, start - _LOOKBACK)
    cues = list(_BIRTH_BEFORE.finditer(text, window_start, start))
    if not cues:
        return False
    between = text[cues[-1].end() : start]
    return _ANY_DATE.search(between) is None
