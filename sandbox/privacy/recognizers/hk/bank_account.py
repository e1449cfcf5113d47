"""Hong Kong bank account numbers in the banks' written formats (3-6-3, 3-3-6, 3-3-1-6 ...)."""

from __future__ import annotations

import regex as re

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk._base import ContextPattern, HkPatternRecognizer

_LEFT = (
    r"(?<![A-Za-z0-9])(?<!\d[ \-.,/])(?<![+(])"
    r"(?<!(?:HK\$|US\$|RMB|HKD|USD|CNY|\$)\s?)"
)
_RIGHT = r"(?![A-Za-z0-9])(?![\-.,/]\d)(?! \d)"

BANK_CODES: frozenset[str] = frozenset(
    {
        "003",  # Standard Chartered
        "004",  # HSBC
        "005",  # Credit Agricole
        "006",  # Citibank N.A.
        "007",  # JPMorgan Chase
        "009",  # China Construction Bank (Asia)
        "012",  # Bank of China (Hong Kong)
        "015",  # Bank of East Asia
        "016",  # DBS Bank (Hong Kong)
        "018",  # China CITIC Bank International
        "020",  # CMB Wing Lung Bank
        "022",  # OCBC
        "024",  # Hang Seng Bank
        "025",  # Shanghai Commercial Bank
        "027",  # Bank of Communications
        "028",  # Public Bank (Hong Kong)
        "035",  # OCBC Bank (Hong Kong)
        "038",  # Tai Yau Bank
        "039",  # Chiyu Banking Corporation
        "040",  # Dah Sing Bank
        "041",  # Chong Hing Bank
        "043",  # Nanyang Commercial Bank
        "061",  # Tai Sang Bank
        "072",  # ICBC (Asia)
        "128",  # Fubon Bank (Hong Kong)
        "238",  # China Merchants Bank
        "250",  # Citibank (Hong Kong)
        "382",  # Bank of Communications (Hong Kong)
        "387",  # ZA Bank
        "388",  # Livi Bank
        "389",  # Mox Bank
        "390",  # WeLab Bank
        "391",  # Fusion Bank
        "392",  # PAObank
        "393",  # Ant Bank (Hong Kong)
        "395",  # Airstar Bank
    }
)


class HkBankAccountRecognizer(HkPatternRecognizer):
    """Account numbers written the way HK banks print them.

    Dashed 3-6-3 (HSBC, Hang Seng), 3-3-6, 3-3-6-3 and 3-3-1-6 (BOCHK) shapes count on their own;
    3-7/3-8/3-9 shapes need a known bank code or a cue word; 10-14 contiguous digits need a
    cue word (``account``, ``a/c``, ``戶口``). A known 3-digit bank code in front raises the
    score.
    """

    ENTITY = EntityType.HK_BANK_ACCOUNT
    PATTERNS = (
        ContextPattern("hk_account_3_6_3", _LEFT + r"\d{3}([ \-])\d{6}\1\d{3}" + _RIGHT, 0.6),
        ContextPattern("hk_account_3_3_6", _LEFT + r"\d{3}([ \-])\d{3}\1\d{6}" + _RIGHT, 0.6),
        ContextPattern(
            "hk_account_3_3_1_6", _LEFT + r"\d{3}([ \-])\d{3}\1\d\1\d{6}" + _RIGHT, 0.65
        ),
        ContextPattern(
            "hk_account_3_3_6_3", _LEFT + r"\d{3}([ \-])\d{3}\1\d{6}\1\d{3}" + _RIGHT, 0.65
        ),
        ContextPattern("hk_account_3_n", _LEFT + r"\d{3}-\d{7,9}" + _RIGHT, 0.4),
        # Other banks' groupings (BEA 015-2-123456, SC 447-1-234567-8) and OCR spacing around
        # the dashes ("024 - 889012 - 331"): 3 digits then 2-4 dashed groups, 9-16 digits.
        ContextPattern(
            "hk_account_dashed_groups",
            _LEFT + r"\d{3}(?:[ ]?-[ ]?\d{1,7}){2,4}" + _RIGHT,
            0.45,
        ),
        ContextPattern(
            "hk_account_contiguous", _LEFT + r"\d{10,14}" + _RIGHT, 0.5, needs_context=True
        ),
    )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Account numbers hold 9 to 16 digits whatever their grouping."""
        return not 9 <= sum(ch.isdigit() for ch in pattern_text) <= 16

    CONTEXT = (
        "account",
        "account no",
        "account number",
        "acct",
        "acc",
        "a/c",
        "a/c no",
        "bank account",
        "savings",
        "current account",
        "deposit into",
        "transfer to",
        "戶口",
        "户口",
        "帳戶",
        "账户",
        "帳號",
        "账号",
        "戶口號碼",
        "户口号码",
        "賬戶",
        "存入",
        "入數",
        "入数",
        "過數",
        "过数",
    )
    CONTEXT_BOOST = 0.2
    MAX_PATTERN_SCORE = 0.95
    BANK_CODE_BOOST = 0.1

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """Pattern score, plus the context boost and the known-bank-code boost."""
        value = text[start:end]
        known_code = value[:3] in BANK_CODES
        has_context = self.context_words.found(text, start, end)
        if pattern.needs_context and not has_context:
            return 0.0
        if pattern.name == "hk_account_3_n" and not (known_code or has_context):
            return 0.0
        score = pattern.score
        score += self.CONTEXT_BOOST if has_context else 0.0
        score += self.BANK_CODE_BOOST if known_code else 0.0
        if re.fullmatch(r"(\d)\1+", re.sub(r"\D", "", value)):
            return 0.0
        return min(score, self.MAX_PATTERN_SCORE)
