"""Which travel document an ``H``/``K`` + 8-digit number is: HKSAR passport or Home Return Permit.

Both documents use that shape, so the nearest cue word decides; the passport and permit
recognizers share this rule so they never both claim the same number.
"""

from __future__ import annotations

from enum import StrEnum

from sandbox.privacy.recognizers.hk._base import ContextWords

PASSPORT_CUES = ContextWords(
    (
        "passport",
        "passport no",
        "passport number",
        "hksar passport",
        "travel document",
        "護照",
        "护照",
        "特區護照",
        "特区护照",
    )
)
PERMIT_CUES = ContextWords(
    (
        "home return permit",
        "home-return permit",
        "return permit",
        "mainland travel permit",
        "exit-entry permit",
        "exit entry permit",
        "two-way permit",
        "one-way permit",
        "eep",
        "permit",
        "回鄉證",
        "回乡证",
        "回鄉卡",
        "回乡卡",
        "港澳居民來往內地通行證",
        "港澳居民来往内地通行证",
        "往來港澳通行證",
        "往来港澳通行证",
        "通行證",
        "通行证",
        "雙程證",
        "双程证",
        "單程證",
        "单程证",
    )
)


class DocumentKind(StrEnum):
    """What a shared-shape number most likely is, judged from nearby cue words."""

    PASSPORT = "passport"
    PERMIT = "permit"
    UNKNOWN = "unknown"


def document_kind(text: str, start: int, end: int) -> DocumentKind:
    """The document whose cue word is nearest to ``text[start:end]``."""
    passport = PASSPORT_CUES.distance(text, start, end)
    permit = PERMIT_CUES.distance(text, start, end)
    if passport is None and permit is None:
        return DocumentKind.UNKNOWN
    if permit is None or (passport is not None and passport <= permit):
        return DocumentKind.PASSPORT
    return DocumentKind.PERMIT
