"""Mainland China resident identity card numbers (18 characters, ISO 7064 MOD 11-2)."""

from __future__ import annotations

from sandbox.privacy.checksums import is_valid_cn_id
from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import (
    ASCII_WORD_AFTER,
    ASCII_WORD_BEFORE,
    ContextPattern,
    HkPatternRecognizer,
)


class CnIdRecognizer(HkPatternRecognizer):
    """17 digits and a check character (0-9 or X) whose birth date (positions 7-14) is real.

    Written contiguous or grouped 6-8-4 with spaces; checksum failures are never reported.
    """

    ENTITY = EntityType.CN_ID
    PATTERNS = (
        ContextPattern(
            "cn_resident_id",
            ASCII_WORD_BEFORE + r"[1-9]\d{5} ?(?:18|19|20)\d{6} ?\d{3}[0-9Xx]" + ASCII_WORD_AFTER,
            0.5,
        ),
    )
    CONTEXT = (
        "身份證",
        "身份证",
        "居民身份證",
        "居民身份证",
        "內地身份證",
        "内地身份证",
        "mainland id",
        "prc id",
        "resident identity card",
        "china id",
        "id card",
        "證件號碼",
        "证件号码",
    )
    CONTEXT_BOOST = 0.0

    def validate_result(self, pattern_text: str) -> bool:
        """Check the MOD 11-2 check character and the birth date."""
        return is_valid_cn_id(pattern_text)
