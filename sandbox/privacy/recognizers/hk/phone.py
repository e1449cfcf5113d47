"""Hong Kong phone numbers: 8 digits starting 2/3/5/6/7/8/9, optional +852 / (852) / 00852."""

from __future__ import annotations

import regex as re

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

# Not part of a longer number, amount, account or reference: no letter or digit on the left,
# nor a digit followed by one separator ("1234 5678 9123 4567" card groups), nor a currency.
_LEFT = (
    r"(?<![A-Za-z0-9])(?<!\d[ \-.,/])"
    r"(?<!(?:HK\$|US\$|RMB|HKD|USD|CNY|EUR|GBP|\$|¥|港幣|港元|人民幣)\s?)"
)
_RIGHT = r"(?![A-Za-z0-9])(?![ \-.,/]\d)(?!\s?(?:元|蚊|港元|HKD))"
_LOCAL = r"[2356789]\d{3}[ \-]?\d{4}"
_PREFIX = r"(?:(?:\+|00)\s?852|\(\+?852\)|852)[ \-]?"
_NOT_PHONE_LABEL = (
    r"order|invoice|ref(?:erence)?|txn|transaction|policy|member(?:ship)?|case|ticket|tracking"
    r"|booking|訂單|订单|單號|单号|編號|编号|參考|参考|保單|保单|會員|会员|個案|个案"
    r"|案件|追蹤|追踪"
)
_NOT_PHONE_BEFORE = re.compile(
    rf"(?:{_NOT_PHONE_LABEL})\s*(?:no\.?|number|num|#|id|code|編號|號碼|号码)?\s*[:：#.]?\s*$",
    re.IGNORECASE,
)
_NOT_PHONE_AFTER = re.compile(rf"^\s*[(（]?\s*(?:{_NOT_PHONE_LABEL})", re.IGNORECASE)
_DATE_LIKE = re.compile(r"20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


class HkPhoneRecognizer(HkPatternRecognizer):
    """HK fixed and mobile numbers, in English or unspaced Chinese text (``電話91234567``).

    Numbers that continue a longer digit run, follow a currency sign, or read as a
    ``YYYYMMDD`` date are skipped; a cue word such as ``tel`` or ``電話`` raises the score.
    """

    ENTITY = EntityType.HK_PHONE
    PATTERNS = (
        ContextPattern("hk_phone_international", _LEFT + _PREFIX + _LOCAL + _RIGHT, 0.75),
        ContextPattern("hk_phone_local", _LEFT + _LOCAL + _RIGHT, 0.5),
    )
    CONTEXT = (
        "tel",
        "tel.",
        "telephone",
        "phone",
        "phone no",
        "mobile",
        "mob",
        "cell",
        "call",
        "called",
        "calling",
        "contact",
        "whatsapp",
        "sms",
        "text me",
        "fax",
        "hotline",
        "電話",
        "电话",
        "手機",
        "手机",
        "致電",
        "致电",
        "聯絡",
        "联络",
        "联系",
        "聯繫",
        "打去",
        "打俾",
        "打畀",
        "打比",
        "來電",
        "来电",
        "號碼",
        "号码",
        "傳真",
        "传真",
        "短訊",
        "短信",
        "回覆",
    )
    CONTEXT_BOOST = 0.35
    MAX_PATTERN_SCORE = 0.95

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """An 8-digit number labelled as an order, reference or policy number is not a phone
        number, unless a phone cue (tel, 電話…) is also there."""
        score = super().score_match(text, start, end, pattern)
        if score and not self.context_words.found(text, start, end):
            before, after = text[max(0, start - 30) : start], text[end : end + 20]
            if _NOT_PHONE_BEFORE.search(before) or _NOT_PHONE_AFTER.match(after):
                return 0.0
        return score

    def invalidate_result(self, pattern_text: str) -> bool:
        """Contiguous ``20YYMMDD`` is a date, not a phone number."""
        return _DATE_LIKE.fullmatch(pattern_text) is not None
