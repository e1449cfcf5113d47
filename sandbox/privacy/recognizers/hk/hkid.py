"""Hong Kong identity card numbers: ``A123456(3)``, ``AB987654(A)``, ``a1234563``."""

from __future__ import annotations

import regex as re

from sandbox.privacy.checksums import hkid_check_digit
from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import (
    ASCII_WORD_AFTER,
    ASCII_WORD_BEFORE,
    ContextPattern,
    HkPatternRecognizer,
)

_PREFIX = r"[A-Za-z]{1,2} ?\d{6}"
_PARTS = re.compile(r"([A-Za-z]{1,2}) ?(\d{6})\W*([0-9Aa])\W*$")


class HkidRecognizer(HkPatternRecognizer):
    """HKID: one or two letters, six digits and a check digit (0-9 or A), bracketed or not.

    The check digit must be right; a wrong one is never reported, whatever the context.
    """

    ENTITY = EntityType.HK_ID
    PATTERNS = (
        ContextPattern(
            "hkid_bracketed",
            ASCII_WORD_BEFORE + _PREFIX + r" ?(?:\( ?[0-9Aa] ?\)|（ ?[0-9Aa] ?）|\[[0-9Aa]\])",
            1.0,
        ),
        ContextPattern(
            "hkid_plain", ASCII_WORD_BEFORE + _PREFIX + r"[0-9Aa]" + ASCII_WORD_AFTER, 0.85
        ),
    )
    CONTEXT = (
        "hkid",
        "hk id",
        "identity card",
        "id card",
        "id no",
        "id number",
        "i.d.",
        "身份證",
        "身分證",
        "身份证",
        "身份證號碼",
        "證件",
        "证件",
    )
    CONTEXT_BOOST = 0.15
    VALIDATED_SCORE = 0.0  # the checksum is necessary, not sufficient: pattern scores stand

    def validate_result(self, pattern_text: str) -> bool:
        """Check the HKID check digit."""
        parts = _PARTS.match(pattern_text)
        if parts is None:
            return False
        letters, digits, check = parts.groups()
        return hkid_check_digit(letters, digits) == check.upper()
