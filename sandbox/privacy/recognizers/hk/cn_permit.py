"""Mainland travel permits: Home Return Permit (回鄉證) and Exit-entry Permit (往來港澳通行證)."""

from __future__ import annotations

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import (
    ASCII_WORD_AFTER,
    ASCII_WORD_BEFORE,
    ContextPattern,
    HkPatternRecognizer,
)
from sandbox.privacy.recognizers.hk._travel_documents import (
    PERMIT_CUES,
    DocumentKind,
    document_kind,
)


class CnPermitRecognizer(HkPatternRecognizer):
    """Permit numbers: Home Return Permit ``H``/``M`` + 8 or 10 digits, Exit-entry Permit
    ``C`` + 8 digits or ``C`` + letter + 7 digits.

    ``H`` + 8 digits is also an HKSAR passport shape, so it counts only when a permit cue is
    nearer than a passport cue; the other shapes score 0.5 alone and 0.9 with a permit cue.
    """

    ENTITY = EntityType.CN_PERMIT
    PATTERNS = (
        ContextPattern(
            "home_return_permit_h8", ASCII_WORD_BEFORE + r"[Hh]\d{8}" + ASCII_WORD_AFTER, 0.5
        ),
        ContextPattern(
            "home_return_permit_10",
            ASCII_WORD_BEFORE + r"[HMhm]\d{10}" + ASCII_WORD_AFTER,
            0.6,
        ),
        ContextPattern(
            "home_return_permit_m8", ASCII_WORD_BEFORE + r"[Mm]\d{8}" + ASCII_WORD_AFTER, 0.5
        ),
        ContextPattern(
            "exit_entry_permit",
            ASCII_WORD_BEFORE + r"[Cc](?:\d{8}|[A-Za-z]\d{7})" + ASCII_WORD_AFTER,
            0.5,
        ),
    )
    CONTEXT = PERMIT_CUES.words
    CONTEXT_BOOST = 0.4
    MAX_PATTERN_SCORE = 0.9

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """``H`` + 8 digits needs the permit cue to be the nearest document cue."""
        kind = document_kind(text, start, end)
        if pattern.name == "home_return_permit_h8" and kind is not DocumentKind.PERMIT:
            return 0.0
        if kind is DocumentKind.PASSPORT:
            return pattern.score
        return super().score_match(text, start, end, pattern)
