"""Table tests of the check-digit algorithms (HKID, Luhn, Mainland ID) and of the leak scanner
that uses them on bytes.

Every expected value is written out here (published examples or checked by hand), never
computed with the code under test.
"""

from __future__ import annotations

import pytest

from sandbox.privacy.checksums import (
    cn_id_check_char,
    hkid_check_digit,
    hkid_valid,
    is_valid_cn_id,
    luhn_complete,
    luhn_valid,
)
from sandbox.privacy.scan import scan_bytes


@pytest.mark.parametrize(
    ("prefix", "digits", "check"),
    [
        ("A", "123456", "3"),  # the textbook example A123456(3)
        ("C", "668668", "9"),
        ("Z", "999999", "0"),
        ("A", "000274", "A"),  # check digit 10 is written A
        ("AB", "987654", "3"),
        ("XA", "000000", "8"),
        ("XA", "000822", "A"),
        ("WX", "000822", "0"),
        ("a", "123456", "3"),  # letters in either case
    ],
)
def test_hkid_check_digit(prefix: str, digits: str, check: str) -> None:
    assert hkid_check_digit(prefix, digits) == check


@pytest.mark.parametrize(
    ("prefix", "digits"),
    [("a1", "123456"), ("", "123456"), ("ABC", "123456"), ("É", "123456"), ("A", "12345"),
     ("A", "1234567"), ("A", "12345x")],
)  # fmt: skip
def test_hkid_check_digit_rejects_malformed_parts(prefix: str, digits: str) -> None:
    with pytest.raises(ValueError, match="bad HKID"):
        hkid_check_digit(prefix, digits)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("A123456(3)", True),
        ("A1234563", True),
        ("A123456 (3)", True),
        ("A123456（3）", True),  # full-width brackets
        ("a123456(3)", True),
        (" AB987654(3) ", True),
        ("A000274(A)", True),
        ("A000274(a)", True),
        ("XA000822A", True),
        ("WX000822(0)", True),
        ("A123456(4)", False),  # wrong check digit
        ("AB987654(2)", False),
        ("A000274(0)", False),
        ("A123456(B)", False),  # no such check character
        ("A123456(3", False),  # unbalanced bracket
        ("A123456(3）", False),
        ("ABC123456(3)", False),  # three letters
        ("A12345(3)", False),  # five digits
        ("A123456", False),  # no check digit
        ("A123456(3) and more", False),
        ("", False),
    ],
)
def test_hkid_valid(text: str, valid: bool) -> None:
    assert hkid_valid(text) is valid


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),  # Visa test number
        ("5500000000000004", True),  # Mastercard test number
        ("378282246310005", True),  # American Express test number
        ("6212345678901232", True),  # UnionPay, 16 digits
        ("79927398713", True),  # the usual worked example
        ("0", True),
        ("4111111111111112", False),
        ("79927398710", False),
        ("4111 1111 1111 1111", False),  # separators are the caller's to strip
        ("", False),
        ("abcd", False),
    ],
)
def test_luhn_valid(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("partial", "complete"),
    [("7992739871", "79927398713"), ("411111111111111", "4111111111111111"),
     ("550000000000000", "5500000000000004"), ("37828224631000", "378282246310005")],
)  # fmt: skip
def test_luhn_complete(partial: str, complete: str) -> None:
    assert luhn_complete(partial) == complete


@pytest.mark.parametrize("partial", ["", "4111 1111", "12a"])
def test_luhn_complete_needs_digits(partial: str) -> None:
    with pytest.raises(ValueError, match="needs digits"):
        luhn_complete(partial)


def test_mainland_id_check_character_and_birth_date() -> None:
    assert cn_id_check_char("11010519491231002") == "X"  # the GB 11643 example
    assert is_valid_cn_id("11010519491231002X")
    assert is_valid_cn_id("110105 19491231 002x")
    assert not is_valid_cn_id("110105194912310020")  # wrong check character
    assert not is_valid_cn_id("110105194913310021")  # right check character, month 13
    assert not is_valid_cn_id("11010519491231002")  # 17 characters


def test_scanner_reports_only_identifiers_with_valid_check_digits() -> None:
    text = (
        "ids A123456(3) A123456(4) XA000822A AB987654（3） "
        "cards 4111 1111 1111 1111, 4111-1111-1111-1112, 5500-0000-0000-0004"
    )
    hits = {(hit.kind, hit.value) for hit in scan_bytes("memo", text.encode(), known=())}
    assert hits == {
        ("HKID", "A123456(3)"),
        ("HKID", "XA000822A"),
        ("HKID", "AB987654（3）"),
        ("card", "4111 1111 1111 1111"),
        ("card", "5500-0000-0000-0004"),
    }
