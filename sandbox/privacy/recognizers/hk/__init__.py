"""Presidio recognizers for Hong Kong personal data, one class per identifier.

Every recognizer runs under presidio language ``en``; the analyzer feeds English and
Chinese text alike through that language.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from sandbox.privacy.recognizers.hk.address import HkAddressRecognizer
from sandbox.privacy.recognizers.hk.bank_account import HkBankAccountRecognizer
from sandbox.privacy.recognizers.hk.chinese_name import ChineseNameRecognizer
from sandbox.privacy.recognizers.hk.cn_id import CnIdRecognizer
from sandbox.privacy.recognizers.hk.cn_permit import CnPermitRecognizer
from sandbox.privacy.recognizers.hk.credit_card import CreditCardRecognizer
from sandbox.privacy.recognizers.hk.date_of_birth import DateOfBirthRecognizer
from sandbox.privacy.recognizers.hk.email import EmailRecognizer
from sandbox.privacy.recognizers.hk.fps import FpsIdRecognizer
from sandbox.privacy.recognizers.hk.hkid import HkidRecognizer
from sandbox.privacy.recognizers.hk.ip_address import IpAddressRecognizer
from sandbox.privacy.recognizers.hk.passport import HkPassportRecognizer
from sandbox.privacy.recognizers.hk.phone import HkPhoneRecognizer
from sandbox.privacy.recognizers.hk.romanised_name import RomanisedNameRecognizer

__all__ = [
    "ChineseNameRecognizer",
    "CnIdRecognizer",
    "CnPermitRecognizer",
    "CreditCardRecognizer",
    "DateOfBirthRecognizer",
    "EmailRecognizer",
    "FpsIdRecognizer",
    "HkAddressRecognizer",
    "HkBankAccountRecognizer",
    "HkPassportRecognizer",
    "HkPhoneRecognizer",
    "HkidRecognizer",
    "IpAddressRecognizer",
    "RomanisedNameRecognizer",
    "hk_recognizers",
]


def hk_recognizers() -> list[EntityRecognizer]:
    """Every HK recognizer, ready to add to a presidio RecognizerRegistry."""
    return [
        HkidRecognizer(),
        HkPhoneRecognizer(),
        HkBankAccountRecognizer(),
        FpsIdRecognizer(),
        CreditCardRecognizer(),
        HkPassportRecognizer(),
        CnIdRecognizer(),
        CnPermitRecognizer(),
        EmailRecognizer(),
        IpAddressRecognizer(),
        DateOfBirthRecognizer(),
        HkAddressRecognizer(),
        RomanisedNameRecognizer(),
        ChineseNameRecognizer(),
    ]
