"""Check-digit algorithms of the identifiers the HK recognizers validate."""

from __future__ import annotations

import datetime as dt

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK_CHARS = "10X98765432"


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check used by payment cards."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def hkid_check_digit(letters: str, digits: str) -> str:
    """The HKID check character (``0``-``9`` or ``A``) for a 1-2 letter prefix and 6 digits.

    A one-letter prefix is padded on the left with a space worth 36; letters A-Z are 10-35;
    weights run 9 down to 2; the check is ``(11 - sum % 11) % 11`` with 10 written ``A``.
    """
    prefix = letters.upper().rjust(2)
    values = [36 if char == " " else ord(char) - ord("A") + 10 for char in prefix]
    values += [int(char) for char in digits]
    total = sum(weight * value for weight, value in zip(range(9, 1, -1), values, strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def cn_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a Mainland resident ID's first 17 digits."""
    total = sum(int(char) * weight for char, weight in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK_CHARS[total % 11]


def is_valid_cn_id(value: str) -> bool:
    """Whether ``value`` (spaces allowed) is an 18-character Mainland ID with a valid check
    character and a real birth date (positions 7-14) that is not in the future."""
    compact = value.replace(" ", "").upper()
    if len(compact) != 18 or not compact[:17].isdigit():
        return False
    if cn_id_check_char(compact[:17]) != compact[17]:
        return False
    try:
        birth = dt.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= birth <= dt.date.today()
