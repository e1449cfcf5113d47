"""Seeded generator of labelled Hong Kong banking texts for the PII benchmark.

Each document is one to three sentences from a banking context (complaints, KYC updates,
transfers, call-centre notes, relationship-manager chat, card loss, loan applications, fraud
reports) in English, Traditional Chinese (書面語) or Cantonese (口語, often code-mixed). Slots in
the templates are filled with synthetic personal data in Hong Kong formats (the gold ``spans``)
and with non-personal values an analyst needs to keep (the ``distractors``: amounts, merchants,
banks, references, non-birth dates, rates, ...). Everything is generated; no real person's data.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sandbox.privacy.checksums import cn_id_check_char, hkid_check_digit, luhn_complete
from sandbox.privacy.entities import EntityType

LANGUAGES: tuple[str, ...] = ("en", "zh-Hant", "yue")
CONTEXTS: tuple[str, ...] = (
    "complaint",
    "kyc_update",
    "transfer",
    "call_centre",
    "rm_chat",
    "card_loss",
    "loan_application",
    "fraud_report",
)
DISTRACTOR_KINDS: tuple[str, ...] = (
    "AMOUNT",
    "MERCHANT",
    "BANK",
    "REFERENCE",
    "BRANCH",
    "DATE",
    "RATE",
    "TIME",
    "CARD_LAST4",
    "NUMBER",
)


@dataclass(frozen=True)
class Span:
    """A labelled substring: ``text[start:end] == value``."""

    start: int
    end: int
    entity_type: EntityType | str  # EntityType for PII, a DISTRACTOR_KINDS name otherwise
    value: str


@dataclass(frozen=True)
class Doc:
    """One generated text with its gold PII spans and the distractors that must survive."""

    doc_id: str
    language: str
    context: str
    text: str
    spans: list[Span] = field(default_factory=list)
    distractors: list[Span] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

ZH_SURNAMES = (
    *"陳黃李張梁林劉吳何王鄭楊郭謝羅曾馮蔡鄧許葉蘇盧周馬朱胡麥余袁潘莫彭范徐呂譚杜方高孫雷廖趙區姚韋鍾賴邱施岑關甘傅程溫嚴",
    "歐陽",
    "司徒",
)
ZH_GIVEN = (
    "大文小明嘉欣偉強志華家豪美玲詠詩淑儀國榮建雄子健浩然俊傑錦輝敏慧珊佩婉婷曉彤凱晴穎"
    "芝怡卓賢永康振邦德安金寶麗萍月娥秀英銘心思樂天宇軒梓朗翠芬惠霞雅琪耀祖兆基少鳳紫琳"
)
ZH_FAMOUS = ("陳大文", "黃小明", "李嘉欣", "張偉強")
ZH_TITLES = ("生", "太", "先生", "太太", "小姐")

# fmt: off
EN_SURNAMES = (
    "Chan", "Wong", "Lee", "Cheung", "Leung", "Lam", "Lau", "Ng", "Ho", "Cheng", "Yeung",
    "Kwok", "Tse", "Lo", "Tsang", "Fung", "Choi", "Tang", "Hui", "Yip", "So", "Chow", "Ma",
    "Chu", "Wu", "Mak", "Yu", "Yuen", "Poon", "Mok", "Pang", "Fan", "Tsui", "Lui", "Tam", "To",
    "Fong", "Ko", "Suen", "Chiu", "Kwan", "Lai", "Yau", "Shum", "Sit", "Szeto",
)
EN_GIVEN_SYLLABLES = (
    "Tai", "Man", "Siu", "Ming", "Ka", "Yan", "Wai", "Keung", "Chi", "Hung", "Mei", "Ling",
    "Wing", "Kin", "Yee", "Hoi", "Sze", "Ching", "Fai", "Kwok", "Shing", "Lok", "Yuk", "Pui",
    "Suet", "Ho", "Kit", "Chun", "Hin", "Tsz", "Long", "Yiu", "Wah", "Kei", "Fung", "Sum",
    "On", "Kam", "Po", "Wan",
)
EN_FIRST_NAMES = (
    "Peter", "Mary", "John", "Kelvin", "Karen", "Vincent", "Winnie", "Ivan", "Carmen", "Eric",
    "Jacky", "Ada", "Gigi", "Kenneth", "Raymond", "Michelle", "Alan", "Joyce", "Sammy",
    "Tiffany", "Angus", "Bonnie", "Cyrus", "Doris", "Edmond", "Fanny", "Gordon", "Heidi",
    "Ivy", "Janice",
)
# fmt: on
EN_TITLES = ("Mr.", "Mrs.", "Ms.", "Miss", "Dr.", "Mr", "Mrs")

# (estate, 屋苑, district, 地區, region)
ESTATES = (
    ("Taikoo Shing", "太古城", "Quarry Bay", "鰂魚涌", "香港"),
    ("City One Shatin", "沙田第一城", "Sha Tin", "沙田", "新界"),
    ("Mei Foo Sun Chuen", "美孚新邨", "Lai Chi Kok", "荔枝角", "九龍"),
    ("Whampoa Garden", "黃埔花園", "Hung Hom", "紅磡", "九龍"),
    ("Kornhill", "康怡花園", "Quarry Bay", "鰂魚涌", "香港"),
    ("Laguna City", "麗港城", "Lam Tin", "藍田", "九龍"),
    ("South Horizons", "海怡半島", "Ap Lei Chau", "鴨脷洲", "香港"),
    ("Amoy Gardens", "淘大花園", "Ngau Tau Kok", "牛頭角", "九龍"),
    ("Heng Fa Chuen", "杏花邨", "Chai Wan", "柴灣", "香港"),
    ("Kingswood Villas", "嘉湖山莊", "Tin Shui Wai", "天水圍", "新界"),
    ("Sceneway Garden", "匯景花園", "Lam Tin", "藍田", "九龍"),
    ("Lok Fu Estate", "樂富邨", "Lok Fu", "樂富", "九龍"),
    ("Choi Hung Estate", "彩虹邨", "Choi Hung", "彩虹", "九龍"),
    ("Shek Kip Mei Estate", "石硤尾邨", "Sham Shui Po", "深水埗", "九龍"),
    ("Metro City", "新都城", "Tseung Kwan O", "將軍澳", "新界"),
    ("Belvedere Garden", "麗城花園", "Tsuen Wan", "荃灣", "新界"),
    ("Lei Tung Estate", "利東邨", "Ap Lei Chau", "鴨脷洲", "香港"),
    ("Tai Hing Gardens", "大興花園", "Tuen Mun", "屯門", "新界"),
)
# (street, 街道, district, 地區, region)
STREETS = (
    ("Nathan Road", "彌敦道", "Mong Kok", "旺角", "九龍"),
    ("Hennessy Road", "軒尼詩道", "Wan Chai", "灣仔", "香港"),
    ("King's Road", "英皇道", "North Point", "北角", "香港"),
    ("Queen's Road Central", "皇后大道中", "Central", "中環", "香港"),
    ("Castle Peak Road", "青山公路", "Tsuen Wan", "荃灣", "新界"),
    ("Argyle Street", "亞皆老街", "Mong Kok", "旺角", "九龍"),
    ("Des Voeux Road Central", "德輔道中", "Sheung Wan", "上環", "香港"),
    ("Lockhart Road", "駱克道", "Wan Chai", "灣仔", "香港"),
    ("Prince Edward Road West", "太子道西", "Prince Edward", "太子", "九龍"),
    ("Shau Kei Wan Road", "筲箕灣道", "Sai Wan Ho", "西灣河", "香港"),
    ("Sha Tsui Road", "沙咀道", "Tsuen Wan", "荃灣", "新界"),
    ("Yee Kuk Street", "醫局街", "Sham Shui Po", "深水埗", "九龍"),
)
BUILDINGS = (
    "Wing On Building",
    "Sino Plaza",
    "Kwong Fat Mansion",
    "Golden Centre",
    "Lucky Building",
    "Hang Fung Court",
)
BANK_CODES = ("003", "004", "009", "012", "015", "016", "020", "024", "040", "041", "043", "072")
CN_AREA_CODES = ("440301", "440303", "440104", "440106", "310101", "110101", "440604", "445102")
EMAIL_DOMAINS = (
    "gmail.com",
    "yahoo.com.hk",
    "netvigator.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "hkbn.net",
    "163.com",
    "qq.com",
    "example.com.hk",
)
IP_FIRST_OCTETS = (14, 27, 42, 58, 61, 101, 103, 112, 113, 116, 119, 124, 175, 182, 202, 203, 218)

MERCHANTS = (
    "Wellcome",
    "PARKnSHOP",
    "7-Eleven",
    "Fortress",
    "Mannings",
    "HKTVmall",
    "759阿信屋",
    "大家樂",
    "Watsons",
    "Circle K",
    "美心",
    "惠康",
    "百佳",
    "豐澤",
    "Broadway",
    "Café de Coral",
)
BANKS_EN = ("HSBC", "Hang Seng Bank", "Standard Chartered", "Bank of China (Hong Kong)", "BEA")
BANKS_ZH = ("中銀香港", "恒生銀行", "滙豐", "渣打", "東亞銀行", "HSBC", "Hang Seng Bank")

# --------------------------------------------------------------------------------------------
# Identifier generators (all synthetic; check digits computed)
# --------------------------------------------------------------------------------------------

_HKID_TWO_LETTER = ("XA", "XB", "XC", "XD", "XE", "XG", "XH", "WX", "EC")


def _digits(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _birth_date(rng: random.Random) -> date:
    return date(1945, 1, 1) + timedelta(days=rng.randrange(365 * 60))


def _event_date(rng: random.Random) -> date:
    return date(2025, 1, 1) + timedelta(days=rng.randrange(540))


def gen_hkid(rng: random.Random, lang: str) -> str:
    prefix = rng.choice(_HKID_TWO_LETTER) if rng.random() < 0.15 else rng.choice("ACDEGHKPRVYZ")
    digits = _digits(rng, 6)
    check = hkid_check_digit(prefix, digits)
    style = rng.choice(
        ("paren", "paren", "plain", "space", "fullwidth" if lang != "en" else "paren")
    )
    return {
        "paren": f"{prefix}{digits}({check})",
        "plain": f"{prefix}{digits}{check}",
        "space": f"{prefix}{digits} ({check})",
        "fullwidth": f"{prefix}{digits}（{check}）",
    }[style]


def gen_phone(rng: random.Random, lang: str) -> str:
    first = rng.choice("5569966789") if rng.random() < 0.75 else rng.choice("23")
    number = _digits(rng, 8, first)
    a, b = number[:4], number[4:]
    return rng.choice(
        (
            f"{a} {b}",
            f"{a} {b}",
            number,
            f"+852 {a} {b}",
            f"(852) {a}-{b}",
            f"852-{a} {b}",
            f"+852{number}",
            f"{a}-{b}",
        )
    )


def gen_bank_account(rng: random.Random, lang: str) -> str:
    code = rng.choice(BANK_CODES)
    style = rng.randrange(3)
    if style == 0:
        return f"{code}-{_digits(rng, 6)}-{_digits(rng, 3)}"
    if style == 1:
        return f"{code}-{_digits(rng, 3)}-{_digits(rng, 6)}"
    return f"{code}-{_digits(rng, 3)}-{_digits(rng, 6)}-{_digits(rng, 3)}"


def gen_bank_account_plain(rng: random.Random, lang: str) -> str:
    return rng.choice(BANK_CODES) + _digits(rng, 9)


def gen_fps_id(rng: random.Random, lang: str) -> str:
    return _digits(rng, rng.choice((7, 9)), "123456789")


def gen_card(rng: random.Random, lang: str) -> str:
    brand = rng.choice(("visa", "visa", "mastercard", "mastercard", "amex", "unionpay"))
    if brand == "amex":
        number = luhn_complete(rng.choice(("34", "37")) + _digits(rng, 12))
        groups = [number[:4], number[4:10], number[10:]]
    else:
        if brand == "visa":
            head, length = "4", 16
        elif brand == "mastercard":
            head, length = rng.choice(("51", "52", "53", "54", "55", "2221", "2720")), 16
        else:
            head, length = "62", rng.choice((16, 19))
        number = luhn_complete(head + _digits(rng, length - len(head) - 1))
        groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    return rng.choice((" ".join(groups), " ".join(groups), "-".join(groups), number))


def gen_passport(rng: random.Random, lang: str) -> str:
    return rng.choice("HK") + _digits(rng, 8)


def gen_cn_id(rng: random.Random, lang: str) -> str:
    born = _birth_date(rng)
    first17 = rng.choice(CN_AREA_CODES) + born.strftime("%Y%m%d") + _digits(rng, 3)
    return first17 + cn_id_check_char(first17)


def gen_cn_permit(rng: random.Random, lang: str) -> str:
    return rng.choice("HM") + _digits(rng, rng.choice((8, 10)))


def gen_email(rng: random.Random, lang: str) -> str:
    surname = rng.choice(EN_SURNAMES).lower()
    given = [s.lower() for s in rng.sample(EN_GIVEN_SYLLABLES, 2)]
    first = rng.choice(EN_FIRST_NAMES).lower()
    local = rng.choice(
        (
            f"{surname}{''.join(given)}{rng.randrange(10, 99)}",
            f"{first}.{surname}",
            f"{first}{surname}{rng.randrange(1970, 2005)}",
            f"{surname}.{given[0][0]}{given[1][0]}",
            f"{first}_{surname}",
        )
    )
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def gen_ip(rng: random.Random, lang: str) -> str:
    if rng.random() < 0.15:
        hextets = [f"{rng.randrange(0x10000):x}" for _ in range(4)]
        return f"2400:{rng.randrange(0x1000, 0xFFFF):x}::" + ":".join(hextets)
    octets = [rng.choice(IP_FIRST_OCTETS)] + [rng.randrange(256) for _ in range(2)]
    return ".".join(str(o) for o in octets) + f".{rng.randrange(1, 255)}"


def _format_date(rng: random.Random, d: date, lang: str) -> str:
    en = (
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day:02d}-{d.month:02d}-{d.year}",
        f"{d.day} {d.strftime('%B')} {d.year}",
        f"{d.day} {d.strftime('%b')} {d.year}",
        d.isoformat(),
    )
    zh = (f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日")
    if lang == "en":
        return rng.choice(en)
    if lang == "zh-Hant":
        return rng.choice(zh + zh + en[:1])
    return rng.choice(zh + en[:2])


def gen_dob(rng: random.Random, lang: str) -> str:
    return _format_date(rng, _birth_date(rng), lang)


def gen_address(rng: random.Random, lang: str) -> str:
    chinese = lang == "zh-Hant" or (lang == "yue" and rng.random() < 0.8)
    floor, unit = rng.randrange(1, 45), rng.choice("ABCDEFGH")
    if chinese:
        style = rng.randrange(3)
        if style == 0:
            estate = rng.choice(ESTATES)
            return f"{estate[1]}{rng.randrange(1, 40)}座{floor}樓{unit}室"
        if style == 1:
            street = rng.choice(STREETS)
            region = street[4] if rng.random() < 0.5 else ""
            return f"{region}{street[3]}{street[1]}{rng.randrange(1, 800)}號{floor}樓"
        estate = rng.choice(ESTATES)
        block, room = rng.randrange(1, 40), rng.randrange(1, 12)
        return f"{estate[4]}{estate[3]}{estate[1]}{block}座{floor}樓{room}室"
    style = rng.randrange(4)
    if style == 0:
        estate = rng.choice(ESTATES)
        block = rng.choice(("A", "B", "C", "D", str(rng.randrange(1, 20))))
        return f"Flat {unit}, {floor}/F, Block {block}, {estate[0]}, {estate[2]}"
    if style == 1:
        street = rng.choice(STREETS)
        building = rng.choice(BUILDINGS)
        room = f"{floor}{rng.randrange(1, 20):02d}"
        return (
            f"Room {room}, {floor}/F, {building}, {rng.randrange(1, 800)} {street[0]}, {street[2]}"
        )
    if style == 2:
        street = rng.choice(STREETS)
        return f"{floor}/F, {rng.randrange(1, 800)} {street[0]}, {street[2]}"
    estate = rng.choice(ESTATES)
    return f"Flat {floor}{unit}, Tower {rng.randrange(1, 12)}, {estate[0]}, {estate[2]}"


def gen_person(rng: random.Random, lang: str) -> str:
    surname = rng.choice(EN_SURNAMES)
    a, b = rng.sample(EN_GIVEN_SYLLABLES, 2)
    first = rng.choice(EN_FIRST_NAMES)
    return rng.choice(
        (
            f"{surname} {a} {b}",
            f"{surname} {a}-{b.lower()}",
            f"{surname.upper()} {a} {b}",
            f"{first} {surname}",
            f"{first} {surname}",
            f"{first} {surname.upper()} {a}-{b.lower()}",
            f"{rng.choice(EN_TITLES)} {surname}",
            f"{rng.choice(EN_TITLES)} {surname} {a} {b}",
        )
    )


def gen_person_zh(rng: random.Random, lang: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(ZH_FAMOUS)
    surname = rng.choice(ZH_SURNAMES)
    if roll < 0.3:
        return surname + rng.choice(ZH_TITLES)
    given = "".join(rng.sample(ZH_GIVEN, 1 if rng.random() < 0.15 else 2))
    return surname + given


# --------------------------------------------------------------------------------------------
# Distractor generators
# --------------------------------------------------------------------------------------------


def gen_amount(rng: random.Random, lang: str) -> str:
    value = rng.choice((rng.randrange(20, 2_000), rng.randrange(1_000, 500_000)))
    cents = rng.randrange(100) / 100
    en = (f"HKD {value + cents:,.2f}", f"HK${value:,}", f"${value:,}", f"HKD{value:,}")
    if lang == "en":
        return rng.choice(en)
    zh = (f"港幣{value:,}元", f"HK${value:,}", f"${value + cents:,.2f}", f"港幣{value:,}.00元")
    return rng.choice(zh + ((f"{value:,}蚊",) if lang == "yue" else ()))


def gen_merchant(rng: random.Random, lang: str) -> str:
    return rng.choice(MERCHANTS)


def gen_bank(rng: random.Random, lang: str) -> str:
    return rng.choice(BANKS_EN if lang == "en" else BANKS_ZH)


def gen_reference(rng: random.Random, lang: str) -> str:
    d = _event_date(rng)
    style = rng.randrange(3)
    if style == 0:
        return f"FT{d.strftime('%y%m%d')}{_digits(rng, 4)}"
    if style == 1:
        return f"TXN-{d.strftime('%Y%m%d')}-{_digits(rng, 4)}"
    chars = rng.sample(string.ascii_uppercase, 4) + rng.sample("23456789", 4)
    rng.shuffle(chars)
    return "".join(chars)


def gen_branch(rng: random.Random, lang: str) -> str:
    code = _digits(rng, 3)
    if lang == "en":
        return rng.choice((f"branch {code}", f"branch code {code}"))
    return rng.choice((f"{code}分行", f"分行編號{code}"))


def gen_event_date(rng: random.Random, lang: str) -> str:
    return _format_date(rng, _event_date(rng), lang)


def gen_rate(rng: random.Random, lang: str) -> str:
    margin = rng.choice(("1.3", "1.5", "2.25", "2.5", "0.8"))
    common = (f"HIBOR + {margin}%", f"P - {margin}%", f"H+{margin}%")
    if lang == "en":
        return rng.choice(common + (f"{rng.randrange(1, 6)}.125% p.a.", f"APR {margin}%"))
    return rng.choice(common + (f"年利率3.{rng.randrange(10, 99)}%", f"實際年利率{margin}%"))


def gen_time(rng: random.Random, lang: str) -> str:
    return f"{rng.randrange(8, 23):02d}:{rng.randrange(60):02d}"


def gen_last4(rng: random.Random, lang: str) -> str:
    return _digits(rng, 4)


def gen_count(rng: random.Random, lang: str) -> str:
    n = rng.randrange(2, 9)
    if lang == "en":
        return rng.choice((f"{n} credit cards", f"{n} insurance policies", f"{n} accounts"))
    return rng.choice((f"{n}張信用卡", f"{n}份保單", f"{n}個戶口"))


def gen_points(rng: random.Random, lang: str) -> str:
    n = rng.randrange(1_000, 90_000)
    return f"{n:,} reward points" if lang == "en" else f"{n:,}積分"


def gen_tenor(rng: random.Random, lang: str) -> str:
    n = rng.choice((12, 24, 36, 48, 60, 120, 240))
    return f"{n} months" if lang == "en" else f"{n}個月"


Generator = Callable[[random.Random, str], str]

SLOTS: dict[str, tuple[EntityType | str, Generator]] = {
    "hkid": (EntityType.HK_ID, gen_hkid),
    "phone": (EntityType.HK_PHONE, gen_phone),
    "acct": (EntityType.HK_BANK_ACCOUNT, gen_bank_account),
    "acct12": (EntityType.HK_BANK_ACCOUNT, gen_bank_account_plain),
    "fps": (EntityType.FPS_ID, gen_fps_id),
    "card": (EntityType.CREDIT_CARD, gen_card),
    "passport": (EntityType.HK_PASSPORT, gen_passport),
    "cnid": (EntityType.CN_ID, gen_cn_id),
    "permit": (EntityType.CN_PERMIT, gen_cn_permit),
    "email": (EntityType.EMAIL, gen_email),
    "ip": (EntityType.IP_ADDRESS, gen_ip),
    "dob": (EntityType.DATE_OF_BIRTH, gen_dob),
    "addr": (EntityType.HK_ADDRESS, gen_address),
    "name": (EntityType.PERSON, gen_person),
    "name_zh": (EntityType.PERSON_ZH, gen_person_zh),
    "amount": ("AMOUNT", gen_amount),
    "merchant": ("MERCHANT", gen_merchant),
    "bank": ("BANK", gen_bank),
    "ref": ("REFERENCE", gen_reference),
    "branch": ("BRANCH", gen_branch),
    "date": ("DATE", gen_event_date),
    "rate": ("RATE", gen_rate),
    "time": ("TIME", gen_time),
    "last4": ("CARD_LAST4", gen_last4),
    "count": ("NUMBER", gen_count),
    "points": ("NUMBER", gen_points),
    "tenor": ("NUMBER", gen_tenor),
}

# --------------------------------------------------------------------------------------------
# Templates: TEMPLATES[(context, language)]; FILLERS[language] carry no PII (hard negatives)
# --------------------------------------------------------------------------------------------

TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("complaint", "en"): (
        "Customer {name} (HKID {hkid}) complained that a charge of {amount} at {merchant} on "
        "{date} was debited twice. Please call back on {phone}.",
        "I am writing to complain about the late fee of {amount} on my card ending {last4}. "
        "My name is {name} and my email is {email}.",
        "Complaint ref {ref}: {name} says the staff at {branch} refused to waive the annual fee. "
        "Contact: {phone}, {email}.",
        "{name} of {addr} reported that the statement dated {date} shows {amount} paid to "
        "{merchant}, which was not authorised.",
    ),
    ("kyc_update", "en"): (
        "KYC update for {name}: new residential address {addr}; HKID {hkid}; date of birth {dob}.",
        "Please update my mobile number to {phone} and my correspondence address to {addr}. "
        "HKID: {hkid}.",
        "Customer provided passport no. {passport} and Mainland ID {cnid} for verification at "
        "{branch} on {date}.",
        "Periodic review: {name}, DOB {dob}, email {email}, Home Return Permit {permit}. "
        "Risk rating unchanged.",
    ),
    ("transfer", "en"): (
        "Please transfer {amount} from account {acct} to {name}, FPS ID {fps}, by {time} today.",
        "Beneficiary: {name}, {bank} account {acct}. Amount {amount}. Our reference {ref}.",
        "Standing instruction: pay {amount} monthly to account no. {acct12} held with {bank}, "
        "starting {date}.",
        "FPS transfer of {amount} to {phone} ({name}) failed with reference {ref}; please retry.",
    ),
    ("call_centre", "en"): (
        "Call note {time}: caller verified as {name}, HKID {hkid}, DOB {dob}. Asked about the "
        "{rate} mortgage plan.",
        "Customer called from {phone} asking to raise the limit on card {card}. Advised to "
        "visit {branch}.",
        "Inbound call, ref {ref}. {name} disputes {amount} at {merchant}. Callback number {phone}.",
        "Agent note: customer holds {count}; identity confirmed by passport {passport} and "
        "email {email}.",
    ),
    ("rm_chat", "en"): (
        "Hi {name}, this is your RM at {bank}. The time deposit rate is {rate}; shall I book "
        "{amount} for you?",
        "RM: Please send a copy of your HKID ({hkid}) and proof of address ({addr}) to {email}.",
        "Client: my new number is {phone}, please WhatsApp me the fund factsheet. RM: noted, "
        "will send by {time}.",
        "RM chat: {name} (Chinese name {name_zh}) wants to move {amount} from {bank} to account "
        "{acct} before {date}.",
    ),
    ("card_loss", "en"): (
        "Lost card report: {name} lost card {card} near {merchant} at {time}. Last genuine "
        "transaction {amount}.",
        "Please block my credit card {card}. I'm overseas, reach me at {phone} or {email}.",
        "Card ending {last4} reported stolen on {date}; replacement to be mailed to {addr}.",
        "Customer {name} (DOB {dob}) confirms that card {card} was not used at {merchant} for "
        "{amount}.",
    ),
    ("loan_application", "en"): (
        "Personal loan application: applicant {name}, HKID {hkid}, date of birth {dob}, monthly "
        "income {amount}, tenor {tenor}.",
        "Mortgage pre-approval for {addr}: loan {amount} at {rate}; applicant email {email}, "
        "mobile {phone}.",
        "Applicant {name} holds Mainland ID {cnid} and HK passport {passport}; salary is "
        "credited to {acct}.",
        "Loan {ref}: drawdown of {amount} to account {acct} on {date}, interest {rate}.",
    ),
    ("fraud_report", "en"): (
        "Login alert: a new device signed in from IP {ip} at {time} on {date}. If this wasn't "
        "you, call {phone}.",
        "Fraud report: {name} received a call from someone claiming to be from {bank} who asked "
        "for card {card} and the OTP.",
        "Suspicious FPS payment of {amount} to FPS ID {fps}; victim {name}, HKID {hkid}, "
        "reference {ref}.",
        "Phishing email sent to {email} from IP address {ip}; the customer clicked the link and "
        "entered account {acct}.",
    ),
    ("complaint", "zh-Hant"): (
        "客戶{name_zh}（身份證號碼{hkid}）投訴於{date}在{merchant}的{amount}交易被重複扣賬，"
        "請致電{phone}回覆。",
        "本人{name_zh}對信用卡（尾號{last4}）被收取{amount}逾期費用表示不滿，電郵：{email}。",
        "投訴編號{ref}：{name_zh}表示{branch}職員拒絕豁免年費，聯絡電話{phone}。",
        "{name_zh}（地址：{addr}）表示{date}的月結單顯示向{merchant}支付{amount}，但並未授權。",
    ),
    ("kyc_update", "zh-Hant"): (
        "更新客戶資料：{name_zh}，新住址{addr}，香港身份證{hkid}，出生日期：{dob}。",
        "請將本人的手提電話更新為{phone}，通訊地址更新為{addr}。身份證號碼：{hkid}。",
        "客戶於{date}在{branch}出示護照號碼{passport}及內地居民身份證{cnid}以作核實。",
        "定期審查：{name_zh}，出生日期{dob}，電郵{email}，回鄉證號碼{permit}，風險評級不變。",
    ),
    ("transfer", "zh-Hant"): (
        "請由賬戶{acct}轉賬{amount}予{name_zh}，轉數快識別碼{fps}，於今日{time}前完成。",
        "收款人：{name_zh}，{bank}賬戶{acct}，金額{amount}，參考編號{ref}。",
        "常設指示：由{date}起每月支付{amount}至{bank}賬戶號碼{acct12}。",
        "經轉數快向{phone}（{name_zh}）轉賬{amount}失敗，參考編號{ref}，請重試。",
    ),
    ("call_centre", "zh-Hant"): (
        "通話紀錄{time}：來電者已核實為{name_zh}，身份證{hkid}，出生日期{dob}，查詢{rate}按揭計劃。",
        "客戶由{phone}致電，要求提高信用卡{card}的信用額，已建議前往{branch}辦理。",
        "來電編號{ref}：{name_zh}對{merchant}的{amount}交易提出爭議，回電號碼{phone}。",
        "客戶持有{count}，已透過護照號碼{passport}及電郵{email}核實身份。",
    ),
    ("rm_chat", "zh-Hant"): (
        "{name_zh}您好，我是{bank}的客戶經理。定期存款利率為{rate}，是否需要為您預留{amount}？",
        "客戶經理：請將身份證（{hkid}）及住址證明（{addr}）副本電郵至{email}。",
        "客戶：本人新電話號碼為{phone}，請傳送基金資料。客戶經理：收到，將於{time}前發送。",
        "{name_zh}希望於{date}前將{amount}由{bank}轉至賬戶{acct}。",
    ),
    ("card_loss", "zh-Hant"): (
        "遺失信用卡報告：{name_zh}於{time}在{merchant}附近遺失信用卡{card}，最後一筆正常交易為"
        "{amount}。",
        "請立即凍結本人的信用卡{card}。本人身在外地，請致電{phone}或電郵{email}聯絡。",
        "尾號{last4}的信用卡於{date}報失，補發卡將寄往{addr}。",
        "客戶{name_zh}（出生日期：{dob}）確認信用卡{card}並無在{merchant}簽賬{amount}。",
    ),
    ("loan_application", "zh-Hant"): (
        "私人貸款申請：申請人{name_zh}，身份證{hkid}，出生日期{dob}，每月收入{amount}，"
        "還款期{tenor}。",
        "{addr}按揭預批：貸款額{amount}，利率{rate}，申請人電郵{email}，手提電話{phone}。",
        "申請人{name_zh}持有內地身份證{cnid}及香港特區護照{passport}，薪金存入賬戶{acct}。",
        "貸款編號{ref}：於{date}提取{amount}至賬戶{acct}，利率{rate}。",
    ),
    ("fraud_report", "zh-Hant"): (
        "登入提示：新裝置於{date} {time}由IP地址{ip}登入。如非本人操作，請致電{phone}。",
        "詐騙舉報：{name_zh}接到自稱{bank}職員的來電，對方索取信用卡號碼{card}及一次性密碼。",
        "可疑轉數快付款{amount}至轉數快識別碼{fps}；受害人{name_zh}，身份證{hkid}，參考編號{ref}。",
        "釣魚電郵寄至{email}，來源IP地址{ip}；客戶點擊連結後輸入了賬戶號碼{acct}。",
    ),
    ("complaint", "yue"): (
        "我係{name_zh}，身份證{hkid}，{date}喺{merchant}俾人扣咗兩次{amount}，唔該打{phone}覆我。",
        "我張 credit card 尾數{last4}無啦啦俾人收咗{amount} late charge，好嬲呀！email 我：{email}",
        "投訴 ref {ref}：{name_zh}話{branch}啲職員唔肯 waive 年費，佢電話係{phone}。",
        "{name}話{date}張 statement 有筆{amount}俾咗{merchant}，佢話自己冇簽過。地址：{addr}",
    ),
    ("kyc_update", "yue"): (
        "我想改地址，新地址係{addr}，身份證{hkid}，出世日期{dob}。",
        "唔該幫我改手機號碼做{phone}，email 都改埋做{email}。",
        "佢{date}嚟{branch}，帶咗護照{passport}同埋大陸身份證{cnid}嚟核實。",
        "{name_zh}嘅回鄉證號碼係{permit}，出生日期：{dob}，佢話冇其他資料要改。",
    ),
    ("transfer", "yue"): (
        "唔該由我個 account {acct} 過{amount}俾{name_zh}，FPS ID {fps}，{time}之前搞掂。",
        "幫我 transfer {amount} 去{bank}戶口{acct}，收款人係{name}，ref {ref}。",
        "由{date}開始每個月自動過數{amount}去戶口號碼{acct12}，係{bank}嘅。",
        "我用轉數快過咗{amount}去{phone}（{name_zh}），但係 fail 咗，ref 係{ref}。",
    ),
    ("call_centre", "yue"): (
        "{time} call：客人{name_zh}，身份證{hkid}，出世日期{dob}，佢問{rate}個按揭 plan。",
        "客人用{phone}打嚟，想加張卡{card}嘅 limit，叫咗佢去{branch}。",
        "Case {ref}：{name}話喺{merchant}有筆{amount}唔係佢簽嘅，覆電{phone}。",
        "客人有{count}，記唔起 PIN，用護照{passport}同 email {email} verify 咗。",
    ),
    ("rm_chat", "yue"): (
        "Hi {name}，我係{bank}嘅 RM，而家定期有{rate}，使唔使幫你留{amount}？",
        "RM：唔該 send 你身份證（{hkid}）同地址證明（{addr}）去{email}。",
        "Client：我新電話係{phone}，WhatsApp 啲 fund factsheet 俾我啦。"
        "RM：收到，{time}前 send 俾你。",
        "{name_zh}想喺{date}之前將{amount}由{bank}過去戶口{acct}。",
    ),
    ("card_loss", "yue"): (
        "我張 credit card 唔見咗！卡號{card}，大概{time}喺{merchant}附近跌咗。",
        "唔該即刻 block 咗我張卡{card}，我喺外國，打{phone}或者 email {email}搵我。",
        "尾號{last4}張卡{date}俾人偷咗，新卡寄去{addr}。",
        "{name_zh}（出世日期{dob}）話張卡{card}冇喺{merchant}碌過{amount}。",
    ),
    ("loan_application", "yue"): (
        "我想借私人貸款，我係{name}，身份證{hkid}，DOB {dob}，月入{amount}，還{tenor}。",
        "想問{addr}個單位做唔做到按揭，借{amount}，{rate}，我 email {email}，手機{phone}。",
        "申請人{name_zh}有大陸身份證{cnid}同香港護照{passport}，份糧係入{acct}嘅。",
        "Loan {ref}：{date}放咗{amount}入戶口{acct}，利息係{rate}。",
    ),
    ("fraud_report", "yue"): (
        "收到 alert 話有部新機{time}用 IP {ip} 登入咗我個 account，唔係我嚟㗎！我電話{phone}。",
        "{name_zh}話有人扮{bank}職員打俾佢，問佢攞張卡{card}同 OTP。",
        "我俾人呃咗，過咗{amount}去 FPS ID {fps}，我係{name_zh}，身份證{hkid}，ref {ref}。",
        "佢{email}收到條 phishing link，IP 係{ip}，㩒咗入去仲打埋戶口號碼{acct}。",
    ),
}

FILLERS: dict[str, tuple[str, ...]] = {
    "en": (
        "Reminder: {bank} {branch} closes at {time} on {date}.",
        "The {rate} rate applies and the handling fee of {amount} is waived. Ref: {ref}.",
        "The customer holds {count} and has {points}.",
        "Statement date {date}; minimum payment {amount} due by {date}.",
    ),
    "zh-Hant": (
        "提示：{bank}{branch}於{date}{time}關門。",
        "利率為{rate}，手續費{amount}已豁免。參考編號：{ref}。",
        "客戶持有{count}，累積{points}。",
        "月結單日期{date}，最低還款額{amount}，到期日{date}。",
    ),
    "yue": (
        "{bank}{branch}{date}{time}就收工，唔好遲到。",
        "{rate}，手續費{amount}已經 waive 咗，ref：{ref}。",
        "客人有{count}，儲咗{points}。",
        "張 statement {date}出咗，最低還{amount}，{date}之前要還。",
    ),
}

_SLOT = re.compile(r"\{(\w+)\}")


def template_count() -> int:
    """Number of distinct templates (context templates and fillers)."""
    return sum(len(t) for t in TEMPLATES.values()) + sum(len(t) for t in FILLERS.values())


def _render(
    rng: random.Random, template: str, lang: str, offset: int
) -> tuple[str, list[Span], list[Span]]:
    """Fill a template's slots; spans are positioned ``offset`` characters into the document."""
    parts: list[str] = []
    spans: list[Span] = []
    distractors: list[Span] = []
    pos, cursor = offset, 0
    for match in _SLOT.finditer(template):
        literal = template[cursor : match.start()]
        parts.append(literal)
        pos += len(literal)
        kind, generate = SLOTS[match.group(1)]
        value = generate(rng, lang)
        parts.append(value)
        span = Span(pos, pos + len(value), kind, value)
        (spans if isinstance(kind, EntityType) else distractors).append(span)
        pos += len(value)
        cursor = match.end()
    parts.append(template[cursor:])
    return "".join(parts), spans, distractors


def generate_doc(rng: random.Random, doc_id: str) -> Doc:
    """One document: 1-3 templates of a random context and language, sometimes a filler."""
    language = rng.choices(LANGUAGES, weights=(4, 3, 3))[0]
    context = rng.choice(CONTEXTS)
    pool = TEMPLATES[(context, language)]
    chosen = rng.sample(pool, rng.choice((1, 2, 2, 3)))
    if rng.random() < 0.3:
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(FILLERS[language]))
    joiner = " " if language == "en" else ""
    text, spans, distractors = "", [], []
    for template in chosen:
        if text:
            text += joiner
        piece, piece_spans, piece_distractors = _render(rng, template, language, len(text))
        text += piece
        spans += piece_spans
        distractors += piece_distractors
    for span in spans + distractors:
        assert text[span.start : span.end] == span.value, (doc_id, span)
    return Doc(doc_id, language, context, text, spans, distractors)


def generate_corpus(seed: int = 11, n_docs: int = 1500) -> list[Doc]:
    """The benchmark corpus: ``n_docs`` documents, identical for the same seed."""
    rng = random.Random(seed)
    return [generate_doc(rng, f"pii-{i:05d}") for i in range(n_docs)]
