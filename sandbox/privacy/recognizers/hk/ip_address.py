"""IPv4 and IPv6 addresses (not version numbers such as ``1.2.3`` or dates like ``10.5.2025``)."""

from __future__ import annotations

import ipaddress

import regex as re

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV6 = r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|" + _IPV4 + r")(?:%[0-9A-Za-z]+)?"


_VERSION_BEFORE = re.compile(r"(?:version|ver\.?|v|build|release|版本)\s*[:：]?\s*$", re.IGNORECASE)


class IpAddressRecognizer(HkPatternRecognizer):
    """Dotted-quad IPv4 and colon-hex IPv6 addresses, validated by :mod:`ipaddress`."""

    ENTITY = EntityType.IP_ADDRESS
    PATTERNS = (
        ContextPattern(
            "ipv4",
            r"(?<![A-Za-z0-9.])(?<![vV]\s?)" + _IPV4 + r"(?![0-9])(?!\.\d)",
            0.7,
        ),
        ContextPattern("ipv6", r"(?<![0-9A-Za-z:])" + _IPV6 + r"(?![0-9A-Za-z:])", 0.8),
    )
    CONTEXT = ("ip", "ip address", "ipv4", "ipv6", "ip地址", "ip位址", "登入", "login", "log in")
    CONTEXT_BOOST = 0.2
    MAX_PATTERN_SCORE = 0.95

    def validate_result(self, pattern_text: str) -> bool | None:
        """IPv6 candidates must parse and hold at least three groups of hex digits."""
        if "." in pattern_text and ":" not in pattern_text:
            return None
        try:
            ipaddress.IPv6Address(pattern_text.split("%")[0])
        except ValueError:
            return False
        return sum(1 for group in pattern_text.split(":") if group) >= 3

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """Plain pattern scores: validation gates, it does not raise the score."""
        if self.validate_result(text[start:end]) is False:
            return 0.0
        if _VERSION_BEFORE.search(text[max(0, start - 12) : start]):
            return 0.0  # "version 3.2.1.4", "v1.2.3.4", "版本 4.1.0.2"
        score = pattern.score
        if self.context_words.found(text, start, end):
            score += self.CONTEXT_BOOST
        return min(score, self.MAX_PATTERN_SCORE)
