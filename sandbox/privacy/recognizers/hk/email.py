"""E-mail addresses, also when glued to Chinese text (``電郵chan@example.com查詢``)."""

from __future__ import annotations

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"


class EmailRecognizer(HkPatternRecognizer):
    """RFC 5322-style ``local@domain.tld`` addresses; the TLD is not looked up."""

    ENTITY = EntityType.EMAIL
    PATTERNS = (
        ContextPattern(
            "email",
            r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])" + _LOCAL + "@" + _DOMAIN + r"(?![A-Za-z0-9-])",
            0.9,
        ),
    )
    CONTEXT = ("email", "e-mail", "mail", "電郵", "电邮", "郵箱", "邮箱", "電子郵件", "电子邮件")
    CONTEXT_BOOST = 0.1
