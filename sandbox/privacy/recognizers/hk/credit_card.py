"""Payment card numbers: Visa, Mastercard, Amex, UnionPay, JCB, Diners, Discover (Luhn)."""

from __future__ import annotations

import regex as re

from sandbox.privacy.checksums import is_valid_cn_id, luhn_valid
from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

_LEFT = r"(?<![A-Za-z0-9])(?<!\d[ \-])"
_RIGHT = r"(?![A-Za-z0-9])(?![ \-]\d)"
_UNIONPAY_CONTEXT = re.compile(r"銀聯|银联|union\s?pay|\bcup\b", re.IGNORECASE)

# (prefix regex, allowed lengths) per brand
_BRANDS: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = (
    (re.compile(r"4"), frozenset({13, 16, 19})),
    (re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)"), frozenset({16})),
    (re.compile(r"3[47]"), frozenset({15})),
    (re.compile(r"62"), frozenset({16, 17, 18, 19})),
    (re.compile(r"35(?:2[89]|[3-8]\d)"), frozenset({16, 17, 18, 19})),
    (re.compile(r"3(?:0[0-5]|[68])"), frozenset({14, 16})),
    (re.compile(r"6(?:011|5|4[4-9])"), frozenset({16, 17, 18, 19})),
)


def _brand_length_ok(digits: str) -> bool:
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _BRANDS)


class CreditCardRecognizer(HkPatternRecognizer):
    """Card numbers of a known brand prefix and length that pass the Luhn check.

    UnionPay (62) numbers are also accepted without Luhn when ``銀聯``/``UnionPay`` is near,
    since some UnionPay cards do not use Luhn. An 18-digit string that is a valid Mainland
    resident ID is left to that recognizer.
    """

    ENTITY = EntityType.CREDIT_CARD
    PATTERNS = (
        ContextPattern(
            "card_4x4", _LEFT + r"\d{4}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?" + _RIGHT, 0.3
        ),
        ContextPattern("card_amex", _LEFT + r"3[47]\d\d([ \-])\d{6}\1\d{5}" + _RIGHT, 0.3),
        ContextPattern("card_diners", _LEFT + r"3[068]\d\d([ \-])\d{6}\1\d{4}" + _RIGHT, 0.3),
        ContextPattern("card_contiguous", _LEFT + r"\d{13,19}" + _RIGHT, 0.3),
    )
    CONTEXT = (
        "card",
        "credit card",
        "debit card",
        "card no",
        "visa",
        "mastercard",
        "master card",
        "amex",
        "american express",
        "unionpay",
        "union pay",
        "jcb",
        "信用卡",
        "扣賬卡",
        "扣账卡",
        "卡號",
        "卡号",
        "銀聯",
        "银联",
        "咭",
    )

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """0.95 (1.0 with context) if Luhn-valid with a known brand; 0.8 for UnionPay + context."""
        digits = re.sub(r"\D", "", text[start:end])
        if not _brand_length_ok(digits) or is_valid_cn_id(digits):
            return 0.0
        has_context = self.context_words.found(text, start, end)
        if luhn_valid(digits):
            return 1.0 if has_context else 0.95
        window = text[max(0, start - self.CONTEXT_BEFORE) : end + self.CONTEXT_AFTER]
        if digits.startswith("62") and _UNIONPAY_CONTEXT.search(window):
            return 0.8
        return 0.0
