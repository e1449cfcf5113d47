"""Faster Payment System (FPS, 轉數快) proxy identifiers: 7 or 9 digits, only with context."""

from __future__ import annotations

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

_LEFT = r"(?<![A-Za-z0-9])(?<!\d[ \-.,/])(?<!(?:HK\$|US\$|RMB|HKD|USD|CNY|\$)\s?)"
_RIGHT = r"(?![A-Za-z0-9])(?![ \-.,/]\d)(?!\s?(?:元|蚊|港元))"


class FpsIdRecognizer(HkPatternRecognizer):
    """An FPS proxy ID (7 digits for early registrations, 9 for later ones).

    Seven- and nine-digit numbers are everywhere (references, amounts), so a cue word such
    as ``FPS``, ``轉數快`` or ``識別碼`` must be near.
    """

    ENTITY = EntityType.FPS_ID
    PATTERNS = (
        ContextPattern("fps_id_9", _LEFT + r"\d{3}[ \-]?\d{3}[ \-]?\d{3}" + _RIGHT, 0.45, True),
        ContextPattern("fps_id_7", _LEFT + r"\d{7}" + _RIGHT, 0.45, True),
    )
    CONTEXT = (
        "fps",
        "fps id",
        "fps identifier",
        "proxy id",
        "faster payment",
        "轉數快",
        "转数快",
        "識別碼",
        "识别码",
        "fps識別碼",
    )
    CONTEXT_BEFORE = 40
    CONTEXT_AFTER = 16
    CONTEXT_BOOST = 0.3
