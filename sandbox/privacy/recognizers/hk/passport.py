"""HKSAR passport numbers: ``H`` or ``K`` followed by 8 digits (``K12345678``)."""

from __future__ import annotations

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import (
    ASCII_WORD_AFTER,
    ASCII_WORD_BEFORE,
    ContextPattern,
    HkPatternRecognizer,
)
from sandbox.privacy.recognizers.hk._travel_documents import (
    PASSPORT_CUES,
    DocumentKind,
    document_kind,
)


class HkPassportRecognizer(HkPatternRecognizer):
    """HKSAR passport: H/K + 8 digits; 0.85 near ``passport``/``護照``, 0.4 without a cue.

    The Home Return Permit card uses the same shape; when a permit cue is nearer than a
    passport cue the number is left to the permit recognizer.
    """

    ENTITY = EntityType.HK_PASSPORT
    PATTERNS = (
        ContextPattern("hk_passport", ASCII_WORD_BEFORE + r"[HKhk] ?\d{8}" + ASCII_WORD_AFTER, 0.4),
    )
    CONTEXT = PASSPORT_CUES.words
    CONTEXT_BOOST = 0.45

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """Drop numbers that a nearer permit cue assigns to the Home Return Permit."""
        kind = document_kind(text, start, end)
        if kind is DocumentKind.PERMIT:
            return 0.0
        return super().score_match(text, start, end, pattern)
