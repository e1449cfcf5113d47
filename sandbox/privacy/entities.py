"""The privacy layer's vocabulary: entity types and detected spans.

Every recognizer, the analyzer, the pseudonymiser, the guard and the PII benchmark speak these
types. Names are stable: they appear in placeholders (``<HK_ID_7>``), audit entries and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    """Personal-data types the sandbox detects in Hong Kong banking text."""

    HK_ID = "HK_ID"  # Hong Kong identity card number, e.g. A123456(3)
    HK_PHONE = "HK_PHONE"  # 8-digit HK number starting 2/3/5/6/7/8/9, optional +852
    HK_BANK_ACCOUNT = "HK_BANK_ACCOUNT"  # e.g. 012-345678-901 (bank code formats)
    FPS_ID = "FPS_ID"  # FPS proxy identifier (7 or 9 digits), with context
    CREDIT_CARD = "CREDIT_CARD"  # 13-19 digits, Luhn-valid
    HK_PASSPORT = "HK_PASSPORT"  # HKSAR passport, e.g. H12345678 / K12345678
    CN_ID = "CN_ID"  # Mainland resident identity card (18 chars, ISO 7064 check)
    CN_PERMIT = "CN_PERMIT"  # Home Return Permit / Exit-entry permit numbers
    EMAIL = "EMAIL"
    IP_ADDRESS = "IP_ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"  # a date with birth context (DOB, born, 出生)
    HK_ADDRESS = "HK_ADDRESS"  # Flat/Room, /F, Block, building, estate, district
    PERSON = "PERSON"  # English / romanised Cantonese names
    PERSON_ZH = "PERSON_ZH"  # names in Chinese characters (陳大文)


STRUCTURED_TYPES: frozenset[EntityType] = frozenset(
    {
        EntityType.HK_ID,
        EntityType.HK_PHONE,
        EntityType.HK_BANK_ACCOUNT,
        EntityType.FPS_ID,
        EntityType.CREDIT_CARD,
        EntityType.HK_PASSPORT,
        EntityType.CN_ID,
        EntityType.CN_PERMIT,
        EntityType.EMAIL,
        EntityType.IP_ADDRESS,
    }
)
"""Identifier types with a fixed shape (leak-rate target <= 1 % in the benchmark)."""


@dataclass(frozen=True, order=True)
class Entity:
    """One detected span of personal data in a text (``text[start:end]``)."""

    start: int
    end: int
    entity_type: EntityType
    score: float
    text: str

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form; includes the matched text, so never log it unredacted."""
        return {
            "type": str(self.entity_type),
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
            "text": self.text,
        }
