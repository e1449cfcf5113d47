"""Check-digit algorithms of the identifiers the privacy layer validates: the one copy.

HKID check digits, the Luhn (mod 10) check of payment cards and the ISO 7064 MOD 11-2 check
of Mainland resident IDs. The recognizers, the leak scanner, the fraud message generator and
the PII benchmark all import them from here.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "cn_id_check_char",
    "hkid_check_digit",
    "hkid_valid",
    "is_valid_cn_id",
    "luhn_complete",
    "luhn_valid",
]

_HKID = re.compile(r"([A-Za-z]{1,2}) ?([0-9]{6}) ?(?:\(([0-9Aa])\)|（([0-9Aa])）|([0-9Aa]))")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK_CHARS = "10X98765432"


def hkid_check_digit(prefix: str, digits: str) -> str:
    """The HKID check character for a one- or two-letter prefix and six digits.

    A one-letter prefix is padded on the left with a space worth 36; letters A-Z are 10-35;
    weights run 9 down to 2; the check is ``(11 - sum % 11) % 11`` with 10 written ``A``.

    Args:
        prefix: One or two ASCII letters (either case), e.g. ``"A"`` or ``"XA"``.
        digits: The six digits that follow the prefix (full-width digits count as digits).

    Returns:
        ``"0"``-``"9"`` or ``"A"``; ``hkid_check_digit("A", "123456") == "3"``.

    Raises:
        ValueError: The prefix is not one or two ASCII letters, or the digits are not six
            digits.
    """
    if not (1 <= len(prefix) <= 2 and prefix.isascii() and prefix.isalpha()):
        raise ValueError(f"bad HKID prefix {prefix!r}: one or two letters A-Z expected")
    if not (len(digits) == 6 and digits.isdecimal()):
        raise ValueError(f"bad HKID digits {digits!r}: six digits expected")
    values = [36 if char == " " else ord(char) - ord("A") + 10 for char in prefix.upper().rjust(2)]
    values += [int(char) for char in digits]
    total = sum(weight * value for weight, value in zip(range(9, 1, -1), values, strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def hkid_valid(text: str) -> bool:
    """Whether ``text`` is exactly one HKID with the right check digit.

    Accepts ``A123456(3)``, ``A1234563``, ``A123456 (3)``, full-width brackets ``A123456（3）``,
    two-letter prefixes and either case; surrounding whitespace is ignored.
    """
    match = _HKID.fullmatch(text.strip())
    if match is None:
        return False
    prefix, digits, *checks = match.groups()
    check = next(c for c in checks if c is not None)
    return hkid_check_digit(prefix, digits) == check.upper()


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits (no separators) passes the Luhn (mod 10) check of cards."""
    if not digits.isdecimal():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def luhn_complete(partial: str) -> str:
    """``partial`` followed by the digit that makes it pass :func:`luhn_valid`.

    Raises:
        ValueError: ``partial`` is empty or not all digits.
    """
    if not partial.isdecimal():
        raise ValueError(f"luhn_complete needs digits, got {partial!r}")
    return next(partial + d for d in "0123456789" if luhn_valid(partial + d))


def cn_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a Mainland resident ID's first 17 digits."""
    total = sum(int(char) * weight for char, weight in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK_CHARS[total % 11]


def is_valid_cn_id(value: str) -> bool:
    """Whether ``value`` (spaces allowed) is an 18-character Mainland ID with a valid check
    character and a real birth date (positions 7-14) that is not in the future."""
    compact = value.replace(" ", "").upper()
    if len(compact) != 18 or not compact[:17].isdecimal():
        return False
    if cn_id_check_char(compact[:17]) != compact[17]:
        return False
    try:
        birth = dt.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= birth <= dt.date.today()
