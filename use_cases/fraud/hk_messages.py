"""Synthetic Hong Kong scam / ham message corpus (English, Traditional Chinese, Cantonese).

The corpus is built from *families*: one family is one scenario (for example "fake HKeToll
unpaid toll" or "genuine bank one-time password"), written as several distinct surface
templates per language and filled with rich, Hong Kong specific slot values (HK$ amounts,
+852 numbers, districts, lookalike URLs, parcel ids, HKIDs with valid check digits ...).

Scam classifiers are meant to be trained on some families and evaluated on *whole*
held-out families (see :func:`split_by_family`), so that the score measures
generalisation to unseen scam typologies rather than memorisation of templates.

Languages:

* ``"en"``: English, as used in HK SMS / chat.
* ``"zh-Hant"``: written Traditional Chinese (書面語).
* ``"yue"``: colloquial written Cantonese (咗 / 嘅 / 唔 / 喺 ...), with some English
  code-mixing ("你個account已經被freeze咗").

Every personal identifier inserted into a message (names, phone numbers, HKIDs, account and
card numbers, FPS ids, emails, policy numbers, vehicle plates) is synthetic and is recorded
verbatim in the ``pii_values`` column, so privacy tests can check that redaction removes
all of them.

All randomness comes from ``random.Random`` instances seeded from the ``seed`` argument;
the global random state is never touched.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from sandbox.privacy.checksums import hkid_check_digit

__all__ = [
    "FAMILIES",
    "HAM",
    "LANGUAGES",
    "SCAM",
    "MessageFamily",
    "generate_hk_messages",
    "split_by_family",
]

LANGUAGES: tuple[str, ...] = ("en", "zh-Hant", "yue")
"""Supported language codes: English, written Traditional Chinese, colloquial Cantonese."""

SCAM: int = 1
"""Label of scam messages."""

HAM: int = 0
"""Label of legitimate (ham) messages."""

COLUMNS: tuple[str, ...] = ("text", "label", "language", "family", "topic", "pii_values")
"""Columns of the frame returned by :func:`generate_hk_messages`."""

_MAX_ATTEMPTS = 30  # re-draws per message to avoid exact duplicates within a family/language


@dataclass(frozen=True)
class MessageFamily:
    """One scenario of the corpus, with templates in one or more languages.

    Attributes:
        id: Stable identifier, ``"scam.<name>"`` or ``"ham.<name>"``.
        label: 1 for scam, 0 for ham.
        topic: Coarse typology shared by related families (e.g. ``"bank_impersonation"``).
        templates: Language code -> templates with ``{slot}`` placeholders. A slot name may
            end in digits (``{name2}``) to draw a second, independent value of that slot.
        description: One-line human description of the scenario.
        fixed: Record kind -> record token, to pin the impersonated brand of a family (e.g.
            ``{"courier": "hkpost"}`` so every message of the family is about Hongkong Post).
    """

    id: str
    label: int
    topic: str
    templates: Mapping[str, Sequence[str]] = field(hash=False)
    description: str = ""
    fixed: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Validate the family and freeze its mappings."""
        if self.label not in (SCAM, HAM):
            raise ValueError(f"{self.id}: label must be 0 or 1, got {self.label!r}")
        prefix = "scam." if self.label == SCAM else "ham."
        if not self.id.startswith(prefix):
            raise ValueError(f"{self.id}: id must start with {prefix!r}")
        unknown = set(self.templates) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"{self.id}: unknown languages {sorted(unknown)}")
        frozen = {lang: tuple(ts) for lang, ts in self.templates.items() if ts}
        if not frozen:
            raise ValueError(f"{self.id}: no templates")
        object.__setattr__(self, "templates", MappingProxyType(frozen))
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages this family has templates for, in :data:`LANGUAGES` order."""
        return tuple(lang for lang in LANGUAGES if self.templates.get(lang))


# ---------------------------------------------------------------------------------------------
# Slot machinery
# ---------------------------------------------------------------------------------------------

Pool = Mapping[str, Sequence[str]]
Record = Mapping[str, str]


def _tri(en: Sequence[str], zh: Sequence[str], yue: Sequence[str] | None = None) -> Pool:
    """Build a language -> values pool; Cantonese falls back to written Chinese."""
    return {"en": tuple(en), "zh-Hant": tuple(zh), "yue": tuple(yue if yue is not None else zh)}


class _Ctx:
    """Rendering context for one message: RNG, language, cached slot values and PII."""

    def __init__(self, rng: random.Random, lang: str, fixed: Mapping[str, str]) -> None:
        self.rng = rng
        self.lang = lang
        self.fixed = fixed
        self.values: dict[str, str] = {}
        self.records: dict[str, Record] = {}
        self.pii: list[str] = []

    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def text(self, pool: Pool) -> str:
        return self.pick(pool[self.lang])

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(n))

    def alnum(self, n: int) -> str:
        chars = string.ascii_letters + string.digits
        return "".join(chars[self.rng.randrange(len(chars))] for _ in range(n))

    def add_pii(self, value: str) -> str:
        if value not in self.pii:
            self.pii.append(value)
        return value

    def record(self, kind: str, table: Sequence[Record], key: str = "") -> Record:
        cache_key = f"{kind}#{key}"
        if cache_key not in self.records:
            token = self.fixed.get(kind)
            if token is None:
                rec = table[self.rng.randrange(len(table))]
            else:
                rec = next(r for r in table if r["token"] == token)
            self.records[cache_key] = rec
        return self.records[cache_key]

    def loc(self, rec: Record, name: str) -> str:
        suffix = {"en": "en", "zh-Hant": "zh", "yue": "yue"}[self.lang]
        return rec.get(f"{name}_{suffix}") or rec.get(f"{name}_zh") or rec[f"{name}_en"]

    def slot(self, name: str) -> str:
        if name not in self.values:
            match = _SLOT_RE.match(name)
            if match is None or match.group(1) not in _SLOTS:
                raise KeyError(f"unknown slot {{{name}}}")
            self.values[name] = _SLOTS[match.group(1)](self, match.group(2))
        return self.values[name]


_SLOT_RE = re.compile(r"^([a-z_]*[a-z])(\d*)$")
_FORMATTER = string.Formatter()
SlotFn = Callable[[_Ctx, str], str]
_SLOTS: dict[str, SlotFn] = {}


def _slot(name: str) -> Callable[[SlotFn], SlotFn]:
    def register(fn: SlotFn) -> SlotFn:
        _SLOTS[name] = fn
        return fn

    return register


def _pool_slot(name: str, pool: Pool) -> None:
    _SLOTS[name] = lambda ctx, _key: ctx.text(pool)


def _render(template: str, ctx: _Ctx) -> str:
    parts: list[str] = []
    for literal, field_name, _spec, _conv in _FORMATTER.parse(template):
        parts.append(literal)
        if field_name is not None:
            parts.append(ctx.slot(field_name))
    return "".join(parts)


def _template_slots(template: str) -> list[str]:
    return [f for _, f, _, _ in _FORMATTER.parse(template) if f is not None]


# ---------------------------------------------------------------------------------------------
# People and personal identifiers (all synthetic)
# ---------------------------------------------------------------------------------------------

_SURNAMES: tuple[tuple[str, str], ...] = (
    ("陳", "Chan"), ("李", "Lee"), ("張", "Cheung"), ("黃", "Wong"), ("何", "Ho"),
    ("林", "Lam"), ("吳", "Ng"), ("劉", "Lau"), ("蔡", "Choi"), ("鄭", "Cheng"),
    ("梁", "Leung"), ("謝", "Tse"), ("曾", "Tsang"), ("羅", "Law"), ("周", "Chow"),
    ("馮", "Fung"), ("郭", "Kwok"), ("麥", "Mak"), ("胡", "Wu"), ("袁", "Yuen"),
    ("鄧", "Tang"), ("許", "Hui"), ("徐", "Tsui"), ("蘇", "So"), ("葉", "Yip"),
)  # fmt: skip
_GIVEN_CHARS: tuple[tuple[str, str], ...] = (
    ("大", "Tai"), ("文", "Man"), ("小", "Siu"), ("明", "Ming"), ("家", "Ka"),
    ("欣", "Yan"), ("嘉", "Ka"), ("偉", "Wai"), ("志", "Chi"), ("強", "Keung"),
    ("美", "Mei"), ("玲", "Ling"), ("淑", "Suk"), ("儀", "Yee"), ("俊", "Chun"),
    ("傑", "Kit"), ("詠", "Wing"), ("詩", "Sze"), ("子", "Tsz"), ("健", "Kin"),
    ("浩", "Ho"), ("敏", "Man"), ("婷", "Ting"), ("雅", "Nga"), ("國", "Kwok"),
    ("華", "Wah"), ("寶", "Po"), ("麗", "Lai"), ("芷", "Tsz"), ("朗", "Long"),
)  # fmt: skip
_ENGLISH_GIVEN: tuple[str, ...] = (
    "Peter", "Mary", "Kelvin", "Winnie", "Ivan", "Karen", "Jason", "Cherry", "Ken", "Vivian",
    "Alan", "Joyce", "Eric", "Cathy", "Raymond", "Gigi", "Wilson", "Fiona", "Derek", "Queenie",
)  # fmt: skip
_FOREIGN_NAMES: tuple[str, ...] = (
    "James Williams", "Michael Anderson", "David Miller", "Robert Johnson", "Daniel Smith",
    "Mark Wilson", "Richard Brown", "Thomas Clarke", "Kevin Morgan", "Steven Hughes",
)  # fmt: skip
_EMAIL_DOMAINS = ("gmail.com", "yahoo.com.hk", "hotmail.com", "netvigator.com", "outlook.com")


def _person(ctx: _Ctx, key: str) -> Record:
    cache_key = f"person#{key}"
    if cache_key not in ctx.records:
        rng = ctx.rng
        surname = _SURNAMES[rng.randrange(len(_SURNAMES))]
        g1 = _GIVEN_CHARS[rng.randrange(len(_GIVEN_CHARS))]
        g2 = _GIVEN_CHARS[rng.randrange(len(_GIVEN_CHARS))]
        ctx.records[cache_key] = {
            "sur_zh": surname[0],
            "sur_en": surname[1],
            "given_zh": g1[0] + g2[0],
            "given_en": f"{g1[1]} {g2[1]}",
            "english": _ENGLISH_GIVEN[rng.randrange(len(_ENGLISH_GIVEN))],
            "female": "1" if rng.random() < 0.5 else "",
        }
    return ctx.records[cache_key]


@_slot("name")
def _name(ctx: _Ctx, key: str) -> str:
    p = _person(ctx, key)
    if ctx.lang == "en":
        style = ctx.rng.randrange(4)
        value = [
            f"{p['sur_en']} {p['given_en']}",
            f"{p['english']} {p['sur_en']}",
            f"{p['sur_en'].upper()} {p['given_en']}",
            f"{p['english']} {p['sur_en']} {p['given_en']}",
        ][style]
    else:
        value = p["sur_zh"] + p["given_zh"]
    return ctx.add_pii(value)


@_slot("first_name")
def _first_name(ctx: _Ctx, key: str) -> str:
    p = _person(ctx, key)
    if ctx.lang == "en":
        value = p["english"] if ctx.rng.random() < 0.6 else p["given_en"]
    elif ctx.lang == "yue" and ctx.rng.random() < 0.5:
        value = "阿" + p["given_zh"][-1]
    else:
        value = p["given_zh"]
    return ctx.add_pii(value)


@_slot("title_name")
def _title_name(ctx: _Ctx, key: str) -> str:
    p = _person(ctx, key)
    female = bool(p["female"])
    if ctx.lang == "en":
        title = ctx.pick(("Ms", "Miss", "Mrs")) if female else ctx.pick(("Mr", "Mr."))
        value = f"{title} {p['sur_en']}"
    elif ctx.lang == "zh-Hant":
        value = p["sur_zh"] + (ctx.pick(("小姐", "女士")) if female else "先生")
    else:
        value = p["sur_zh"] + (ctx.pick(("小姐", "太")) if female else ctx.pick(("生", "先生")))
    return ctx.add_pii(value)


@_slot("doctor")
def _doctor(ctx: _Ctx, key: str) -> str:
    p = _person(ctx, "doctor" + key)
    value = f"Dr {p['sur_en']}" if ctx.lang == "en" else p["sur_zh"] + "醫生"
    return ctx.add_pii(value)


@_slot("foreign_name")
def _foreign_name(ctx: _Ctx, _key: str) -> str:
    title = ctx.pick(("", "", "Dr. ", "Captain ", "Engineer "))
    return ctx.add_pii(title + ctx.pick(_FOREIGN_NAMES))


@_slot("email")
def _email(ctx: _Ctx, key: str) -> str:
    p = _person(ctx, key)
    local = ctx.pick(
        (
            f"{p['english'].lower()}.{p['sur_en'].lower()}",
            f"{p['sur_en'].lower()}{p['given_en'].replace(' ', '').lower()}",
            f"{p['english'].lower()}{p['sur_en'].lower()}{ctx.digits(2)}",
        )
    )
    return ctx.add_pii(f"{local}@{ctx.pick(_EMAIL_DOMAINS)}")


def _mobile_digits(ctx: _Ctx) -> str:
    return ctx.pick("569") + ctx.digits(7)


def _format_phone(ctx: _Ctx, d: str) -> str:
    style = ctx.rng.randrange(5)
    return [
        f"+852 {d[:4]} {d[4:]}",
        f"{d[:4]} {d[4:]}",
        d,
        f"+852{d}",
        f"{d[:4]}-{d[4:]}",
    ][style]


@_slot("mobile")
def _mobile(ctx: _Ctx, _key: str) -> str:
    return ctx.add_pii(_format_phone(ctx, _mobile_digits(ctx)))


@_slot("landline")
def _landline(ctx: _Ctx, _key: str) -> str:
    return ctx.add_pii(_format_phone(ctx, ctx.pick("23") + ctx.digits(7)))


_SLOTS["hotline"] = _landline


@_slot("wa_link")
def _wa_link(ctx: _Ctx, _key: str) -> str:
    number = ctx.add_pii("852" + _mobile_digits(ctx))
    return ctx.pick(("wa.me/", "https://wa.me/", "https://api.whatsapp.com/send?phone=")) + number


@_slot("hkid")
def _hkid(ctx: _Ctx, _key: str) -> str:
    letters = "ABCDEGHKMPRVYZ"
    prefix = ctx.pick(letters) if ctx.rng.random() < 0.9 else ctx.pick(("XA", "XB", "WX", "XD"))
    digits = ctx.digits(6)
    check = hkid_check_digit(prefix, digits)
    value = f"{prefix}{digits}({check})" if ctx.rng.random() < 0.8 else f"{prefix}{digits}{check}"
    return ctx.add_pii(value)


@_slot("account")
def _account(ctx: _Ctx, _key: str) -> str:
    style = ctx.rng.randrange(4)
    value = [
        f"{ctx.digits(3)}-{ctx.digits(6)}-{ctx.digits(3)}",
        f"{ctx.digits(3)}-{ctx.digits(1)}-{ctx.digits(6)}",
        f"{ctx.digits(3)}-{ctx.digits(3)}-{ctx.digits(1)}-{ctx.digits(6)}",
        ctx.pick("0123456789") + ctx.digits(11),
    ][style]
    return ctx.add_pii(value)


@_slot("account_masked")
def _account_masked(ctx: _Ctx, _key: str) -> str:
    tail = ctx.digits(4)
    return ctx.add_pii(ctx.pick(("****", "xxx-xxx", "*", "XXXXXX")) + tail)


@_slot("card")
def _card(ctx: _Ctx, _key: str) -> str:
    tail = ctx.digits(4)
    return ctx.add_pii(ctx.pick(("****", "x", "*", "XXXX-XXXX-XXXX-")) + tail)


@_slot("fps_id")
def _fps_id(ctx: _Ctx, _key: str) -> str:
    return ctx.add_pii("1" + ctx.digits(8) if ctx.rng.random() < 0.7 else "1" + ctx.digits(6))


@_slot("policy_no")
def _policy_no(ctx: _Ctx, _key: str) -> str:
    return ctx.add_pii(ctx.pick(("P", "L", "HK", "TRV")) + ctx.digits(9))


@_slot("plate")
def _plate(ctx: _Ctx, _key: str) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    number = str(ctx.rng.randrange(1, 9999))
    sep = ctx.pick((" ", "", " "))
    return ctx.add_pii(f"{ctx.pick(letters)}{ctx.pick(letters)}{sep}{number}")


# ---------------------------------------------------------------------------------------------
# Money, dates, numbers, references
# ---------------------------------------------------------------------------------------------

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _money(ctx: _Ctx, value: float, cents: bool) -> str:
    whole = f"{value:,.0f}"
    exact = f"{value:,.2f}"
    if ctx.lang == "en":
        return ctx.pick((f"HK${exact}", f"HKD {whole}", f"HK${whole}", f"HKD{exact}", f"${exact}"))
    if ctx.lang == "zh-Hant":
        return ctx.pick((f"港幣{whole}元", f"HK${exact}", f"HKD {whole}", f"港幣{exact}元"))
    options = [f"${whole}", f"HK${whole}", f"港幣{whole}"]
    if not cents:
        options += [f"{whole}蚊", f"{whole}蚊"]
    return ctx.pick(options)


def _money_slot(low: float, high: float, step: float, cents_p: float) -> SlotFn:
    def gen(ctx: _Ctx, _key: str) -> str:
        n_steps = int((high - low) / step)
        value = low + step * ctx.rng.randint(0, n_steps)
        cents = ctx.rng.random() < cents_p
        if cents:
            value += ctx.pick((0.5, 0.8, 0.3, 0.9, 0.0))
        return _money(ctx, value, cents)

    return gen


_SLOTS["amount"] = _money_slot(120, 9_800, 10, 0.3)
_SLOTS["fee"] = _money_slot(8, 98, 1, 0.6)
_SLOTS["small_amount"] = _money_slot(15, 480, 1, 0.3)
_SLOTS["big_amount"] = _money_slot(20_000, 880_000, 500, 0.0)
_SLOTS["salary"] = _money_slot(300, 2_000, 50, 0.0)
_SLOTS["toll"] = _money_slot(8, 650, 1, 0.5)


@_slot("date")
def _date(ctx: _Ctx, _key: str) -> str:
    year = ctx.pick(("2024", "2025", "2025"))
    month = ctx.rng.randrange(12)
    day = ctx.rng.randint(1, _DAYS_IN_MONTH[month])
    m = month + 1
    if ctx.lang == "en":
        name = _MONTHS_EN[month]
        return ctx.pick(
            (
                f"{day} {name[:3]} {year}",
                f"{day:02d}/{m:02d}/{year}",
                f"{day} {name}",
                f"{day}-{name[:3]}",
            )
        )
    if ctx.lang == "zh-Hant":
        return ctx.pick((f"{year}年{m}月{day}日", f"{m}月{day}日", f"{day}/{m}/{year}"))
    return ctx.pick((f"{m}月{day}號", f"{day}/{m}", f"{m}月{day}日"))


@_slot("month")
def _month(ctx: _Ctx, _key: str) -> str:
    year = ctx.pick(("2024", "2025"))
    month = ctx.rng.randrange(12)
    if ctx.lang == "en":
        return ctx.pick((f"{_MONTHS_EN[month]} {year}", f"{_MONTHS_EN[month][:3]} {year}"))
    if ctx.lang == "zh-Hant":
        return f"{year}年{month + 1}月"
    return ctx.pick((f"{month + 1}月", f"{year}年{month + 1}月"))


def _clock(ctx: _Ctx, hour: int, minute: int) -> str:
    h12 = hour - 12 if hour > 12 else hour
    if ctx.lang == "en":
        ampm = "am" if hour < 12 else "pm"
        return ctx.pick(
            (
                f"{hour:02d}:{minute:02d}",
                f"{h12}:{minute:02d}{ampm}",
                f"{h12}:{minute:02d} {ampm.upper()}",
            )
        )
    if ctx.lang == "zh-Hant":
        part = "上午" if hour < 12 else ("下午" if hour < 18 else "晚上")
        return ctx.pick((f"{hour:02d}:{minute:02d}", f"{part}{h12}時{minute:02d}分"))
    part = "朝早" if hour < 12 else ("下晝" if hour < 18 else "夜晚")
    clock = f"{h12}點半" if minute == 30 else (f"{h12}點" if minute == 0 else f"{h12}點{minute}分")
    return ctx.pick((f"{hour:02d}:{minute:02d}", part + clock))


@_slot("time")
def _time(ctx: _Ctx, _key: str) -> str:
    return _clock(ctx, ctx.rng.randint(7, 23), 5 * ctx.rng.randrange(12))


@_slot("evening")
def _evening(ctx: _Ctx, _key: str) -> str:
    return _clock(ctx, ctx.rng.randint(18, 21), 15 * ctx.rng.randrange(4))


def _choice_slot(values: Sequence[str]) -> SlotFn:
    return lambda ctx, _key: ctx.pick(values)


_SLOTS["hours"] = _choice_slot(("2", "3", "6", "12", "24", "48", "72"))
_SLOTS["count"] = _choice_slot(tuple(str(i) for i in range(2, 13)))
_SLOTS["quarter"] = _choice_slot(("1", "2", "3", "4"))
_SLOTS["data_gb"] = _choice_slot(("10", "20", "30", "50", "100", "200"))
_SLOTS["tax_year"] = _choice_slot(("2022/23", "2023/24", "2024/25"))
_SLOTS["birth_year"] = _choice_slot(tuple(str(y) for y in range(1965, 1991)))
_SLOTS["loan_rate"] = _choice_slot(("0.1%", "0.18%", "0.25%", "0.38%", "0.5%", "0.68%"))
_SLOTS["percent"] = _choice_slot(
    ("3%", "5%", "8%", "8.8%", "10%", "12%", "15%", "18%", "20%", "25%", "30%", "45%")
)


@_slot("points")
def _points(ctx: _Ctx, _key: str) -> str:
    return f"{ctx.rng.randrange(1_000, 96_000, 50):,}"


@_slot("otp")
def _otp(ctx: _Ctx, _key: str) -> str:
    return ctx.digits(6)


@_slot("short_code")
def _short_code(ctx: _Ctx, _key: str) -> str:
    return ctx.pick("1234567") + ctx.digits(3)


@_slot("ref")
def _ref(ctx: _Ctx, _key: str) -> str:
    style = ctx.rng.randrange(3)
    return [
        "FP" + ctx.pick(("2024", "2025")) + ctx.digits(10),
        "REF" + ctx.alnum(8).upper(),
        "TXN" + ctx.digits(10),
    ][style]


@_slot("case_no")
def _case_no(ctx: _Ctx, _key: str) -> str:
    style = ctx.rng.randrange(4)
    return [
        f"GZ-{ctx.pick(('2024', '2025'))}-{ctx.digits(5)}",
        f"AML/{ctx.digits(4)}/{ctx.pick(('24', '25'))}",
        f"CR{ctx.digits(5)}/{ctx.pick(('24', '25'))}",
        f"SZPSB{ctx.digits(6)}",
    ][style]


@_slot("order_no")
def _order_no(ctx: _Ctx, _key: str) -> str:
    # At least 10 digits, so an order number never looks like an 8-digit HK phone number.
    return ctx.pick(("HK", "#", "2025", "SO")) + ctx.digits(ctx.rng.randint(10, 12))


@_slot("stock")
def _stock(ctx: _Ctx, _key: str) -> str:
    code = ctx.pick(("0", "0", "8")) + ctx.digits(4)
    names = _tri(
        ("Golden Dragon Holdings", "Asia Pacific New Energy", "HK Smart Tech", "Pearl River Bio",
         "Victory Harbour Group", "Sun Rise Semiconductor"),
        ("金龍控股", "亞太新能源", "香港智能科技", "珠江生物", "維港集團", "旭日半導體"),
    )  # fmt: skip
    name = ctx.text(names)
    return f"{name} ({code})" if ctx.lang == "en" else f"{name}（{code}）"


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------

_URL_WORDS = (
    "verify", "secure", "login", "update", "service", "support", "auth", "online", "pay",
    "hk", "account", "check", "portal", "center", "help", "web", "app", "safe",
)  # fmt: skip
_URL_TLDS = (
    "com", "net", "top", "xyz", "cc", "info", "vip", "online", "site", "shop", "live", "icu",
    "co", "me", "link", "club", "asia",
)  # fmt: skip
_SHORTENERS = ("bit.ly", "tinyurl.com", "t.ly", "is.gd", "rb.gy", "cutt.ly", "s.id")


def _scam_url(ctx: _Ctx, token: str) -> str:
    if ctx.rng.random() < 0.22:
        return f"{ctx.pick(('https://', '', 'http://'))}{ctx.pick(_SHORTENERS)}/{ctx.alnum(7)}"
    word = ctx.pick(_URL_WORDS)
    tld = ctx.pick(_URL_TLDS)
    path = ctx.pick(
        ("", "", "/login", "/verify", "/hk", "/pay", "/m", "/index.html", f"/?id={ctx.digits(6)}",
         f"/s/{ctx.alnum(5)}", "/zh-hk", f"/{ctx.alnum(4).lower()}")
    )  # fmt: skip
    style = ctx.rng.randrange(7)
    host = [
        f"{token}-{word}.{tld}",
        f"{token}{word}.{tld}",
        f"{word}-{token}.{tld}",
        f"{token}.com.hk-{word}.{tld}",
        f"{token}-hk.{tld}",
        f"{token}-hk{ctx.digits(2)}.{tld}",
        f"www.{token}-{word}-hk.{tld}",
    ][style]
    scheme = ctx.pick(("https://", "http://", "", "https://"))
    return f"{scheme}{host}{path}"


def _official_url(ctx: _Ctx, domain: str) -> str:
    return ctx.pick((domain, domain, f"https://{domain}", domain.removeprefix("www.")))


# ---------------------------------------------------------------------------------------------
# Brand / institution records
# ---------------------------------------------------------------------------------------------

_BANKS: tuple[Record, ...] = (
    {"token": "hsbc", "name_en": "HSBC", "name_zh": "滙豐", "name_yue": "滙豐",
     "domain": "www.hsbc.com.hk", "app_en": "HSBC HK App", "sender": "#HSBC"},
    {"token": "hangseng", "name_en": "Hang Seng Bank", "name_zh": "恒生銀行", "name_yue": "恒生",
     "domain": "www.hangseng.com", "app_en": "Hang Seng Personal Banking app",
     "app_zh": "恒生個人流動理財", "sender": "#HangSeng"},
    {"token": "bochk", "name_en": "Bank of China (Hong Kong)", "name_zh": "中國銀行（香港）",
     "name_yue": "中銀", "domain": "www.bochk.com", "app_en": "BOCHK Mobile Banking",
     "app_zh": "中銀香港手機銀行", "sender": "#BOCHK"},
    {"token": "sc", "name_en": "Standard Chartered", "name_zh": "渣打銀行", "name_yue": "渣打",
     "domain": "www.sc.com/hk", "app_en": "SC Mobile app", "sender": "#StanChart"},
    {"token": "hkbea", "name_en": "BEA", "name_zh": "東亞銀行", "name_yue": "東亞",
     "domain": "www.hkbea.com", "app_en": "BEA App", "sender": "#BEA"},
    {"token": "dbs", "name_en": "DBS Bank (Hong Kong)", "name_zh": "星展銀行（香港）",
     "name_yue": "星展", "domain": "www.dbs.com.hk", "app_en": "DBS digibank HK",
     "sender": "#DBS"},
    {"token": "citibank", "name_en": "Citibank", "name_zh": "花旗銀行", "name_yue": "花旗",
     "domain": "www.citibank.com.hk", "app_en": "Citi Mobile App", "sender": "#Citibank"},
    {"token": "zabank", "name_en": "ZA Bank", "name_zh": "眾安銀行", "name_yue": "ZA Bank",
     "domain": "bank.za.group", "app_en": "ZA Bank app", "sender": "#ZABank"},
    {"token": "mox", "name_en": "Mox", "name_zh": "Mox Bank", "name_yue": "Mox",
     "domain": "mox.com", "app_en": "Mox app", "sender": "#Mox"},
    {"token": "dahsing", "name_en": "Dah Sing Bank", "name_zh": "大新銀行", "name_yue": "大新",
     "domain": "www.dahsing.com", "app_en": "Dah Sing Mobile Banking",
     "app_zh": "大新流動銀行", "sender": "#DahSing"},
)  # fmt: skip

_COURIERS: tuple[Record, ...] = (
    {"token": "sf", "name_en": "SF Express", "name_zh": "順豐速運", "name_yue": "順豐",
     "domain": "www.sf-express.com", "parcel": "SF"},
    {"token": "hkpost", "name_en": "Hongkong Post", "name_zh": "香港郵政",
     "name_yue": "香港郵政", "domain": "www.hongkongpost.hk", "parcel": "POST"},
    {"token": "kerry", "name_en": "Kerry Express", "name_zh": "嘉里快遞", "name_yue": "嘉里",
     "domain": "hk.kerryexpress.com", "parcel": "KE"},
    {"token": "dhl", "name_en": "DHL Express", "name_zh": "DHL", "name_yue": "DHL",
     "domain": "www.dhl.com/hk-en", "parcel": "DHL"},
    {"token": "cainiao", "name_en": "Cainiao", "name_zh": "菜鳥", "name_yue": "菜鳥",
     "domain": "global.cainiao.com", "parcel": "CN"},
)  # fmt: skip

_TELCOS: tuple[Record, ...] = (
    {"token": "csl", "name_en": "csl", "name_zh": "csl", "domain": "www.hkcsl.com"},
    {"token": "1010", "name_en": "1O1O", "name_zh": "1O1O", "domain": "www.1010.com.hk"},
    {"token": "smartone", "name_en": "SmarTone", "name_zh": "數碼通", "domain": "www.smartone.com"},
    {"token": "three", "name_en": "3HK", "name_zh": "3香港", "domain": "www.three.com.hk"},
    {"token": "cmhk", "name_en": "China Mobile Hong Kong", "name_zh": "中國移動香港",
     "name_yue": "中移動", "domain": "www.hk.chinamobile.com"},
    {"token": "clubsim", "name_en": "Club SIM", "name_zh": "Club SIM",
     "domain": "www.clubsim.com.hk"},
    {"token": "hkbn", "name_en": "HKBN", "name_zh": "香港寬頻", "domain": "www.hkbn.net"},
)  # fmt: skip

_STREAMS: tuple[Record, ...] = (
    {"token": "netflix", "name_en": "Netflix", "domain": "www.netflix.com"},
    {"token": "disneyplus", "name_en": "Disney+", "domain": "www.disneyplus.com"},
    {"token": "spotify", "name_en": "Spotify", "domain": "www.spotify.com"},
    {"token": "mytvsuper", "name_en": "myTV SUPER", "domain": "www.mytvsuper.com"},
    {"token": "viu", "name_en": "Viu", "domain": "www.viu.com"},
    {"token": "youtube", "name_en": "YouTube Premium", "domain": "www.youtube.com"},
    {"token": "icloud", "name_en": "Apple iCloud+", "name_zh": "Apple iCloud+",
     "domain": "www.apple.com/hk"},
)  # fmt: skip

_SHOPS: tuple[Record, ...] = (
    {"token": "hktvmall", "name_en": "HKTVmall", "name_zh": "HKTVmall",
     "domain": "www.hktvmall.com"},
    {"token": "taobao", "name_en": "Taobao", "name_zh": "淘寶", "domain": "world.taobao.com"},
    {"token": "amazon", "name_en": "Amazon", "name_zh": "Amazon", "domain": "www.amazon.com"},
    {"token": "shopee", "name_en": "Shopee", "name_zh": "蝦皮購物", "name_yue": "蝦皮",
     "domain": "shopee.com"},
    {"token": "carousell", "name_en": "Carousell", "name_zh": "旋轉拍賣", "name_yue": "Carousell",
     "domain": "www.carousell.com.hk"},
    {"token": "pricehk", "name_en": "Price.com.hk", "name_zh": "格價網",
     "domain": "www.price.com.hk"},
    {"token": "fortress", "name_en": "Fortress", "name_zh": "豐澤",
     "domain": "www.fortress.com.hk"},
)  # fmt: skip

_GOVS: tuple[Record, ...] = (
    {"token": "hkma", "domain": "www.hkma.gov.hk"},
    {"token": "police", "domain": "www.police.gov.hk"},
    {"token": "immd", "domain": "www.immd.gov.hk"},
    {"token": "dh", "domain": "www.dh.gov.hk"},
    {"token": "judiciary", "domain": "www.judiciary.hk"},
    {"token": "govhk", "domain": "www.gov.hk"},
    {"token": "ird", "domain": "www.ird.gov.hk"},
    {"token": "swd", "domain": "www.swd.gov.hk"},
    {"token": "hko", "domain": "www.hko.gov.hk"},
)  # fmt: skip
_GOV_SCAM_TOKENS: Mapping[str, tuple[str, ...]] = {
    "hkma": ("hkma", "hkma-gov", "hkma.gov-hk"),
    "police": ("hkpolice", "police-gov", "mps-cn", "gzgab"),
    "immd": ("immd", "immd-gov", "hk-immd"),
    "dh": ("dh-gov", "healthhk", "dh"),
    "judiciary": ("judiciary", "hkcourt", "judiciary-hk"),
    "govhk": ("govhk", "gov-hk", "hk-gov", "govhk-subsidy"),
    "ird": ("ird", "ird-gov", "etax", "etax-hk", "gov-hk-ird"),
    "swd": ("swd", "swd-gov", "hk-swd"),
    "hko": ("hko", "hko-gov"),
}
_TOLLS: tuple[Record, ...] = (
    {"token": "hketoll", "domain": "www.hketoll.gov.hk",
     "scam": "hketoll|hk-etoll|etoll|td-hketoll"},
    {"token": "autotoll", "domain": "www.autotoll.com.hk", "scam": "autotoll|autotol|autotoll-hk"},
)  # fmt: skip


def _record_slots(kind: str, table: Sequence[Record], scam_tokens: bool = True) -> None:
    def name(ctx: _Ctx, key: str) -> str:
        return ctx.loc(ctx.record(kind, table, key), "name")

    def site(ctx: _Ctx, key: str) -> str:
        return _official_url(ctx, ctx.record(kind, table, key)["domain"])

    def link(ctx: _Ctx, key: str) -> str:
        return _scam_url(ctx, ctx.record(kind, table, key)["token"])

    if "name_en" in table[0]:
        _SLOTS[kind] = name
    _SLOTS[f"{kind}_site"] = site
    if scam_tokens:
        _SLOTS[f"{kind}_link"] = link


_record_slots("bank", _BANKS)
_record_slots("courier", _COURIERS)
_record_slots("telco", _TELCOS)
_record_slots("stream", _STREAMS)
_record_slots("shop", _SHOPS)
_record_slots("gov", _GOVS, scam_tokens=False)
_record_slots("toll", _TOLLS, scam_tokens=False)


@_slot("gov_link")
def _gov_link(ctx: _Ctx, key: str) -> str:
    rec = ctx.record("gov", _GOVS, key)
    return _scam_url(ctx, ctx.pick(_GOV_SCAM_TOKENS[rec["token"]]))


@_slot("toll_link")
def _toll_link(ctx: _Ctx, key: str) -> str:
    rec = ctx.record("toll", _TOLLS, key)
    return _scam_url(ctx, ctx.pick(rec["scam"].split("|")))


@_slot("bank_app")
def _bank_app(ctx: _Ctx, key: str) -> str:
    return ctx.loc(ctx.record("bank", _BANKS, key), "app")


@_slot("bank_sender")
def _bank_sender(ctx: _Ctx, key: str) -> str:
    return ctx.record("bank", _BANKS, key)["sender"]


@_slot("parcel")
def _parcel(ctx: _Ctx, key: str) -> str:
    kind = ctx.record("courier", _COURIERS, key)["parcel"]
    if kind == "SF":
        return "SF" + ctx.digits(13)
    if kind == "POST":
        return ctx.pick(("EE", "RR", "LP", "CP", "LZ")) + ctx.digits(9) + "HK"
    if kind == "KE":
        return "KE" + ctx.digits(10)
    if kind == "DHL":
        return ctx.digits(10)
    return "LP" + ctx.digits(14)


def _link_slot(tokens: Sequence[str]) -> SlotFn:
    return lambda ctx, _key: _scam_url(ctx, ctx.pick(tokens))


_SLOTS["invest_link"] = _link_slot(
    ("hkcoinpro", "bitwin-hk", "asiagold-fx", "dragoncapital", "hkex-vip", "aiquant", "coinhk88")
)
_SLOTS["job_link"] = _link_slot(("hk-parttime", "easyjob-hk", "taskhub", "clickearn", "hkjobs88"))
_SLOTS["loan_link"] = _link_slot(("fastloan-hk", "easycash", "credit-hk", "loan88", "quickmoney"))
_SLOTS["prize_link"] = _link_slot(("lucky-draw", "prize-hk", "reward", "gift-claim", "winner"))
_SLOTS["vote_link"] = _link_slot(("vote-contest", "dance-vote", "hkvote", "kidsvote"))


# ---------------------------------------------------------------------------------------------
# Plain value pools
# ---------------------------------------------------------------------------------------------

_pool_slot("district", _tri(
    ("Mong Kok", "Sha Tin", "Tsuen Wan", "Kwun Tong", "Causeway Bay", "Tuen Mun", "Yuen Long",
     "Tai Po", "Tseung Kwan O", "Central", "Wan Chai", "Sham Shui Po", "Tsim Sha Tsui",
     "North Point", "Kowloon Bay", "Tung Chung", "Ma On Shan", "Sai Ying Pun"),
    ("旺角", "沙田", "荃灣", "觀塘", "銅鑼灣", "屯門", "元朗", "大埔", "將軍澳", "中環", "灣仔",
     "深水埗", "尖沙咀", "北角", "九龍灣", "東涌", "馬鞍山", "西營盤"),
))  # fmt: skip
_pool_slot("merchant", _tri(
    ("PARKnSHOP", "Wellcome", "7-Eleven", "Circle K", "Fortress", "Watsons", "Mannings",
     "McDonald's", "Starbucks", "IKEA", "UNIQLO", "Cathay Pacific", "HKTVmall", "Apple.com/HK",
     "Uber", "Broadway", "Tsui Wah"),
    ("百佳", "惠康", "7-Eleven", "OK便利店", "豐澤", "屈臣氏", "萬寧", "麥當勞", "Starbucks",
     "宜家家居", "UNIQLO", "國泰航空", "HKTVmall", "百老匯", "翠華餐廳"),
))  # fmt: skip
_pool_slot("relative", _tri(
    ("your nephew", "your cousin", "your old classmate", "your godson", "your ex-colleague",
     "your niece", "your old neighbour"),
    ("你的表姪", "你的表弟", "你的舊同學", "你的契仔", "你以前的同事", "你的外甥", "你以前的鄰居"),
    ("你表姪", "你表弟", "你舊同學", "你契仔", "你以前個同事", "你外甥", "你以前嘅鄰居"),
))  # fmt: skip
_pool_slot("reason", _tri(
    ("I hit a car and the owner wants to settle privately",
     "I'm at the police station and need bail",
     "my business deal needs a deposit today", "I got caught gambling in Macau",
     "the hospital needs a deposit for my mum's surgery", "I owe money to some bad people"),
    ("我撞了車，車主要私了", "我在警署需要保釋金", "生意要即日付訂金", "我在澳門賭錢被抓",
     "醫院要我先付媽媽的手術按金", "我欠了別人錢，對方很兇"),
    ("我撞咗車，車主要私了", "我喺差館要保釋金", "盤生意今日要俾訂", "我喺澳門賭錢俾人捉咗",
     "醫院要我即刻俾阿媽做手術嘅按金", "我欠咗人錢，班人好惡"),
))  # fmt: skip
_pool_slot("task", _tri(
    ("liking YouTube videos", "rating hotels on an app", "following online shops",
     "writing map reviews", "boosting product orders", "watching short videos"),
    ("為YouTube影片點讚", "在應用程式為酒店評分", "關注網店", "撰寫地圖評論", "為產品刷單",
     "觀看短片"),
    ("幫YouTube片俾like", "喺app度幫酒店評分", "follow網店", "寫地圖評論", "幫產品刷單",
     "睇短片"),
))  # fmt: skip
_pool_slot("profession", _tri(
    ("surgeon with the UN in Syria", "offshore oil rig engineer", "US army doctor in Yemen",
     "cargo ship captain", "architect working in Dubai", "petroleum engineer in Qatar"),
    ("在敘利亞服務的聯合國外科醫生", "海上鑽油台工程師", "駐也門的美軍醫生", "貨輪船長",
     "在杜拜工作的建築師", "在卡塔爾的石油工程師"),
    ("喺敘利亞嘅聯合國外科醫生", "海上鑽油台工程師", "駐也門嘅美軍醫生", "貨輪船長",
     "喺杜拜返工嘅建築師", "喺卡塔爾嘅石油工程師"),
))  # fmt: skip
_pool_slot("gift", _tri(
    ("a Rolex watch, an iPhone and US$50,000 cash", "gold jewellery and a designer handbag",
     "a laptop and US$80,000 in cash", "diamond rings and family heirlooms"),
    ("勞力士手錶、iPhone及五萬美元現金", "金飾及名牌手袋", "手提電腦及八萬美元現金",
     "鑽石戒指及傳家寶"),
))  # fmt: skip
_pool_slot("prize", _tri(
    ("an iPhone 16 Pro", "a Tesla Model 3", "HK$50,000 cash", "2 return tickets to Tokyo",
     "a Dyson bundle", "a PS5 console"),
    ("iPhone 16 Pro一部", "Tesla Model 3一輛", "現金港幣五萬元", "東京來回機票兩張",
     "Dyson套裝", "PS5遊戲機"),
))  # fmt: skip
_pool_slot(
    "coin",
    _tri(("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB"), ("比特幣", "以太幣", "SOL", "XRP", "狗狗幣")),
)
_pool_slot("group", _tri(
    ("HK Stock Masters", "Golden Bull Club", "Wealth Growth Class 88", "Asia Value Investors",
     "Smart Money HK"),
    ("港股致富群", "金牛投資俱樂部", "財富增值88班", "亞洲價值投資交流群", "聰明錢香港"),
))  # fmt: skip
_pool_slot("food", _tri(
    ("hotpot", "dim sum", "Thai food", "ramen", "sushi", "Korean BBQ", "cha chaan teng",
     "roast goose", "claypot rice", "dai pai dong"),
    ("火鍋", "點心", "泰國菜", "拉麵", "壽司", "韓燒", "茶餐廳", "燒鵝", "煲仔飯", "大排檔"),
    ("打邊爐", "飲茶", "泰國嘢", "拉麵", "壽司", "韓燒", "茶記", "燒鵝", "煲仔飯", "大牌檔"),
))  # fmt: skip
_pool_slot("restaurant", _tri(
    ("Lung Kee Seafood", "Golden Bauhinia Restaurant", "Tai Hing", "Ho Hung Kee",
     "Sun Kee Noodles", "Jade Garden", "Maxim's Palace"),
    ("龍記海鮮", "金紫荊酒家", "太興", "何洪記", "新記麵家", "翠園", "美心皇宮"),
))  # fmt: skip
_pool_slot("fps_memo", _tri(
    ("dinner", "rent Mar", "thx!", "hotpot AA", "birthday gift", "concert tix", "lunch"),
    ("晚飯", "三月租金", "多謝", "火鍋費用", "生日禮物", "演唱會門票", "午飯"),
    ("食飯錢", "三月租", "唔該晒", "打邊爐夾錢", "生日禮物", "飛錢", "晏晝飯"),
))  # fmt: skip
_pool_slot("clinic", _tri(
    ("Harmony Family Clinic", "Central Dental Centre", "Wellness Physio Centre",
     "Kowloon Medical Centre", "Bright Eye Clinic", "Sunshine Paediatrics"),
    ("和諧家庭醫生診所", "中環牙科中心", "康健物理治療中心", "九龍醫務中心", "明眸眼科診所",
     "陽光兒科診所"),
))  # fmt: skip
_pool_slot("hospital", _tri(
    ("Queen Mary Hospital", "Prince of Wales Hospital", "Queen Elizabeth Hospital",
     "Tuen Mun Hospital", "Pamela Youde Nethersole Eastern Hospital", "Caritas Medical Centre"),
    ("瑪麗醫院", "威爾斯親王醫院", "伊利沙伯醫院", "屯門醫院", "東區尤德夫人那打素醫院",
     "明愛醫院"),
))  # fmt: skip
_pool_slot("signal", _tri(
    ("Typhoon Signal No. 8", "Black Rainstorm Warning", "Amber Rainstorm Warning",
     "Very Hot Weather Warning", "Cold Weather Warning", "Thunderstorm Warning",
     "Strong Monsoon Signal"),
    ("八號烈風或暴風信號", "黑色暴雨警告信號", "黃色暴雨警告信號", "酷熱天氣警告",
     "寒冷天氣警告", "雷暴警告", "強烈季候風信號"),
    ("八號風球", "黑雨", "黃雨", "酷熱天氣警告", "寒冷天氣警告", "雷暴警告", "強烈季候風信號"),
))  # fmt: skip
_pool_slot("utility", _tri(
    ("CLP Power", "HK Electric", "Towngas", "Water Supplies Department"),
    ("中電", "港燈", "煤氣公司", "水務署"),
))  # fmt: skip
_pool_slot("insurer", _tri(
    ("AIA", "Prudential", "Manulife", "FWD", "AXA", "Bupa", "Zurich", "Blue Cross"),
    ("友邦", "保誠", "宏利", "富衛", "安盛", "保柏", "蘇黎世", "藍十字"),
))  # fmt: skip
_pool_slot("country", _tri(
    ("Japan", "Korea", "Taiwan", "Mainland China", "Thailand", "the UK", "Singapore"),
    ("日本", "韓國", "台灣", "內地", "泰國", "英國", "新加坡"),
))  # fmt: skip
_pool_slot("tunnel", _tri(
    ("Western Harbour Crossing", "Cross-Harbour Tunnel", "Eastern Harbour Crossing",
     "Tai Lam Tunnel", "Lion Rock Tunnel", "Aberdeen Tunnel", "Tate's Cairn Tunnel"),
    ("西區海底隧道", "紅磡海底隧道", "東區海底隧道", "大欖隧道", "獅子山隧道", "香港仔隧道",
     "大老山隧道"),
    ("西隧", "紅隧", "東隧", "大欖隧道", "獅隧", "香港仔隧道", "大老山隧道"),
))  # fmt: skip
_pool_slot("estate", _tri(
    ("Taikoo Shing", "Mei Foo Sun Chuen", "City One Shatin", "Kingswood Villas", "Laguna City",
     "Whampoa Garden"),
    ("太古城", "美孚新邨", "沙田第一城", "嘉湖山莊", "麗港城", "黃埔花園"),
))  # fmt: skip
_pool_slot("school", _tri(
    ("Tak Sun Primary School", "Ying Wa Kindergarten", "Po Leung Kuk Primary School",
     "Tung Wah Kindergarten", "Holy Angels Primary School"),
    ("德信小學", "英華幼稚園", "保良局小學", "東華三院幼稚園", "聖天使小學"),
))  # fmt: skip
_pool_slot("hi", _tri(
    ("Hi", "Hello", "Hey", "Hi there", "Dear customer"),
    ("你好", "您好", "Hi", "親愛的用戶"),
    ("Hi", "喂", "你好", "哈囉"),
))  # fmt: skip
_pool_slot(
    "emoji", _tri(("", "", " 🙏", " 😊", "!!", " 🙂", " 😉"), ("", "", "🙏", "😊", "！！", "🙂"))
)


# ---------------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------------


def _family(
    family_id: str,
    topic: str,
    description: str,
    *,
    en: Sequence[str] = (),
    zh: Sequence[str] = (),
    yue: Sequence[str] = (),
    fixed: Mapping[str, str] | None = None,
) -> MessageFamily:
    label = SCAM if family_id.startswith("scam.") else HAM
    templates = {"en": tuple(en), "zh-Hant": tuple(zh), "yue": tuple(yue)}
    return MessageFamily(
        id=family_id,
        label=label,
        topic=topic,
        templates={k: v for k, v in templates.items() if v},
        description=description,
        fixed=dict(fixed or {}),
    )


_SCAM_FAMILIES: tuple[MessageFamily, ...] = (
    _family(
        "scam.bank_account_frozen",
        "bank_impersonation",
        "Fake bank alert: account frozen / suspended, verify identity at a lookalike link.",
        en=[
            (
                "[{bank}] Your account has been temporarily frozen due to incomplete identity "
                "verification. Please verify within {hours} hours at {bank_link} to avoid "
                "permanent suspension."
            ),
            (
                "{bank} Notice: We detected irregular activity and your account {account_masked} "
                "is now RESTRICTED. Restore access: {bank_link}"
            ),
            (
                "Dear {bank} customer, your online banking will be suspended on {date} unless you "
                "update your HKID details. Update now: {bank_link}"
            ),
            (
                "ALERT from {bank}: account frozen under new HKMA rules. Re-activate by confirming "
                "your details at {bank_link} before {time} today."
            ),
        ],
        zh=[
            (
                "【{bank}】您的賬戶因身份資料未完成核實已被暫時凍結，請於{hours}小時內登入 "
                "{bank_link} 完成驗證，否則賬戶將被永久停用。"
            ),
            (
                "{bank}通知：系統偵測到異常操作，您的賬戶{account_masked}已被限制使用，請立即前往 "
                "{bank_link} 解除限制。"
            ),
            (
                "尊敬的{bank}客戶，根據金管局最新規定，您須於{date}前更新身份證資料，"
                "逾期網上理財服務將被暫停。更新連結：{bank_link}"
            ),
            (
                "【{bank}】閣下賬戶存在安全風險，現已凍結。請於今日{time}前點擊 {bank_link} "
                "重新啟用並確認個人資料。"
            ),
        ],
        yue=[
            (
                "【{bank}】你個account已經被freeze咗，因為身份資料未核實。"
                "請喺{hours}個鐘內click呢條link驗證：{bank_link}"
            ),
            (
                "{bank}提提你：你嘅戶口有異常操作，而家暫時用唔到。即刻去 {bank_link} 解鎖，"
                "唔係就會永久凍結。"
            ),
            (
                "{bank}客戶你好，你嘅網上理財{date}之後會停用，要update身份證資料先可以繼續用："
                "{bank_link}"
            ),
            (
                "你嘅{bank}戶口{account_masked}俾系統鎖咗，快啲入 {bank_link} 重新啟動啦，"
                "過咗今日{time}就冇得再用。"
            ),
        ],
    ),
    _family(
        "scam.bank_unusual_login",
        "bank_impersonation",
        "Fake bank alert: unusual login / new device / new payee, cancel via a link.",
        en=[
            (
                "{bank}: A new device (iPhone 15, {district}) signed in to your account at {time}. "
                "If this was not you, secure your account at {bank_link}"
            ),
            (
                "Security alert: unusual login attempt to your {bank} Internet Banking from "
                "Shenzhen on {date}. Not you? Cancel it here {bank_link}"
            ),
            (
                "{bank} ALERT: Someone tried to add a new payee to your account. Visit {bank_link} "
                "within {hours} hours to block the request."
            ),
            (
                "We noticed a sign-in to your {bank} account from an unrecognised browser at "
                "{time}. Confirm your identity to keep access: {bank_link}"
            ),
        ],
        zh=[
            (
                "{bank}安全提示：您的網上銀行於{date} {time}在新裝置登入。如非本人操作，請即前往 "
                "{bank_link} 鎖定賬戶。"
            ),
            (
                "【{bank}】系統偵測到您的賬戶於{date}在深圳有異常登入嘗試，如非本人，請點擊 "
                "{bank_link} 取消。"
            ),
            (
                "{bank}通知：有人嘗試為您的賬戶新增收款人。如非本人操作，請於{hours}小時內登入 "
                "{bank_link} 攔截。"
            ),
            "您的{bank}賬戶於{time}在陌生瀏覽器登入，為保障資金安全，請立即核實身份：{bank_link}",
        ],
        yue=[
            (
                "{bank}：頭先{time}有部新手機喺{district}登入咗你個戶口，如果唔係你，快啲去 "
                "{bank_link} 鎖咗佢。"
            ),
            (
                "喂你嘅{bank} account {date}喺深圳有人試過login，唔係你嘅話即刻click {bank_link} "
                "cancel。"
            ),
            (
                "{bank}安全提示：有人想喺你戶口加新收款人，唔係你做嘅請{hours}個鐘內入 {bank_link} "
                "截停。"
            ),
            "你{bank}個網銀{time}俾陌生瀏覽器登入過，要verify返身份先用得：{bank_link}",
        ],
    ),
    _family(
        "scam.bank_card_call_hotline",
        "bank_impersonation",
        "Fake card-centre alert asking the victim to call a fake hotline (vishing, no link).",
        en=[
            (
                "{bank} Card Centre: a transaction of {amount} at {merchant} on your card {card} "
                "is pending. If you did not authorise it, call {hotline} immediately."
            ),
            (
                "Your {bank} credit card {card} has been suspended due to suspected fraud. Please "
                "call our verification officer at {mobile} to reactivate it."
            ),
            (
                "URGENT: {amount} overseas charge detected on card {card}. To dispute, speak to "
                "the {bank} Fraud Team on {hotline} before {time}."
            ),
            (
                "{bank}: your card {card} will be cancelled on {date} due to a risk review. Press "
                "1 or call {hotline} to speak to an officer."
            ),
        ],
        zh=[
            (
                "{bank}信用卡中心：您的信用卡{card}於{date}在{merchant}有一筆{amount}的交易待確認，"
                "如非本人簽賬，請即致電{hotline}。"
            ),
            "您的{bank}信用卡{card}因涉嫌盜用已被暫停，請盡快致電核實專員{mobile}重新啟用。",
            (
                "【緊急】您的信用卡{card}出現一筆{amount}的海外消費，如需申請退款，"
                "請於今日{time}前聯絡{bank}反詐騙組：{hotline}。"
            ),
            "{bank}：因風險審查，您的信用卡{card}將於{date}註銷，請按1或致電{hotline}與職員聯絡。",
        ],
        yue=[
            (
                "{bank}信用卡中心：你張卡{card}喺{merchant}有單{amount}嘅簽賬等緊確認，"
                "唔係你簽嘅話即刻打{hotline}。"
            ),
            (
                "你張{bank}信用卡{card}懷疑俾人盜用，已經停咗，"
                "打俾我哋核實專員{mobile}先可以重新開返。"
            ),
            (
                "急！你張卡{card}啱啱喺海外碌咗{amount}，"
                "想退返要喺{time}前打{hotline}搵{bank}反詐騙組。"
            ),
            "{bank}：你張卡{card}因為風險審查{date}會cancel，按1或者打{hotline}搵職員。",
        ],
    ),
    _family(
        "scam.card_points_expiry",
        "bank_impersonation",
        "Fake credit-card reward points expiry, redeem at a phishing link.",
        en=[
            (
                "{bank}: Your {points} credit card reward points will expire on {date}. Redeem for "
                "cash rebate now: {bank_link}"
            ),
            (
                "Reminder: {points} bonus points on card {card} expire tonight. Exchange them for "
                "{amount} supermarket vouchers at {bank_link}"
            ),
            (
                "{bank} Rewards: you have {points} unclaimed points worth {amount}. Claim before "
                "{date}: {bank_link}"
            ),
            (
                "Last chance! Your {bank} points ({points}) can be converted to Asia Miles until "
                "{time} today: {bank_link}"
            ),
        ],
        zh=[
            "【{bank}】您的信用卡積分{points}分將於{date}到期，請即登入 {bank_link} 兌換現金回贈。",
            (
                "溫馨提示：您信用卡{card}的{points}分獎賞積分將於今晚過期，可於 {bank_link} "
                "兌換價值{amount}的超市禮券。"
            ),
            (
                "{bank}積分計劃：您尚有{points}分未領取，價值{amount}，請於{date}前前往 "
                "{bank_link} 領取。"
            ),
            "最後機會！您的{bank}積分（{points}分）可於今日{time}前兌換亞洲萬里通里數：{bank_link}",
        ],
        yue=[
            "{bank}：你張信用卡有{points}分積分{date}就過期喇，快啲入 {bank_link} 換現金回贈啦！",
            "提提你，你張卡{card}嘅{points}分今晚過期，可以喺 {bank_link} 換{amount}超市禮券。",
            "你仲有{points}分{bank}積分未用，值{amount}，{date}前入 {bank_link} 換咗佢啦。",
            "最後機會！你啲{bank}積分（{points}分）今日{time}前可以換里數：{bank_link}",
        ],
    ),
    _family(
        "scam.fps_safe_account",
        "payment_redirect",
        "Fake bank security officer tells victim to move savings to a 'safe account' via FPS.",
        en=[
            (
                "This is {bank} Security Department. Your savings are at risk because your account "
                "was used by a fraud syndicate. To protect them, transfer {big_amount} via FPS to "
                "our safe custody account {account} now. Do not tell the branch staff."
            ),
            (
                "Officer {title_name} ({bank} Risk Control): please move all funds to the "
                "temporary safe account {account} by FPS within {hours} hours. The money will be "
                "returned after the investigation."
            ),
            (
                "Your FPS ID is linked to a money laundering case. Transfer the balance to the "
                "protected account {account} (FPS ID {fps_id}) so we can verify the funds are "
                "clean."
            ),
            (
                "{bank} Anti-Fraud Unit: hackers have your password. Keep this call confidential "
                "and transfer {big_amount} to the secure account {account} before {time}."
            ),
        ],
        zh=[
            (
                "這是{bank}保安部。您的賬戶已被詐騙集團利用，為保障存款安全，"
                "請立即透過轉數快將{big_amount}轉至本行監管賬戶{account}，切勿告知分行職員。"
            ),
            (
                "{bank}風險管理部{title_name}通知："
                "請於{hours}小時內以轉數快把全部資金轉到臨時安全賬戶{account}，"
                "調查完成後將全數退還。"
            ),
            (
                "閣下的轉數快識別碼牽涉洗黑錢案件，請將結餘轉至受保護賬戶{account}（FPS ID："
                "{fps_id}），以便核實資金來源。"
            ),
            (
                "{bank}反詐騙組：黑客已取得您的密碼，請對此通話保密，"
                "並於{time}前將{big_amount}轉至安全賬戶{account}。"
            ),
        ],
        yue=[
            (
                "我哋係{bank}保安部，你個戶口俾騙徒集團用咗，為咗保障你啲錢，"
                "即刻用轉數快過{big_amount}去我哋嘅監管戶口{account}，千祈唔好同分行職員講。"
            ),
            (
                "我係{bank}風險管理部嘅{title_name}，"
                "你要喺{hours}個鐘內用FPS將所有錢轉去臨時安全戶口{account}，查完會全數還返俾你。"
            ),
            (
                "你個FPS ID涉及洗黑錢案，唔想戶口被凍結就過晒啲錢去受保護戶口{account}（FPS ID："
                "{fps_id}），等我哋核實吓啲錢乾唔乾淨。"
            ),
            (
                "{bank}反詐騙組：黑客攞咗你個密碼，今次通話唔好話俾人知，"
                "{time}前將{big_amount}轉去安全戶口{account}。"
            ),
        ],
    ),
    _family(
        "scam.hkma_officer",
        "official_impersonation",
        "Fake HKMA officer: account linked to money laundering, deposit for 'verification'.",
        en=[
            (
                "Hong Kong Monetary Authority notice: bank account {account} under your HKID "
                "{hkid} has been flagged for suspicious cross-border transfers. Contact officer "
                "{title_name} at {mobile} within {hours} hours."
            ),
            (
                "HKMA Compliance: your name appears on a money-laundering watch list. To clear "
                "your record, you must deposit {big_amount} into a supervised account for "
                "verification. Reference {case_no}."
            ),
            (
                "This is the HKMA Deposit Protection Unit. New regulations require all deposits "
                "over {amount} to be re-registered. Submit your online banking login at {gov_link} "
                "before {date}."
            ),
        ],
        zh=[
            (
                "香港金融管理局通知：閣下身份證號碼{hkid}名下的銀行賬戶{account}涉及可疑跨境轉賬，"
                "請於{hours}小時內致電{title_name}（{mobile}）跟進。"
            ),
            (
                "金管局合規部：閣下姓名已列入洗黑錢監察名單。如需澄清，"
                "須將{big_amount}存入監管賬戶作資金核查。案件編號：{case_no}。"
            ),
            (
                "金管局存款保障組：根據新規，所有超過{amount}的存款須重新登記，請於{date}前於 "
                "{gov_link} 提交網上理財登入資料。"
            ),
        ],
        yue=[
            (
                "金管局通知：你身份證{hkid}名下個戶口{account}有可疑跨境轉賬，"
                "{hours}個鐘內要打俾{title_name}（{mobile}）處理。"
            ),
            (
                "我係金管局合規部嘅{title_name}，你個名喺洗黑錢監察名單度，"
                "想清白就要存{big_amount}入監管戶口俾我哋核查，案件編號{case_no}。"
            ),
            (
                "金管局話新規例所有超過{amount}嘅存款都要重新登記，{date}前入 {gov_link} "
                "填返你網銀嘅登入資料。"
            ),
        ],
        fixed={"gov": "hkma"},
    ),
    _family(
        "scam.mainland_public_security",
        "official_impersonation",
        "'Mainland public security' scam: victim is a suspect, must keep secret and pay bail.",
        en=[
            (
                "Caller: This is the Guangzhou Public Security Bureau. A bank card opened with "
                "your HKID {hkid} was used in a fraud case. You must keep this strictly "
                "confidential.\nCaller: To prove your innocence, transfer {big_amount} to the "
                "supervision account {account} today."
            ),
            (
                "Mainland police notice: you are a suspect in case {case_no}. An arrest warrant "
                "will be issued unless you contact Officer {title_name} on {mobile} and cooperate "
                "with the asset check. Do not tell your family."
            ),
            (
                "Shenzhen Public Security Bureau: your identity was used to smuggle documents. "
                "Download the 'security check' app at {gov_link} and enter your bank OTP so we can "
                "freeze the criminal funds."
            ),
        ],
        zh=[
            (
                "來電：這裡是廣州市公安局，有人以您的身份證{hkid}在內地開立銀行卡並涉及詐騙案，"
                "此事必須絕對保密。\n來電：為證明清白，"
                "請於今日將{big_amount}轉入監管賬戶{account}。"
            ),
            (
                "內地公安通知：閣下涉及案件{case_no}，如不於今日聯絡{title_name}警官（{mobile}）"
                "配合資產審查，將被發出拘捕令，切勿向家人透露。"
            ),
            (
                "深圳市公安局：閣下身份被用作走私文件，請於 {gov_link} 下載「安全檢查」"
                "程式並輸入銀行一次性密碼，以便凍結犯罪資金。"
            ),
        ],
        yue=[
            (
                "來電：我哋係廣州公安局，有人用你身份證{hkid}喺大陸開咗張銀行卡做詐騙，"
                "呢件事你絕對唔可以話俾人知。\n來電：你想證明清白，"
                "今日就要轉{big_amount}去監管戶口{account}。"
            ),
            (
                "我係內地公安{title_name}，你涉及案件{case_no}，"
                "今日唔打{mobile}配合資產審查就會發拘捕令，唔好同屋企人講。"
            ),
            (
                "深圳公安話你個身份俾人用嚟走私文件，要你入 {gov_link} 裝個「安全檢查」app，"
                "再打埋銀行個OTP入去，等佢哋凍結啲黑錢。"
            ),
        ],
        fixed={"gov": "police"},
    ),
    _family(
        "scam.immigration_hkid",
        "official_impersonation",
        "Fake Immigration Department: HKID misuse / intercepted parcel with fake documents.",
        en=[
            (
                "Immigration Department: your identity card {hkid} has been reported for irregular "
                "use and will be invalidated on {date}. Call {landline} and press 9 to speak to an "
                "officer."
            ),
            (
                "ImmD notice: your entry record requires verification. Failure to respond within "
                "{hours} hours may lead to prosecution. Verify at {gov_link}"
            ),
            (
                "This is the Immigration Department. A parcel with fake documents under your name "
                "{name} was intercepted at the airport. Please contact {title_name} at {mobile} "
                "immediately."
            ),
        ],
        zh=[
            (
                "入境事務處：閣下身份證{hkid}被舉報涉及不當使用，將於{date}失效。"
                "請致電{landline}並按9與職員聯絡。"
            ),
            (
                "入境處通知：閣下的出入境記錄需要核實，如{hours}小時內未有回應，可能被檢控。請前往 "
                "{gov_link} 核實。"
            ),
            (
                "入境事務處：機場截獲一個以閣下姓名{name}寄出、內有偽造證件的包裹，"
                "請即聯絡{title_name}（{mobile}）。"
            ),
        ],
        yue=[
            "入境處：有人舉報你張身份證{hkid}被人亂用，{date}會失效，快啲打{landline}再按9搵職員。",
            (
                "入境處通知你，你啲出入境紀錄要核實，{hours}個鐘內唔回覆可能會被檢控，去 "
                "{gov_link} 搞掂佢。"
            ),
            (
                "我哋係入境處，機場截咗個寫住你個名{name}嘅包裹，入面有假證件，"
                "即刻打俾{title_name}（{mobile}）。"
            ),
        ],
        fixed={"gov": "immd"},
    ),
    _family(
        "scam.health_dept",
        "official_impersonation",
        "Fake Department of Health: seized drugs / insurance fraud, transfer to 'Mainland police'.",
        en=[
            (
                "Department of Health: a parcel of prescription drugs sent in your name {name} was "
                "seized. You must pay a fine of {amount} or face prosecution. Call {landline}."
            ),
            (
                "DH notice: your medical insurance record shows fraudulent claims. Press 1 to "
                "speak to a health officer or your HKID {hkid} will be blacklisted."
            ),
            (
                "Caller: Hello, this is the Department of Health. Our record shows you bought "
                "illegal slimming products online on {date}. I will transfer you to the Mainland "
                "police to assist the investigation."
            ),
        ],
        zh=[
            (
                "衞生署通知：以閣下姓名{name}寄出的一批處方藥物已被扣查，閣下須繳交罰款{amount}，"
                "否則將被檢控。請致電{landline}。"
            ),
            (
                "衞生署：閣下的醫療保險記錄顯示有虛假索償，如不即時按1與衞生主任聯絡，"
                "閣下身份證{hkid}將被列入黑名單。"
            ),
            (
                "來電：你好，這裡是衞生署。記錄顯示您曾於{date}在網上購買違禁減肥藥，"
                "現在為您轉駁至內地公安協助調查。"
            ),
        ],
        yue=[
            (
                "衞生署話有批用你個名{name}寄嘅處方藥俾人扣咗，要交{amount}罰款，唔交就告你，"
                "打{landline}處理。"
            ),
            (
                "衞生署錄音：你嘅醫療保險紀錄有虛假索償，唔即刻按1搵衞生主任，"
                "你身份證{hkid}就會上黑名單。"
            ),
            (
                "來電：喂你好，我哋係衞生署，紀錄顯示你{date}喺網上買過違禁減肥藥，"
                "而家幫你轉駁去內地公安協助調查。"
            ),
        ],
        fixed={"gov": "dh"},
    ),
    _family(
        "scam.court_summons",
        "official_impersonation",
        "Fake court / judiciary: unpaid fine or judgement, pay now to avoid asset freeze.",
        en=[
            (
                "High Court: you have an outstanding fine of {amount} (case {case_no}). Failure to "
                "pay by {date} will result in a court appearance. Pay now: {gov_link}"
            ),
            (
                "NOTICE OF SUMMONS: {name}, you are required to attend the Eastern Magistrates' "
                "Court regarding unpaid debts. To settle out of court, call {mobile}."
            ),
            (
                "Judiciary e-Notice: a judgement has been entered against HKID {hkid}. Settle "
                "{amount} within {hours} hours via {gov_link} to avoid an asset freeze."
            ),
        ],
        zh=[
            (
                "高等法院通知：閣下尚有未繳罰款{amount}（案件編號{case_no}），"
                "如於{date}前仍未繳付，須出庭應訊。立即繳付：{gov_link}"
            ),
            "傳票通知：{name}，閣下因欠款須到東區裁判法院應訊。如欲庭外和解，請致電{mobile}。",
            (
                "司法機構電子通知：已對身份證號碼{hkid}作出判決，請於{hours}小時內經 {gov_link} "
                "清繳{amount}，以免資產被凍結。"
            ),
        ],
        yue=[
            (
                "高等法院通知你有{amount}罰款未交（案件編號{case_no}），{date}前唔交就要上庭，"
                "即刻去 {gov_link} 交。"
            ),
            "{name}，你因為欠債要去東區裁判法院應訊，想庭外和解就打{mobile}。",
            (
                "司法機構通知：已經對你身份證{hkid}作出判決，{hours}個鐘內經 {gov_link} "
                "還{amount}，唔係就凍結你啲資產。"
            ),
        ],
        fixed={"gov": "judiciary"},
    ),
    _family(
        "scam.courier_customs_fee",
        "courier",
        "Fake courier: parcel held at customs, pay duty at a lookalike link.",
        en=[
            (
                "{courier}: Your parcel {parcel} is held at customs. Pay the import duty of {fee} "
                "at {courier_link} within {hours} hours or it will be returned."
            ),
            (
                "[{courier}] Parcel {parcel} could not be cleared. Outstanding customs fee: {fee}. "
                "Settle online: {courier_link}"
            ),
            (
                "Your shipment {parcel} requires a tax payment of {fee} before delivery on {date}. "
                "Pay securely: {courier_link}"
            ),
            (
                "{courier} notice: customs inspection completed for parcel {parcel}. Clearance fee "
                "{fee} unpaid. {courier_link}"
            ),
        ],
        zh=[
            (
                "{courier}：您的包裹{parcel}已被海關扣留，請於{hours}小時內到 {courier_link} "
                "繳付進口稅{fee}，否則將退回寄件人。"
            ),
            "【{courier}】包裹{parcel}未能清關，尚欠關稅{fee}，請於網上繳付：{courier_link}",
            "您的郵件{parcel}須先繳付稅款{fee}方可於{date}派送，安全付款連結：{courier_link}",
            "{courier}通知：包裹{parcel}已完成海關檢查，清關費{fee}尚未繳付。{courier_link}",
        ],
        yue=[
            (
                "{courier}：你個包裹{parcel}俾海關扣咗，要喺{hours}個鐘內上 {courier_link} "
                "俾{fee}關稅，唔係就退返俾寄件人。"
            ),
            "【{courier}】你嘅包裹{parcel}清唔到關，仲欠{fee}稅，click呢度俾錢：{courier_link}",
            "你個件{parcel}要交咗{fee}稅先可以{date}送到，喺度付款：{courier_link}",
            "{courier}話海關驗完你個包裹{parcel}，仲未俾{fee}清關費。{courier_link}",
        ],
    ),
    _family(
        "scam.courier_address_update",
        "courier",
        "Fake courier: failed delivery, update address and pay a small redelivery fee.",
        en=[
            (
                "{courier}: We attempted to deliver your package {parcel} today but the address is "
                "incomplete. Update it here: {courier_link}"
            ),
            (
                "Delivery failed for {parcel}. A redelivery fee of {fee} applies. Reschedule at "
                "{courier_link}"
            ),
            (
                "{courier}: your parcel is waiting at our {district} warehouse. Confirm your "
                "address and pay {fee} within {hours} hours: {courier_link}"
            ),
        ],
        zh=[
            "{courier}：您的包裹{parcel}今日派送失敗，地址資料不完整，請於此更新：{courier_link}",
            "包裹{parcel}派送不成功，須繳付重新派送費{fee}，請到 {courier_link} 重新預約。",
            (
                "{courier}：您的包裹正存放於{district}倉庫，請於{hours}小時內確認地址並繳付{fee}："
                "{courier_link}"
            ),
        ],
        yue=[
            "{courier}：今日送唔到你個包裹{parcel}，個地址唔齊，喺呢度update返：{courier_link}",
            "包裹{parcel}派唔到，要俾{fee}重新派送費，去 {courier_link} 再約過時間。",
            "{courier}話你件貨擺咗喺{district}倉，{hours}個鐘內確認地址同俾{fee}：{courier_link}",
        ],
        fixed={"courier": "sf"},
    ),
    _family(
        "scam.postal_insufficient_postage",
        "courier",
        "Fake Hongkong Post: insufficient postage / surcharge, pay to release the item.",
        en=[
            (
                "Hongkong Post: Your item {parcel} has insufficient postage. Pay the balance of "
                "{fee} at {courier_link} to release it."
            ),
            (
                "HKPost: your mail item could not be delivered because postage of {fee} is unpaid. "
                "The item will be destroyed on {date}. {courier_link}"
            ),
            (
                "Hongkong Post reminder: surcharge {fee} outstanding for registered mail {parcel}. "
                "Pay before {time}: {courier_link}"
            ),
        ],
        zh=[
            "香港郵政：您的郵件{parcel}郵資不足，請到 {courier_link} 補付{fee}以便派遞。",
            "香港郵政通知：您的郵件因欠郵資{fee}未能派遞，將於{date}銷毀。{courier_link}",
            "【香港郵政】掛號郵件{parcel}尚欠附加費{fee}，請於{time}前付款：{courier_link}",
        ],
        yue=[
            "香港郵政：你封信{parcel}郵費唔夠，去 {courier_link} 補{fee}先會派俾你。",
            "郵政局話你件郵件欠{fee}郵費派唔到，{date}就會銷毀，快啲入 {courier_link} 俾錢。",
            "【香港郵政】你個掛號件{parcel}仲欠{fee}附加費，{time}前俾埋佢：{courier_link}",
        ],
        fixed={"courier": "hkpost"},
    ),
    _family(
        "scam.toll_unpaid",
        "toll",
        "Fake HKeToll / Transport Department: unpaid tunnel toll, penalty, pay at a link.",
        en=[
            (
                "HKeToll: Your vehicle {plate} has an unpaid tunnel toll of {toll}. Pay by {date} "
                "to avoid a penalty of {fee}: {toll_link}"
            ),
            "[HKeToll] Final reminder: toll {toll} for {plate} is overdue. Settle now {toll_link}",
            (
                "Transport Department: outstanding HKeToll charges of {toll} detected for {plate}. "
                "Your vehicle licence may be suspended. Pay: {toll_link}"
            ),
        ],
        zh=[
            (
                "HKeToll：您的車輛{plate}有一筆隧道費{toll}尚未繳付，請於{date}前繳付，"
                "以免被罰款{fee}：{toll_link}"
            ),
            "【易通行】最後提示：車輛{plate}的隧道費{toll}已逾期，請即繳付：{toll_link}",
            (
                "運輸署：系統顯示車輛{plate}尚欠易通行收費{toll}，車輛牌照或被暫停，請繳費："
                "{toll_link}"
            ),
        ],
        yue=[
            "易通行：你架車{plate}仲欠{toll}隧道費，{date}前唔交要罰{fee}，快啲去 {toll_link} 交。",
            "【HKeToll】最後提提你，{plate}欠咗{toll}隧道費，即刻click {toll_link} 俾錢。",
            "運輸署話你架車{plate}仲欠易通行{toll}，唔交可能停你車牌，去呢度交：{toll_link}",
        ],
        fixed={"toll": "hketoll"},
    ),
    _family(
        "scam.autotoll_tag",
        "toll",
        "Fake Autotoll: tag deactivated / negative balance, re-enter card details.",
        en=[
            (
                "Autotoll: your tag for vehicle {plate} will be deactivated on {date} because the "
                "linked credit card was declined. Update payment details: {toll_link}"
            ),
            (
                "Autotoll notice: your account balance is negative ({toll}). Top up within {hours} "
                "hours at {toll_link} to keep using the tag."
            ),
            (
                "Dear Autotoll user, a system upgrade requires you to re-register the tag for "
                "{plate}. Enter your card details at {toll_link}"
            ),
        ],
        zh=[
            (
                "快易通：由於綁定的信用卡付款失敗，車輛{plate}的繳費器將於{date}停用，"
                "請更新付款資料：{toll_link}"
            ),
            (
                "快易通通知：您的賬戶結餘為負數（{toll}），請於{hours}小時內到 {toll_link} 增值，"
                "以免繳費器失效。"
            ),
            (
                "親愛的快易通用戶，因系統升級，您需要為車輛{plate}重新登記繳費器，請到 {toll_link} "
                "輸入信用卡資料。"
            ),
        ],
        yue=[
            (
                "快易通：你綁嘅信用卡過唔到數，{plate}個繳費器{date}會停用，去 {toll_link} "
                "update付款資料。"
            ),
            "快易通話你戶口負咗{toll}，{hours}個鐘內入 {toll_link} 增值，唔係個tag用唔到。",
            "快易通系統升級，要你幫{plate}重新登記個繳費器，入 {toll_link} 打返張信用卡資料。",
        ],
        fixed={"toll": "autotoll"},
    ),
    _family(
        "scam.tax_refund",
        "tax",
        "Fake IRD / GovHK tax refund, submit bank or card details at a link.",
        en=[
            (
                "Inland Revenue Department: you are eligible for a tax refund of {amount}. Submit "
                "your bank details at {gov_link} by {date} to receive it."
            ),
            (
                "IRD: your {tax_year} salaries tax overpayment of {amount} is ready for refund. "
                "Claim here {gov_link}"
            ),
            (
                "GovHK eTAX: refund {amount} pending. Verify your identity with your HKID and card "
                "number: {gov_link}"
            ),
        ],
        zh=[
            "稅務局：閣下可獲退稅{amount}，請於{date}前到 {gov_link} 提交銀行資料以便領取。",
            "稅務局通知：閣下{tax_year}年度多繳薪俸稅{amount}，可即時申請退還：{gov_link}",
            (
                "香港政府一站通：閣下有一筆{amount}退稅待處理，請以身份證及信用卡號碼核實身份："
                "{gov_link}"
            ),
        ],
        yue=[
            "稅局：你可以退稅{amount}，{date}前入 {gov_link} 填銀行資料就收到錢。",
            "稅務局話你{tax_year}年度多咗交{amount}薪俸稅，click {gov_link} 攞返。",
            "政府一站通：你有{amount}退稅等緊處理，用身份證同信用卡號碼verify：{gov_link}",
        ],
        fixed={"gov": "ird"},
    ),
    _family(
        "scam.investment_crypto",
        "investment",
        "Crypto investment scam: guaranteed daily returns, 'analyst', airdrop unlock fee.",
        en=[
            (
                "Earn {percent} daily with our AI crypto arbitrage bot! Zero risk, withdraw "
                "anytime. Start with {amount}: {invest_link}"
            ),
            (
                "Hi, I'm {first_name}, a Hong Kong crypto analyst. My students made {big_amount} "
                "last month trading {coin}. Join our VIP platform: {invest_link}"
            ),
            (
                "{coin} is about to explode. Deposit {amount} today and we guarantee {percent} "
                "profit in 7 days. Contact {wa_link}"
            ),
            (
                "Your {coin} wallet has received a {big_amount} airdrop. To withdraw, pay the "
                "unlocking gas fee of {fee} at {invest_link}"
            ),
        ],
        zh=[
            (
                "AI加密貨幣套利機械人，每日穩賺{percent}，零風險隨時提款！只需{amount}起："
                "{invest_link}"
            ),
            (
                "您好，我是香港加密貨幣分析師{first_name}，我的學員上月買賣{coin}賺了{big_amount}，"
                "歡迎加入VIP平台：{invest_link}"
            ),
            "{coin}即將暴升！今日存入{amount}，保證7天獲利{percent}。聯絡：{wa_link}",
            "您的{coin}錢包收到{big_amount}空投，提款前須繳付解鎖手續費{fee}：{invest_link}",
        ],
        yue=[
            "AI炒幣機械人日日穩賺{percent}，零風險隨時攞錢走！{amount}就入到場：{invest_link}",
            (
                "Hi，我係香港幣圈分析師{first_name}，我啲學生上個月炒{coin}賺咗{big_amount}，"
                "快啲加入我哋VIP平台：{invest_link}"
            ),
            "{coin}就快爆升！今日入{amount}，保證7日賺{percent}，WhatsApp搵我：{wa_link}",
            "你個{coin}錢包收到{big_amount}空投，要俾{fee}解鎖費先攞到錢：{invest_link}",
        ],
    ),
    _family(
        "scam.investment_stock_group",
        "investment",
        "WhatsApp 'stock teacher' group: insider tips, guaranteed IPO allocation.",
        en=[
            (
                "Welcome to the '{group}' WhatsApp group! Our teacher shares insider picks daily. "
                "Today's stock {stock} will rise {percent}. Reply 1 to receive the buy signal."
            ),
            (
                "{title_name}? Hi, I got your number from the stock investors' club. Our chief "
                "analyst is giving away a free insider tip on {stock} today. Add me on WhatsApp: "
                "{wa_link}"
            ),
            (
                "Insider news: {stock} will be acquired next week. Members who followed last time "
                "made {percent}. Open an account on our institutional app to get the allocation: "
                "{invest_link}"
            ),
            (
                "Institutional IPO allocation is now open to '{group}' members only. Minimum "
                "subscription {big_amount}, guaranteed listing gain {percent}. Register: "
                "{invest_link}"
            ),
        ],
        zh=[
            (
                "歡迎加入「{group}」WhatsApp群組！老師每日分享內幕股票，今日推介{stock}，"
                "預計升{percent}，回覆1即可獲取買入訊號。"
            ),
            (
                "{title_name}您好，我從股票投資會取得您的聯絡方法。"
                "我們首席分析師今日免費送出{stock}內幕消息，請加WhatsApp：{wa_link}"
            ),
            (
                "內幕消息：{stock}下星期將被收購，上次跟單的會員獲利{percent}。"
                "請於機構版應用程式開戶以獲配額：{invest_link}"
            ),
            (
                "機構新股配售現只開放予「{group}」會員，最低認購{big_amount}，"
                "保證上市獲利{percent}，登記：{invest_link}"
            ),
        ],
        yue=[
            (
                "歡迎入「{group}」WhatsApp群！老師日日派內幕貼士，今日揀{stock}，睇升{percent}，"
                "覆1就send買入訊號俾你。"
            ),
            (
                "{title_name}你好，我喺股票投資會攞到你電話，"
                "我哋首席分析師今日免費送{stock}內幕消息，加我WhatsApp：{wa_link}"
            ),
            (
                "內幕消息：{stock}下個禮拜會俾人收購，上次跟老師買嘅會員賺咗{percent}，"
                "喺我哋機構app開戶就有得分：{invest_link}"
            ),
            (
                "機構新股配售淨係開俾「{group}」會員，最少認購{big_amount}，"
                "保證一上市就賺{percent}，快啲登記：{invest_link}"
            ),
        ],
    ),
    _family(
        "scam.investment_guaranteed_fund",
        "investment",
        "Gold / forex / property fund with guaranteed fixed returns.",
        en=[
            (
                "Guaranteed {percent} monthly return on our gold trading fund, capital protected. "
                "Limited quota for Hong Kong residents. Call {mobile}."
            ),
            (
                "{first_name} from Global Wealth Partners: our forex managed account paid "
                "investors {big_amount} last quarter with no losses. Minimum {amount}. Details: "
                "{invest_link}"
            ),
            (
                "Retire early! Invest {amount} in our overseas property fund and receive fixed "
                "dividends of {percent} every month. Offer ends {date}: {invest_link}"
            ),
        ],
        zh=[
            "黃金交易基金保證每月回報{percent}，保本無風險，香港居民名額有限，請致電{mobile}。",
            (
                "環球財富夥伴{first_name}：我們的外匯代客操盤上季為投資者賺取{big_amount}，"
                "從未虧損，最低投資{amount}，詳情：{invest_link}"
            ),
            (
                "提早退休！投資{amount}於海外物業基金，每月固定派息{percent}，優惠於{date}截止："
                "{invest_link}"
            ),
        ],
        yue=[
            "黃金基金保證每個月有{percent}回報，保本冇風險，香港人名額有限，快啲打{mobile}。",
            (
                "我係環球財富嘅{first_name}，我哋外匯代客操盤上季幫客賺咗{big_amount}，從來冇蝕過，"
                "{amount}起：{invest_link}"
            ),
            (
                "想早啲退休？放{amount}落我哋海外物業基金，每個月穩收{percent}息，{date}截止："
                "{invest_link}"
            ),
        ],
    ),
    _family(
        "scam.romance_overseas",
        "romance",
        "Romance scam: overseas doctor / engineer lover needs money for a ticket or leave fee.",
        en=[
            (
                "My dear, I miss you so much. My salary as a {profession} is frozen until I finish "
                "this contract. Could you send {amount} for my flight ticket to Hong Kong? I will "
                "pay you back the day we meet."
            ),
            (
                "Honey, the army won't release my leave unless I pay a {amount} fee. You are the "
                "only one I trust. Please transfer to my agent's account {account}."
            ),
            (
                "Baby, I'm stuck at the airport in Istanbul. My cards were blocked. Please send "
                "{amount} by FPS to {mobile} so I can come to you. Don't tell anyone about us yet."
            ),
        ],
        zh=[
            (
                "親愛的，我好想你。我作為{profession}，工資要到合約完成才能發放，"
                "你可以先匯{amount}給我買機票來香港嗎？見面那天我一定還你。"
            ),
            (
                "寶貝，軍方要我繳付{amount}才批准休假，你是我唯一信任的人，"
                "請轉賬到我代理人的賬戶{account}。"
            ),
            (
                "親愛的，我被困在伊斯坦堡機場，信用卡全被凍結，請用轉數快匯{amount}到{mobile}，"
                "讓我可以來找你。我們的事暫時不要告訴別人。"
            ),
        ],
        yue=[
            (
                "BB，我好掛住你。我做{profession}，份糧要做完合約先出得，"
                "你可唔可以幫我過住{amount}買機票嚟香港？見到面一定還返俾你。"
            ),
            (
                "親愛嘅，軍隊話要我俾{amount}先批假，我淨係信得過你，"
                "幫我轉去我代理人個戶口{account}啦。"
            ),
            (
                "BB我喺伊斯坦堡機場困住咗，啲卡全部俾人凍結咗，用FPS過{amount}去{mobile}俾我，"
                "我就可以嚟搵你。我哋嘅事暫時唔好話俾人知住。"
            ),
        ],
    ),
    _family(
        "scam.romance_gift_customs",
        "romance",
        "Romance scam: gift parcel held at customs, pay clearance / anti-money-laundering fee.",
        en=[
            (
                "Customs clearance notice: a diplomatic parcel from {foreign_name} containing "
                "{gift} addressed to you is held at Hong Kong International Airport. Pay the "
                "clearance fee of {amount} to release it."
            ),
            (
                "Sweetheart, I've sent you a box with {gift}. The courier says you need to pay "
                "{amount} customs duty first. Please pay it, I'll reimburse you. Love, "
                "{foreign_name}"
            ),
            (
                "Global Diplomatic Courier: package for {name} declared as {gift}. "
                "Anti-money-laundering certificate fee {amount} required within {hours} hours. "
                "Contact agent {mobile}."
            ),
        ],
        zh=[
            (
                "海關清關通知：來自{foreign_name}寄給您的外交包裹（內有{gift}）"
                "現滯留於香港國際機場，請繳付清關費{amount}以便放行。"
            ),
            (
                "親愛的，我寄了一箱{gift}給你，快遞公司說你要先付{amount}關稅，請你先付，"
                "我之後還你。愛你的{foreign_name}"
            ),
            (
                "環球外交速遞：收件人{name}的包裹申報為{gift}，"
                "須於{hours}小時內繳付反洗錢證明書費用{amount}，請聯絡專員{mobile}。"
            ),
        ],
        yue=[
            (
                "海關清關通知：{foreign_name}寄俾你嘅外交包裹（入面有{gift}）而家卡咗喺機場，"
                "要俾{amount}清關費先放行。"
            ),
            (
                "BB，我寄咗一箱{gift}俾你，速遞公司話要你先俾{amount}關稅，你幫我俾住先，"
                "之後我還返俾你。{foreign_name}"
            ),
            (
                "環球外交速遞：收件人{name}個包裹申報係{gift}，"
                "{hours}個鐘內要交{amount}反洗錢證明費，搵專員{mobile}。"
            ),
        ],
    ),
    _family(
        "scam.guess_who_call",
        "guess_who",
        "'Guess who' (猜猜我是誰 / 估下我係邊個) call: fake relative or friend needs urgent money.",
        en=[
            (
                "Caller: Hey, guess who I am? Don't you recognise my voice?\nMe: Is that ... "
                "{first_name2}?\nCaller: Yes, it's me! I got a new number, {mobile}. Listen, "
                "{reason}, can you lend me {amount}? Please don't tell anyone."
            ),
            (
                "Caller: It's me, {relative}! I'm in trouble, {reason}. I need {amount} before "
                "{time}, please transfer to my friend's account {account}. Don't tell Mum."
            ),
            (
                "Caller: Guess who this is~ Haha, you forgot me already? Listen, {reason}, I need "
                "{amount} urgently. I'll pay you back next week, just FPS it to {mobile}."
            ),
        ],
        zh=[
            (
                "來電者：猜猜我是誰？聽不出我的聲音嗎？\n本人：是……{first_name2}嗎？\n"
                "來電者：對，是我！我換了新號碼{mobile}。{reason}，可以借我{amount}嗎？"
                "請不要告訴其他人。"
            ),
            (
                "來電者：是我，{relative}啊！我出事了，{reason}，需要在{time}前籌到{amount}，"
                "請轉到我朋友的賬戶{account}，不要告訴媽媽。"
            ),
            (
                "來電者：猜猜我是誰～哈哈，忘記我了嗎？{reason}，急需{amount}，下星期一定還你，"
                "請轉數快到{mobile}。"
            ),
        ],
        yue=[
            (
                "來電：估下我係邊個？認唔到我把聲咩？\n我：係咪……{first_name2}呀？\n"
                "來電：係呀係我呀！我換咗新號碼{mobile}。{reason}，借住{amount}俾我得唔得？"
                "唔好同人講呀。"
            ),
            (
                "來電：係我呀，{relative}呀！我出咗事，{reason}，{time}之前要搵到{amount}，"
                "幫我過落我朋友個戶口{account}，唔好話俾阿媽知。"
            ),
            (
                "來電：估下我係邊個～哈哈，唔記得我喇？{reason}，急住要{amount}，下個禮拜一定還你，"
                "FPS過去{mobile}得喇。"
            ),
        ],
    ),
    _family(
        "scam.friend_new_number",
        "guess_who",
        "Chat from a 'friend' with a new number asking to pay a supplier or buy gift cards.",
        en=[
            (
                "{hi}, it's {first_name}. This is my new number, my old phone broke. Please save "
                "it. Are you free? I need a small favour{emoji}"
            ),
            (
                "{hi}, I changed my number. Can you help me pay a supplier {amount} by FPS to "
                "{mobile}? My bank app is locked, I'll return it tonight."
            ),
            (
                "{hi} dear, new number here{emoji} Can you buy me 4 Apple gift cards of {amount} "
                "each and send me the codes? I'm in a meeting and can't talk. {first_name}"
            ),
        ],
        zh=[
            (
                "{hi}，我是{first_name}，這是我的新號碼，舊手機壞了，請儲存。你有空嗎？"
                "想請你幫個小忙{emoji}"
            ),
            (
                "{hi}，我換了號碼。可以幫我用轉數快付{amount}給供應商嗎？收款電話{mobile}，"
                "我的銀行程式被鎖了，今晚還你。"
            ),
            (
                "這是我的新號碼{emoji} 可以幫我買4張每張{amount}的Apple禮品卡，再把卡號發給我嗎？"
                "我在開會不方便說話。{first_name}"
            ),
        ],
        yue=[
            (
                "{hi}，我係{first_name}呀，呢個係我新號碼，舊電話壞咗，save低佢啦。你得唔得閒？"
                "想你幫個小忙{emoji}"
            ),
            (
                "{hi}，我轉咗號碼呀。可唔可以幫我FPS{amount}俾個供應商？電話係{mobile}，"
                "我個銀行app鎖咗，今晚還返俾你。"
            ),
            (
                "新號碼嚟㗎{emoji} 幫我買4張Apple禮品卡，每張{amount}，買完send啲code俾我吖，"
                "我開緊會唔方便講電話。{first_name}"
            ),
        ],
    ),
    _family(
        "scam.job_click_farming",
        "job",
        "Part-time 'click farming' job: likes, ratings, reviews with daily pay.",
        en=[
            (
                "Part-time job: earn {salary} a day from home by {task}. No experience needed, "
                "paid daily. Contact HR {first_name} on WhatsApp {wa_link}"
            ),
            (
                "{hi}, we are hiring online assistants for {shop}. Simple tasks: {task}. "
                "Commission HK$50-HK$500 per task. Reply YES to start."
            ),
            (
                "Flexible work for housewives and students! Earn {salary}/day {task}. Register at "
                "{job_link} and get a {fee} sign-up bonus."
            ),
            (
                "Recruitment: 30 minutes a day {task}, salary {salary}. Send your CV to {email} or "
                "WhatsApp {wa_link}"
            ),
        ],
        zh=[
            (
                "兼職招聘：在家{task}，日賺{salary}，無需經驗，即日出糧。"
                "請WhatsApp人事部{first_name}：{wa_link}"
            ),
            (
                "{hi}，我們正為{shop}招聘網上助理，工作簡單：{task}，每單佣金HK$50至HK$500，"
                "回覆YES即可開始。"
            ),
            "主婦學生彈性工作！{task}，日賺{salary}，於 {job_link} 登記即送{fee}迎新獎金。",
            "招聘：每日只需30分鐘{task}，薪金{salary}，請將履歷電郵至{email}或WhatsApp：{wa_link}",
        ],
        yue=[
            (
                "兼職請人！喺屋企{task}，一日搵{salary}，唔使經驗，日日出糧，"
                "WhatsApp人事部{first_name}：{wa_link}"
            ),
            "{hi}，我哋幫{shop}請網上助理，好簡單，{task}，每單有HK$50至HK$500佣金，覆YES就開工。",
            "師奶學生都啱！{task}，日賺{salary}，喺 {job_link} 登記仲送{fee}迎新獎金。",
            "請人：每日淨係{task}30分鐘，人工{salary}，CV send去{email}或者WhatsApp：{wa_link}",
        ],
    ),
    _family(
        "scam.job_task_prepay",
        "job",
        "Task scam second stage: top up to unlock 'combo orders' or withdraw commission.",
        en=[
            (
                "Task {count} completed! To unlock the next combo order with {percent} commission, "
                "please top up {amount} to the merchant account {account}. Principal will be "
                "returned with commission."
            ),
            (
                "Your task account shows a negative balance of {amount} due to a combo order. "
                "Deposit to reset, otherwise your earned commission {big_amount} will be frozen."
            ),
            (
                "Congratulations, you are upgraded to VIP task level. Pay the {fee} level-up "
                "deposit via {job_link} to withdraw your {amount} earnings."
            ),
        ],
        zh=[
            (
                "第{count}個任務已完成！如要解鎖下一張佣金{percent}的連單，"
                "請先充值{amount}到商戶賬戶{account}，本金連佣金將一併退還。"
            ),
            (
                "由於出現連單，您的任務賬戶結餘為負{amount}，請存款補回，"
                "否則已賺取的佣金{big_amount}將被凍結。"
            ),
            "恭喜您升級為VIP任務等級，請透過 {job_link} 繳付升級按金{fee}，即可提取{amount}收益。",
        ],
        yue=[
            (
                "第{count}單任務搞掂！想解鎖下一張有{percent}佣金嘅連單，"
                "要先充{amount}去商戶戶口{account}，本金連佣金會一齊還返俾你。"
            ),
            (
                "因為中咗連單，你任務戶口而家負咗{amount}，要入錢補返，"
                "唔係你賺咗嘅{big_amount}佣金會凍結。"
            ),
            "恭喜你升咗VIP任務級，喺 {job_link} 交{fee}升級按金就可以攞走你嘅{amount}收益。",
        ],
    ),
    _family(
        "scam.loan_no_credit_check",
        "loan",
        "Fake loan: no TU check, pre-approved, pay an admin fee first.",
        en=[
            (
                "Fast cash loan up to {big_amount}! No TU check, no proof of income, approval in 5 "
                "minutes. Apply: {loan_link}"
            ),
            (
                "Your loan of {big_amount} has been pre-approved. To release the funds, pay an "
                "admin fee of {fee} to account {account}."
            ),
            (
                "Bankrupt or IVA? We can still lend you {big_amount} at {loan_rate} flat rate. "
                "WhatsApp {wa_link}"
            ),
        ],
        zh=[
            "極速現金貸款高達{big_amount}！免TU、免入息證明，5分鐘批核，申請：{loan_link}",
            "閣下的{big_amount}貸款已獲預先批核，請先繳付手續費{fee}至賬戶{account}以便發放款項。",
            "破產或IVA人士亦可借！{big_amount}貸款，月平息只需{loan_rate}，WhatsApp：{wa_link}",
        ],
        yue=[
            "快速現金貸款最高{big_amount}！唔查TU，唔使入息證明，5分鐘批，申請：{loan_link}",
            "你嘅{big_amount}貸款已經預批咗，俾{fee}手續費入{account}就即刻過數俾你。",
            "破咗產或者做緊IVA都借到！{big_amount}，月平息{loan_rate}咋，WhatsApp：{wa_link}",
        ],
    ),
    _family(
        "scam.prize_lottery",
        "prize",
        "Fake lucky draw / overseas lottery: pay handling fee or tax to claim.",
        en=[
            (
                "Congratulations! Your number was drawn in the {shop} anniversary lucky draw and "
                "you won {prize}. Pay a handling fee of {fee} to claim: {prize_link}"
            ),
            "You are our 1,000,000th visitor! Claim {prize} now before {time}: {prize_link}",
            (
                "Mark Six Overseas Lottery: you have won {big_amount}. To release the prize, pay "
                "the tax of {amount} to account {account}."
            ),
        ],
        zh=[
            (
                "恭喜！閣下號碼於{shop}週年幸運大抽獎中獲得{prize}，請繳付手續費{fee}領獎："
                "{prize_link}"
            ),
            "您是第1,000,000位訪客！請於{time}前領取{prize}：{prize_link}",
            (
                "海外六合彩通知：閣下中獎{big_amount}，"
                "請先繳付稅款{amount}至賬戶{account}以便發放獎金。"
            ),
        ],
        yue=[
            (
                "恭喜晒！你個號碼喺{shop}週年大抽獎抽中咗{prize}，俾{fee}手續費就可以攞獎："
                "{prize_link}"
            ),
            "你係第1,000,000個訪客！{time}前快啲領{prize}：{prize_link}",
            "海外六合彩通知你中咗{big_amount}，要先交{amount}稅入{account}先出到獎金。",
        ],
    ),
    _family(
        "scam.subscription_renewal",
        "subscription",
        "Fake streaming subscription: payment declined / expired, update card at a link.",
        en=[
            (
                "{stream}: your payment was declined and your membership will be cancelled today. "
                "Update your card details: {stream_link}"
            ),
            (
                "Your {stream} subscription has expired. Renew now for {fee} to keep watching: "
                "{stream_link}"
            ),
            (
                "{stream} notice: we were unable to validate your billing information. Your "
                "account is on hold until {date}. {stream_link}"
            ),
        ],
        zh=[
            "{stream}：您的付款未能完成，會籍將於今日取消，請更新信用卡資料：{stream_link}",
            "您的{stream}訂閱已到期，立即以{fee}續期以繼續觀看：{stream_link}",
            "{stream}通知：我們未能核實您的帳單資料，您的帳戶將暫停至{date}。{stream_link}",
        ],
        yue=[
            "{stream}：你張卡過唔到數，今日會cancel你個會籍，快啲update卡資料：{stream_link}",
            "你個{stream}已經到期，而家俾{fee}續返就可以繼續睇：{stream_link}",
            "{stream}話核實唔到你嘅帳單資料，你個account暫停到{date}。{stream_link}",
        ],
    ),
    _family(
        "scam.telco_points_bill",
        "telecom",
        "Fake telco: points expiring, overcharge refund or overdue bill, at a link.",
        en=[
            (
                "{telco}: your mobile plan points ({points}) expire on {date}. Redeem a free gift "
                "now: {telco_link}"
            ),
            (
                "{telco} Customer Service: you have been overcharged {amount} on your last bill. "
                "Claim your refund at {telco_link}"
            ),
            (
                "Your {telco} bill of {amount} is overdue. Service will be suspended today at "
                "{time}. Pay now: {telco_link}"
            ),
        ],
        zh=[
            "{telco}：您的月費計劃積分{points}分將於{date}到期，立即兌換免費禮品：{telco_link}",
            "{telco}客戶服務：閣下上期賬單被多收{amount}，請到 {telco_link} 申請退款。",
            "您的{telco}賬單{amount}已逾期，服務將於今日{time}暫停，請即繳付：{telco_link}",
        ],
        yue=[
            "{telco}：你月費計劃嘅{points}分{date}到期，即刻換免費禮品：{telco_link}",
            "{telco}客服：你上期張單多收咗{amount}，去 {telco_link} 攞返。",
            "你{telco}張{amount}嘅單過咗期，今日{time}會停你服務，即刻俾錢：{telco_link}",
        ],
    ),
    _family(
        "scam.sim_swap_esim",
        "telecom",
        "SIM swap / eSIM upgrade: reply with the code or enter HKID to 'activate'.",
        en=[
            (
                "{telco}: your SIM card will be deactivated within {hours} hours due to real-name "
                "registration rules. Upgrade to eSIM now: {telco_link}"
            ),
            (
                "{telco} eSIM upgrade: reply with the 6-digit code we just sent to complete the "
                "transfer of your number {mobile}."
            ),
            (
                "{hi}, this is {telco} technical support. To activate your free 5G eSIM, scan the "
                "QR code at {telco_link} and enter your HKID {hkid}."
            ),
        ],
        zh=[
            (
                "{telco}：根據實名登記規定，您的SIM卡將於{hours}小時內停用，請即升級至eSIM："
                "{telco_link}"
            ),
            "{telco}eSIM升級：請回覆剛收到的6位數字驗證碼，以完成號碼{mobile}的轉移。",
            (
                "{hi}，這是{telco}技術支援。如要啟用免費5G eSIM，請到 {telco_link} "
                "掃描二維碼並輸入身份證號碼{hkid}。"
            ),
        ],
        yue=[
            "{telco}：因為實名登記規定，你張SIM卡{hours}個鐘內會停用，即刻升級做eSIM：{telco_link}",
            "{telco} eSIM升級：覆返頭先收到嗰個6位數code俾我哋，就可以完成轉移你個號碼{mobile}。",
            (
                "{hi}，我哋係{telco}技術支援，想開免費5G eSIM就去 {telco_link} 掃QR code，"
                "再打埋你身份證{hkid}。"
            ),
        ],
    ),
    _family(
        "scam.shopping_refund",
        "shopping",
        "Fake online-shop customer service: refund for lost order, asks for bank login / OTP.",
        en=[
            (
                "{shop} Customer Service: your order {order_no} was lost in transit. We will "
                "refund {amount}. Please log in to your online banking via {shop_link} to receive "
                "the refund."
            ),
            (
                "Dear customer, a system error charged you twice for order {order_no}. To get your "
                "{amount} refund, tell our agent the OTP sent to your phone."
            ),
            (
                "{shop}: your account was mistakenly upgraded to wholesale membership, costing "
                "{amount}/month. Cancel within {hours} hours: {shop_link}"
            ),
        ],
        zh=[
            (
                "{shop}客戶服務：您的訂單{order_no}於運送途中遺失，我們將退款{amount}，請經 "
                "{shop_link} 登入網上銀行以接收退款。"
            ),
            (
                "親愛的顧客，由於系統錯誤，訂單{order_no}被重複扣款。如需退回{amount}，"
                "請將手機收到的驗證碼提供給客服專員。"
            ),
            (
                "{shop}：您的帳戶被誤升級為批發會員，每月收費{amount}，請於{hours}小時內取消："
                "{shop_link}"
            ),
        ],
        yue=[
            (
                "{shop}客服：你張單{order_no}寄失咗，我哋會退{amount}俾你，經 {shop_link} "
                "登入網銀就收到退款。"
            ),
            (
                "你好，系統出錯重複扣咗你張單{order_no}嘅錢，"
                "想退返{amount}就要將手機收到嘅OTP話俾我哋客服聽。"
            ),
            (
                "{shop}：你個account俾人誤升咗做批發會員，每個月收{amount}，{hours}個鐘內去 "
                "{shop_link} 取消。"
            ),
        ],
    ),
    _family(
        "scam.marketplace_fake_buyer",
        "shopping",
        "Fake second-hand marketplace buyer sends a fake 'receive payment' link.",
        en=[
            (
                "{hi}, I want to buy your item on {shop} for {amount}. I've paid via the "
                "platform's secure delivery service, please click {shop_link} to receive the "
                "payment."
            ),
            (
                "Buyer here. I already paid {amount}, but the platform says your account needs to "
                "be verified before withdrawal. Fill in your card number at {shop_link}."
            ),
            (
                "Can you use {courier} cash-on-delivery? I've arranged pickup. Just confirm your "
                "bank details here to get the {amount}: {shop_link}"
            ),
        ],
        zh=[
            (
                "{hi}，我想以{amount}購買你在{shop}刊登的物品，已透過平台安全交收服務付款，請點擊 "
                "{shop_link} 收款。"
            ),
            (
                "我是買家，已付款{amount}，但平台顯示你的帳戶須先驗證才能提款，請於 {shop_link} "
                "填寫信用卡號碼。"
            ),
            (
                "可以用{courier}貨到付款嗎？我已安排取件，請在此確認銀行資料以收取{amount}："
                "{shop_link}"
            ),
        ],
        yue=[
            (
                "{hi}，你喺{shop}放嗰件嘢我{amount}要咗，我已經用平台安全交收俾咗錢，click "
                "{shop_link} 收錢啦。"
            ),
            (
                "我係買家，已經俾咗{amount}，但平台話你個account要verify咗先提到款，喺 {shop_link} "
                "填返你張卡號碼。"
            ),
            (
                "用{courier}貨到付款得唔得？我約咗人收件，你喺度confirm銀行資料就收到{amount}："
                "{shop_link}"
            ),
        ],
        fixed={"shop": "carousell"},
    ),
    _family(
        "scam.otp_account_takeover",
        "otp_theft",
        "WhatsApp / messaging account takeover: asks the victim to forward an SMS code.",
        en=[
            (
                "{hi}, sorry, I accidentally sent a 6-digit code to your number {mobile}. Could "
                "you forward it to me? It's urgent{emoji}"
            ),
            (
                "{hi}! I'm voting for my niece in a dance competition, could you help? You'll get "
                "an SMS code, just send it back to me{emoji} {vote_link}"
            ),
            (
                "WhatsApp Support: your account will be banned on {date} for violating our terms. "
                "Reply with the verification code sent to {mobile} to keep your account."
            ),
        ],
        zh=[
            (
                "{hi}，不好意思，我錯把一個6位數驗證碼發到你的號碼{mobile}，可以轉發給我嗎？"
                "很急{emoji}"
            ),
            (
                "{hi}！我姪女參加舞蹈比賽，可以幫她投票嗎？你會收到一個短訊驗證碼，"
                "請發回給我{emoji} {vote_link}"
            ),
            (
                "WhatsApp客戶支援：您的帳戶因違反條款將於{date}被封鎖，"
                "請回覆發送至{mobile}的驗證碼以保留帳戶。"
            ),
        ],
        yue=[
            (
                "{hi}，唔好意思，我send錯咗個6位數code去你個號碼{mobile}，可唔可以forward返俾我？"
                "好急㗎{emoji}"
            ),
            (
                "{hi}！我姪女參加跳舞比賽，幫佢投吓票吖？你會收到個SMS code，send返俾我就得{emoji} "
                "{vote_link}"
            ),
            (
                "WhatsApp客服：你個account違反咗條款，{date}會被封，"
                "覆返send咗去{mobile}嗰個驗證碼就可以保留。"
            ),
        ],
    ),
    _family(
        "scam.govt_subsidy",
        "government_benefit",
        "Fake government subsidy / consumption voucher / elderly allowance re-verification.",
        en=[
            (
                "GovHK: you are eligible for the {amount} living subsidy for permanent residents. "
                "Register with your HKID before {date}: {gov_link}"
            ),
            (
                "Consumption Voucher Scheme: your final instalment of {amount} failed to transfer "
                "to your Octopus. Re-submit details at {gov_link}"
            ),
            (
                "Social Welfare Department: your elderly allowance will be suspended unless you "
                "re-verify your bank account by {time} today at {gov_link}"
            ),
        ],
        zh=[
            (
                "香港政府一站通：閣下合資格領取永久居民生活津貼{amount}，請於{date}前以身份證登記："
                "{gov_link}"
            ),
            "消費券計劃：您最後一期{amount}消費券未能轉賬至八達通，請到 {gov_link} 重新提交資料。",
            "社會福利署：如閣下未於今日{time}前重新核實銀行賬戶，高齡津貼將被暫停：{gov_link}",
        ],
        yue=[
            "政府一站通：你合資格攞{amount}永久居民生活津貼，{date}前用身份證登記：{gov_link}",
            "消費券計劃：你最後一期{amount}入唔到八達通，去 {gov_link} 再交過資料。",
            "社署話你今日{time}前唔重新核實銀行戶口，就會停你生果金：{gov_link}",
        ],
        fixed={"gov": "govhk"},
    ),
)

_HAM_FAMILIES: tuple[MessageFamily, ...] = (
    _family(
        "ham.bank_otp",
        "bank_notification",
        "Genuine bank one-time password with 'never share' safety wording.",
        en=[
            (
                "{bank_sender}: Your one-time password is {otp}. Never share it with anyone, "
                "including bank staff. Valid for 5 minutes."
            ),
            (
                "{bank_sender} OTP {otp} for your online transfer of {amount} to a registered "
                "payee. {bank} will never ask for your OTP by phone or message."
            ),
            (
                "{otp} is your {bank} verification code for login on {date} at {time}. Do not "
                "disclose this code to anyone."
            ),
            (
                "{bank_sender}: Use {otp} to confirm adding a new FPS payee. If you did not "
                "request this, call the number on the back of your card. Don't share this code."
            ),
        ],
        zh=[
            (
                "{bank_sender}：您的一次性密碼為{otp}，請勿向任何人（包括銀行職員）透露。"
                "密碼5分鐘內有效。"
            ),
            (
                "{bank_sender}：一次性密碼{otp}，用於轉賬{amount}至已登記收款人。"
                "{bank}絕不會透過電話或短訊索取您的密碼。"
            ),
            "{otp}為您於{date} {time}登入{bank}的驗證碼，切勿向任何人披露。",
            (
                "{bank_sender}：請使用{otp}確認新增轉數快收款人。如非本人操作，"
                "請致電信用卡背面的熱線。切勿分享此密碼。"
            ),
        ],
        yue=[
            "{bank_sender}：你嘅一次性密碼係{otp}，5分鐘內有效。唔好話俾任何人知，包括銀行職員。",
            (
                "{bank_sender}：OTP {otp}，用嚟確認轉{amount}俾已登記收款人。"
                "{bank}唔會打電話或者send訊息問你攞密碼。"
            ),
            "{otp}係你{date} {time}登入{bank}嘅驗證碼，千祈唔好俾人。",
            (
                "{bank_sender}：用{otp}確認加新FPS收款人。唔係你做嘅話，打卡背面嗰個熱線搵我哋，"
                "呢個碼唔好俾人。"
            ),
        ],
    ),
    _family(
        "ham.bank_statement_ready",
        "bank_notification",
        "Genuine e-statement / card statement ready, refers to the official app.",
        en=[
            (
                "{bank_sender}: Your {month} e-Statement for account {account_masked} is now "
                "available. Please log on to the {bank_app} to view it. We will not send links by "
                "SMS."
            ),
            (
                "{bank}: Your credit card statement is ready. Payment due date: {date}, minimum "
                "payment {fee}. View details in the {bank_app}."
            ),
            (
                "{bank_sender}: Your consolidated statement for {month} is ready. For security, "
                "{bank} never asks for your password or OTP."
            ),
        ],
        zh=[
            (
                "{bank_sender}：您賬戶{account_masked}的{month}電子結單已經備妥，"
                "請登入{bank_app}查閱。本行不會透過短訊發送連結。"
            ),
            (
                "{bank}：您的信用卡月結單已備妥，到期繳款日為{date}，最低還款額{fee}，"
                "詳情請於{bank_app}查閱。"
            ),
            (
                "{bank_sender}：您{month}的綜合月結單已備妥。為保安全，"
                "{bank}絕不會要求您提供密碼或一次性密碼。"
            ),
        ],
        yue=[
            (
                "{bank_sender}：你戶口{account_masked}嘅{month}電子月結單已經出咗，"
                "入{bank_app}睇得喇。我哋唔會喺短訊send連結俾你。"
            ),
            "{bank}：你張信用卡月結單出咗，{date}前要還，最低還款{fee}，詳情喺{bank_app}度睇。",
            "{bank_sender}：你{month}嘅綜合月結單整好咗。提提你，{bank}唔會問你攞密碼或者OTP。",
        ],
    ),
    _family(
        "ham.card_transaction_alert",
        "bank_notification",
        "Genuine card transaction notification.",
        en=[
            (
                "{bank_sender}: Your card {card} was charged {amount} at {merchant} on {date} "
                "{time}. If you don't recognise this, call the number on the back of your card."
            ),
            (
                "{bank}: Online transaction of {amount} at {merchant} approved on card {card}. "
                "Check details in the {bank_app}."
            ),
            (
                "{bank_sender}: Contactless payment {amount} at {merchant}, {district}, card "
                "{card}, {time}. Available credit {big_amount}."
            ),
        ],
        zh=[
            (
                "{bank_sender}：您的信用卡{card}於{date} {time}在{merchant}簽賬{amount}。"
                "如非本人交易，請致電信用卡背面的熱線。"
            ),
            (
                "{bank}：信用卡{card}已批核一筆{amount}的網上交易（{merchant}），"
                "詳情請查閱{bank_app}。"
            ),
            (
                "{bank_sender}：信用卡{card}於{time}在{district}{merchant}以感應式付款{amount}，"
                "可用信用額{big_amount}。"
            ),
        ],
        yue=[
            (
                "{bank_sender}：你張卡{card}喺{date} {time}喺{merchant}碌咗{amount}。唔係你簽嘅話，"
                "打卡背後嗰個熱線搵我哋。"
            ),
            "{bank}：你張卡{card}啱啱喺{merchant}網購咗{amount}，詳情入{bank_app}睇。",
            (
                "{bank_sender}：{time}你張卡{card}喺{district}{merchant}拍卡俾咗{amount}，"
                "仲有{big_amount}信用額可以用。"
            ),
        ],
    ),
    _family(
        "ham.fps_received",
        "bank_notification",
        "Genuine FPS incoming transfer notification.",
        en=[
            (
                "{bank_sender}: You have received {amount} via FPS from {name} on {date} {time}. "
                "Ref: {ref}."
            ),
            (
                "{bank}: FPS credit {amount} to your account {account_masked} from {name}. "
                "Message: '{fps_memo}'."
            ),
            (
                "{bank_sender}: Incoming FPS transfer {amount} received at {time}. Payer: {name}. "
                "View in the {bank_app}."
            ),
        ],
        zh=[
            "{bank_sender}：您於{date} {time}經轉數快收到{name}轉賬{amount}。參考編號：{ref}。",
            (
                "{bank}：轉數快存入{amount}至您的賬戶{account_masked}，付款人：{name}，附言："
                "「{fps_memo}」。"
            ),
            "{bank_sender}：已於{time}收到轉數快轉賬{amount}，付款人{name}，詳情請查閱{bank_app}。",
        ],
        yue=[
            "{bank_sender}：你喺{date} {time}經轉數快收到{name}過嚟嘅{amount}。參考編號：{ref}。",
            (
                "{bank}：有{amount}經FPS入咗你戶口{account_masked}，由{name}轉過嚟，附言："
                "「{fps_memo}」。"
            ),
            "{bank_sender}：{time}收到一筆FPS {amount}，付款人{name}，入{bank_app}睇詳情。",
        ],
    ),
    _family(
        "ham.fps_sent",
        "bank_notification",
        "Genuine FPS outgoing transfer confirmation.",
        en=[
            (
                "{bank_sender}: You have transferred {amount} via FPS to {name} ({mobile}) on "
                "{date}. If you did not make this transfer, call {bank} immediately."
            ),
            "{bank}: FPS payment of {amount} to {name} was successful. Transaction ref {ref}.",
            (
                "{bank_sender}: Transfer of {amount} to registered payee {name} completed at "
                "{time}. Daily limit remaining {big_amount}."
            ),
        ],
        zh=[
            (
                "{bank_sender}：您已於{date}經轉數快轉賬{amount}至{name}（{mobile}）。"
                "如非本人操作，請即致電{bank}。"
            ),
            "{bank}：您轉賬{amount}予{name}的轉數快付款已成功，交易編號{ref}。",
            "{bank_sender}：已於{time}轉賬{amount}至已登記收款人{name}，今日剩餘限額{big_amount}。",
        ],
        yue=[
            (
                "{bank_sender}：你喺{date}用轉數快過咗{amount}俾{name}（{mobile}）。"
                "唔係你做嘅請即刻打俾{bank}。"
            ),
            "{bank}：你過俾{name}嘅{amount} FPS已經成功，交易編號{ref}。",
            "{bank_sender}：{time}已經轉咗{amount}俾已登記收款人{name}，今日仲有{big_amount}限額。",
        ],
    ),
    _family(
        "ham.card_promotion_optout",
        "marketing",
        "Genuine credit-card promotion with opt-out wording.",
        en=[
            (
                "{bank}: Enjoy {percent} cashback on dining with your credit card until {date}. "
                "T&Cs apply. To opt out of promotional messages, reply STOP to {short_code}."
            ),
            (
                "{bank} Travel Offer: earn extra miles on overseas spending until {date}. Details "
                "in the {bank_app}. Reply N to unsubscribe."
            ),
            (
                "{bank}: Register for the {merchant} spending offer in the {bank_app} and get up "
                "to {amount} rebate. To stop receiving marketing messages, reply STOP."
            ),
        ],
        zh=[
            (
                "{bank}：即日起至{date}以信用卡簽賬餐飲可享{percent}現金回贈，受條款及細則約束。"
                "如不欲接收推廣訊息，請回覆STOP至{short_code}。"
            ),
            (
                "{bank}旅遊優惠：即日起至{date}海外簽賬可賺取額外里數，詳情請瀏覽{bank_app}。"
                "回覆N取消訂閱。"
            ),
            (
                "{bank}：於{bank_app}登記{merchant}簽賬優惠，最高可享{amount}回贈。"
                "如不欲接收推廣訊息，請回覆STOP。"
            ),
        ],
        yue=[
            (
                "{bank}：由今日至{date}用信用卡食飯有{percent}現金回贈，受條款約束。"
                "唔想再收推廣訊息，覆STOP去{short_code}。"
            ),
            "{bank}旅遊優惠：{date}之前海外簽賬有額外里數，詳情睇{bank_app}。覆N就唔會再收。",
            (
                "{bank}：喺{bank_app}登記{merchant}簽賬優惠，最多有{amount}回贈。"
                "唔想收推廣訊息就覆STOP。"
            ),
        ],
    ),
    _family(
        "ham.bank_antiscam_advice",
        "bank_notification",
        "Genuine bank anti-scam education message (mentions scams, safe accounts, 18222).",
        en=[
            (
                "{bank_sender}: Beware of scams! {bank} will never send SMS or emails with "
                "hyperlinks asking you to log in or provide personal details. If in doubt, call "
                "the Anti-Scam Helpline 18222."
            ),
            (
                "{bank}: Fraudsters may pretend to be bank staff, police or government officials "
                "and ask you to transfer money to a 'safe account'. Hang up and check with "
                "Scameter before acting."
            ),
            (
                "{bank_sender} Security tip: never share your OTP or password, even with people "
                "claiming to be from {bank}. Report suspicious calls to {hotline}."
            ),
        ],
        zh=[
            (
                "{bank_sender}：慎防詐騙！"
                "{bank}不會透過短訊或電郵發送超連結要求您登入或提供個人資料。如有懷疑，"
                "請致電防騙易熱線18222。"
            ),
            (
                "{bank}提提您：騙徒或會冒充銀行職員、警務人員或政府官員，要求您轉賬至「安全賬戶」。"
                "請立即掛線，並先以防騙視伏器查證。"
            ),
            (
                "{bank_sender}保安提示：切勿向任何人透露一次性密碼或密碼，即使對方自稱{bank}職員。"
                "如接獲可疑來電，請致電{hotline}報告。"
            ),
        ],
        yue=[
            (
                "{bank_sender}：小心騙案！{bank}唔會用短訊或者電郵send連結叫你登入或者俾個人資料。"
                "有懷疑就打防騙易熱線18222。"
            ),
            (
                "{bank}提提你：啲騙徒會扮銀行職員、警察或者政府官員，叫你轉錢去「安全戶口」。"
                "即刻收線，用防騙視伏器查清楚先。"
            ),
            (
                "{bank_sender}保安貼士：密碼同OTP千祈唔好話俾人知，"
                "就算對方話自己係{bank}職員都唔好。收到可疑電話請打{hotline}報告。"
            ),
        ],
    ),
    _family(
        "ham.clinic_appointment",
        "healthcare",
        "Clinic / hospital appointment reminder.",
        en=[
            (
                "Reminder: your appointment with {doctor} at {clinic} is on {date} at {time}. "
                "Please bring your HKID card and arrive 10 minutes early. To reschedule, call "
                "{landline}."
            ),
            (
                "{clinic}: This is a reminder of your check-up on {date}, {time}. Reply Y to "
                "confirm or call {landline}."
            ),
            (
                "{hospital} SOPC appointment: {date} {time}. Please check the HA Go app for "
                "details and bring your appointment slip."
            ),
        ],
        zh=[
            (
                "提示：閣下預約於{date} {time}在{clinic}見{doctor}，請攜帶身份證並提早10分鐘到達。"
                "如需更改，請致電{landline}。"
            ),
            "{clinic}：提提閣下，檢查預約為{date} {time}，請回覆Y確認或致電{landline}。",
            "{hospital}專科門診預約：{date} {time}。詳情請查閱HA Go應用程式，並攜同預約便條。",
        ],
        yue=[
            (
                "提提你：你約咗{date} {time}喺{clinic}睇{doctor}，記得帶身份證，早10分鐘到。"
                "想改期打{landline}。"
            ),
            "{clinic}：提你{date} {time}有檢查，覆Y確認或者打{landline}搵我哋。",
            "{hospital}專科門診：{date} {time}，詳情睇HA Go app，記得帶埋預約紙。",
        ],
    ),
    _family(
        "ham.courier_delivery_notice",
        "courier",
        "Genuine courier delivery notice without any payment request.",
        en=[
            (
                "{courier}: Your shipment {parcel} is out for delivery today. Track it at "
                "{courier_site}. No payment is required."
            ),
            (
                "{courier}: Parcel {parcel} has been delivered to {district} on {date} at {time}. "
                "Thank you for using our service."
            ),
            (
                "{courier}: Your parcel {parcel} from {shop} will arrive on {date}. Check delivery "
                "status in the official app. We never ask for payment by SMS."
            ),
        ],
        zh=[
            "{courier}：您的快件{parcel}今日派送中，可於{courier_site}查詢，無須付款。",
            "{courier}：包裹{parcel}已於{date} {time}送達{district}，多謝使用我們的服務。",
            (
                "{courier}：您從{shop}訂購的包裹{parcel}將於{date}送達，"
                "請於官方應用程式查看派送狀態。我們不會以短訊要求付款。"
            ),
        ],
        yue=[
            "{courier}：你件快件{parcel}今日派緊，可以喺{courier_site}查，唔使俾錢。",
            "{courier}：包裹{parcel}已經喺{date} {time}送到{district}，多謝幫襯。",
            (
                "{courier}：你喺{shop}買嗰件{parcel}會喺{date}到，入官方app睇派送狀態。"
                "我哋唔會用短訊叫你俾錢。"
            ),
        ],
    ),
    _family(
        "ham.courier_locker_pickup",
        "courier",
        "Parcel arrived at a self-collection locker / service point with a pick-up code.",
        en=[
            (
                "{courier}: Your parcel {parcel} is ready for pick-up at the {district} "
                "self-collection locker. Pick-up code: {otp}. Please collect by {date}."
            ),
            (
                "{courier}: Item {parcel} has arrived at the {district} service point. Bring code "
                "{otp} and collect before {time} on {date}."
            ),
            (
                "Your {shop} order has arrived at the {courier} locker in {district}. Code {otp}, "
                "valid for 3 days."
            ),
        ],
        zh=[
            "{courier}：您的包裹{parcel}已到達{district}智能櫃，取件碼{otp}，請於{date}前領取。",
            "{courier}：快件{parcel}已抵達{district}服務點，請於{date} {time}前憑取件碼{otp}領取。",
            "您在{shop}的訂單已送達{district}的{courier}智能櫃，取件碼{otp}，3天內有效。",
        ],
        yue=[
            "{courier}：你個包裹{parcel}到咗{district}智能櫃，取件碼{otp}，{date}前記得去攞。",
            "{courier}：{parcel}到咗{district}服務點，{date} {time}前帶住取件碼{otp}去攞。",
            "你喺{shop}買嘅嘢到咗{district}嘅{courier}智能櫃，code係{otp}，3日內有效。",
        ],
    ),
    _family(
        "ham.hketoll_statement",
        "toll",
        "Genuine HKeToll monthly statement / payment confirmation via the official app.",
        en=[
            (
                "HKeToll: Your monthly toll statement for {plate} is available. Total {toll} will "
                "be charged to your registered payment method on {date}. View it in the HKeToll "
                "app."
            ),
            (
                "HKeToll: Toll {toll} for vehicle {plate} ({tunnel}, {date}) has been paid "
                "successfully via your linked account."
            ),
            (
                "Reminder from HKeToll: please keep your account for {plate} topped up. Check your "
                "balance only through the official HKeToll app or {toll_site}."
            ),
        ],
        zh=[
            (
                "易通行：車輛{plate}的月結單已備妥，總額{toll}將於{date}從您登記的付款方式扣除，"
                "請於易通行應用程式查閱。"
            ),
            "易通行：車輛{plate}於{date}使用{tunnel}的隧道費{toll}已從您的綁定賬戶成功繳付。",
            (
                "易通行提示：請確保車輛{plate}的賬戶有足夠結餘，"
                "並只透過官方易通行應用程式或{toll_site}查詢。"
            ),
        ],
        yue=[
            (
                "易通行：{plate}嘅月結單出咗，總數{toll}會喺{date}喺你登記嘅付款方式扣，"
                "入易通行app睇。"
            ),
            "易通行：{plate}喺{date}過{tunnel}嘅{toll}隧道費已經喺你綁定戶口扣咗。",
            "易通行提提你：{plate}個戶口記得要有夠錢，淨係用官方易通行app或者{toll_site}查結餘。",
        ],
        fixed={"toll": "hketoll"},
    ),
    _family(
        "ham.weather_warning",
        "government",
        "Hong Kong Observatory weather warning broadcast.",
        en=[
            (
                "HKO: The {signal} is now in force. Please stay indoors and avoid the coast. Check "
                "updates at {gov_site}."
            ),
            (
                "Hong Kong Observatory: {signal} issued at {time}. Schools and offices please "
                "follow the relevant guidelines."
            ),
            (
                "Red Rainstorm Warning issued at {time}. Flooding may occur in low-lying areas of "
                "{district}. Follow HKO announcements."
            ),
        ],
        zh=[
            "天文台：{signal}現正生效，市民應留在室內，遠離海旁。最新消息請瀏覽{gov_site}。",
            "香港天文台於{time}發出{signal}，學校及辦公室請按相關指引安排。",
            "紅色暴雨警告信號已於{time}發出，{district}低窪地區或會出現水浸，請留意天文台公布。",
        ],
        yue=[
            "天文台：而家掛緊{signal}，留喺屋企唔好去海邊，最新消息睇{gov_site}。",
            "天文台{time}發出咗{signal}，返工返學跟返相關指引。",
            "{time}掛咗紅雨，{district}低窪地方可能水浸，留意天文台消息。",
        ],
        fixed={"gov": "hko"},
    ),
    _family(
        "ham.gov_announcement",
        "government",
        "Genuine government announcements (ID card replacement, vouchers, elections, vaccines).",
        en=[
            (
                "GovHK: The smart identity card replacement exercise for residents born in "
                "{birth_year} starts on {date}. Book an appointment at {gov_site}. The government "
                "will never ask for bank details by SMS."
            ),
            (
                "Consumption Voucher Scheme: {amount} has been disbursed to your registered stored "
                "value facility on {date}. No action is required."
            ),
            (
                "Elections notice: please vote on {date} at your designated polling station in "
                "{district}. Bring your HKID card."
            ),
            (
                "Department of Health: seasonal influenza vaccination is now available at "
                "designated clinics in {district}. Details: {gov_site}"
            ),
        ],
        zh=[
            (
                "政府一站通：{birth_year}年出生人士的智能身份證換證計劃將於{date}開始，"
                "請於{gov_site}預約。政府絕不會以短訊索取銀行資料。"
            ),
            "消費券計劃：{amount}消費券已於{date}發放至您登記的儲值支付工具，無須採取任何行動。",
            "選舉通知：請於{date}前往您在{district}的指定票站投票，並攜帶身份證。",
            "衞生署：季節性流感疫苗現於{district}指定診所提供接種，詳情請瀏覽{gov_site}。",
        ],
        yue=[
            (
                "政府一站通：{birth_year}年出世嘅人{date}開始換智能身份證，去{gov_site}預約。"
                "政府唔會用短訊問你攞銀行資料。"
            ),
            "消費券計劃：{amount}消費券已經喺{date}入咗你登記嘅儲值支付工具，唔使做任何嘢。",
            "選舉通知：{date}記得去{district}嘅指定票站投票，帶埋身份證。",
            "衞生署：{district}指定診所而家有流感針打，詳情睇{gov_site}。",
        ],
        fixed={"gov": "govhk"},
    ),
    _family(
        "ham.friends_dinner_chat",
        "personal_chat",
        "Friends arranging dinner in a group chat.",
        en=[
            (
                "Dinner tonight? Thinking {food} in {district} around {evening}, {first_name} is "
                "coming too."
            ),
            "Running 10 mins late, grab a table first! We're at {restaurant}, {district}.",
            "Who's up for {food} on {date}? I'll book {restaurant} for {count} people.",
            "Great catching up today {first_name}! Next time {food} is on me 😄",
        ],
        zh=[
            "今晚一起吃飯嗎？想去{district}吃{food}，大約{evening}，{first_name}也會來。",
            "我遲到十分鐘，你們先找位子，我們在{district}的{restaurant}。",
            "{date}有誰想去吃{food}？我訂{restaurant}{count}人位。",
            "{first_name}，今天聊得很開心！下次{food}我請客😄",
        ],
        yue=[
            "今晚食咩？諗住去{district}食{food}，{evening}左右，{first_name}都會嚟。",
            "我遲少少，大概十分鐘，你哋去{restaurant}攞位先，喺{district}嗰間。",
            "{date}邊個想去食{food}？我book咗{restaurant}{count}個位。",
            "今日傾得好開心！下次{food}我請😄 {first_name}記得嚟",
        ],
    ),
    _family(
        "ham.family_chat",
        "personal_chat",
        "Family members chatting about dinner, pick-ups and birthdays.",
        en=[
            (
                "Mum: Are you coming home for dinner tonight? I'm making soup. Let me know by "
                "{evening}."
            ),
            (
                "Dad, I'll pick you up at {district} MTR station at {evening}. Bring an umbrella, "
                "it's raining."
            ),
            "Grandma's birthday dinner is on {date} at {restaurant}, please don't be late!",
            "{first_name}, can you buy a bag of rice at {merchant} on your way home? Thanks!",
        ],
        zh=[
            "媽媽：今晚回家吃飯嗎？我煲了湯，{evening}前告訴我。",
            "爸爸，我{evening}到{district}港鐵站接你，記得帶雨傘，外面下雨。",
            "嫲嫲的生日晚宴定於{date}在{restaurant}舉行，請準時出席！",
            "{first_name}，回家時順便在{merchant}買包米，謝謝！",
        ],
        yue=[
            "阿媽：今晚返唔返嚟食飯呀？我煲咗湯，{evening}之前話我知。",
            "老豆，我{evening}喺{district}地鐵站接你，記得帶遮，出面落緊雨。",
            "嫲嫲{date}喺{restaurant}做生日，唔好遲到呀！",
            "{first_name}，返嚟順手喺{merchant}買包米吖，唔該。",
        ],
    ),
    _family(
        "ham.work_chat",
        "work_chat",
        "Colleagues coordinating meetings and reports.",
        en=[
            (
                "Hi team, the client meeting is moved to {date} {time}. Please send me the slides "
                "by noon."
            ),
            "{first_name}, can you check the Q{quarter} numbers before I send the report? Thanks.",
            "I'm WFH today, reach me on Teams. The {district} site visit is postponed to {date}.",
        ],
        zh=[
            "各位同事，客戶會議改為{date} {time}舉行，請於中午前把簡報發給我。",
            "{first_name}，請你在我發報告前核對第{quarter}季的數字，謝謝。",
            "我今日在家工作，請透過Teams聯絡我。{district}的實地考察延至{date}。",
        ],
        yue=[
            "各位，同客開會改咗去{date} {time}，晏晝前send份slides俾我吖。",
            "{first_name}，我send report之前你幫手check下Q{quarter}啲數吖，唔該。",
            "我今日WFH，有嘢Teams搵我。{district}個site visit改咗{date}。",
        ],
    ),
    _family(
        "ham.utility_bill",
        "utility",
        "Genuine utility bill reminder / payment confirmation.",
        en=[
            (
                "{utility}: Your bill of {amount} for account {account_masked} is due on {date}. "
                "You can pay via the official app, PPS or at convenience stores."
            ),
            "{utility}: Thank you. We have received your payment of {amount} on {date}.",
            (
                "{utility} e-bill reminder: your {month} bill is ready. Log in to your account on "
                "the official app to view it. We will never ask for your card number by SMS."
            ),
        ],
        zh=[
            (
                "{utility}：閣下賬戶{account_masked}的賬單{amount}將於{date}到期，"
                "可透過官方應用程式、繳費靈或便利店繳付。"
            ),
            "{utility}：多謝！我們已於{date}收到您繳付的{amount}。",
            (
                "{utility}電子賬單提示：{month}賬單已備妥，請登入官方應用程式查閱。"
                "我們絕不會以短訊索取信用卡號碼。"
            ),
        ],
        yue=[
            (
                "{utility}：你戶口{account_masked}張{amount}嘅單{date}到期，可以用官方app、"
                "繳費靈或者去便利店交。"
            ),
            "{utility}：多謝！我哋{date}已經收到你交嘅{amount}。",
            "{utility}電子賬單：{month}張單出咗，入官方app睇。我哋唔會用短訊問你攞信用卡號碼。",
        ],
    ),
    _family(
        "ham.insurance_renewal",
        "insurance",
        "Genuine insurance renewal / premium receipt / travel policy issued.",
        en=[
            (
                "{insurer}: Your policy {policy_no} will be renewed on {date}. Premium {amount} "
                "will be debited from your registered account. Contact your agent {name} if you "
                "have questions."
            ),
            (
                "{insurer}: Thank you for your premium payment of {amount} for policy {policy_no}. "
                "A receipt has been sent to {email}."
            ),
            (
                "{insurer}: Your travel insurance starting {date} has been issued. View the policy "
                "in the {insurer} app."
            ),
        ],
        zh=[
            (
                "{insurer}：閣下保單{policy_no}將於{date}續保，保費{amount}將從登記賬戶扣除。"
                "如有查詢，請聯絡您的顧問{name}。"
            ),
            "{insurer}：多謝您繳付保單{policy_no}的保費{amount}，收據已發送至{email}。",
            "{insurer}：您於{date}出發的旅遊保險已經生效，請於{insurer}應用程式查閱保單。",
        ],
        yue=[
            (
                "{insurer}：你份保單{policy_no}{date}續保，{amount}保費會喺登記戶口扣，"
                "有問題搵你個顧問{name}。"
            ),
            "{insurer}：多謝你交咗保單{policy_no}嘅{amount}保費，收據send咗去{email}。",
            "{insurer}：你{date}去旅行嘅保險已經生效，入{insurer} app睇保單。",
        ],
    ),
    _family(
        "ham.telco_data_usage",
        "telecom",
        "Genuine telco data-usage, roaming and bill notices.",
        en=[
            (
                "{telco}: You have used 80% of your {data_gb}GB local data this cycle. Check usage "
                "in the {telco} app."
            ),
            (
                "{telco}: Roaming data day pass activated for {country} until {date}. Charges: "
                "{fee}/day."
            ),
            (
                "{telco}: Your monthly bill of {amount} is ready and will be charged to your "
                "credit card on {date}."
            ),
        ],
        zh=[
            "{telco}：本月您已使用{data_gb}GB本地數據的80%，請於{telco}應用程式查看用量。",
            "{telco}：{country}漫遊數據日費計劃已啟用，有效期至{date}，收費每日{fee}。",
            "{telco}：您本月賬單{amount}已備妥，將於{date}從信用卡扣賬。",
        ],
        yue=[
            "{telco}：你今個月{data_gb}GB本地數據用咗80%，入{telco} app睇用量。",
            "{telco}：{country}漫遊數據日費已經開咗，用到{date}，每日{fee}。",
            "{telco}：你今個月張單{amount}，{date}會喺信用卡度扣。",
        ],
    ),
    _family(
        "ham.streaming_receipt",
        "subscription",
        "Genuine streaming subscription receipt / new sign-in notice.",
        en=[
            (
                "{stream}: Your membership has been renewed for {fee}. Next billing date: {date}. "
                "Manage your plan in the app or on the official website."
            ),
            "Receipt from {stream}: {fee} charged to card {card} on {date}.",
            (
                "{stream}: A new sign-in to your account from a TV in {district} at {time}. If "
                "this was you, no action is needed."
            ),
        ],
        zh=[
            (
                "{stream}：您的會籍已續期，收費{fee}，下次收費日期為{date}。"
                "請於應用程式或官方網站管理計劃。"
            ),
            "{stream}收據：已於{date}從信用卡{card}扣除{fee}。",
            (
                "{stream}：您的帳戶於{time}在{district}一部電視上登入，如為本人操作，"
                "無須採取任何行動。"
            ),
        ],
        yue=[
            "{stream}：你個會籍已經續咗，收{fee}，下次{date}收費，想改plan入app或者官網。",
            "{stream}收據：{date}喺你張卡{card}扣咗{fee}。",
            "{stream}：{time}有部喺{district}嘅電視登入咗你個account，係你自己就唔使理。",
        ],
    ),
    _family(
        "ham.online_shopping_order",
        "shopping",
        "Genuine online-shop order confirmation, shipping and refund notices.",
        en=[
            (
                "{shop}: Order {order_no} confirmed. Total {amount}. Estimated delivery {date}. "
                "Thank you for shopping with us!"
            ),
            "{shop}: Your order {order_no} has been shipped with {courier}. Tracking no. {parcel}.",
            (
                "{shop}: Refund of {amount} for order {order_no} has been processed to your "
                "original payment method. It may take 7-14 days to appear."
            ),
        ],
        zh=[
            "{shop}：訂單{order_no}已確認，總額{amount}，預計{date}送達，多謝惠顧！",
            "{shop}：您的訂單{order_no}已交由{courier}寄出，運單號碼{parcel}。",
            "{shop}：訂單{order_no}的退款{amount}已退回原付款方式，約需7至14日入賬。",
        ],
        yue=[
            "{shop}：張單{order_no}確認咗，總數{amount}，預計{date}送到，多謝幫襯！",
            "{shop}：你張單{order_no}已經交咗{courier}寄，單號{parcel}。",
            "{shop}：張單{order_no}嘅{amount}退款已經退返去你原本嘅付款方式，大概7至14日入賬。",
        ],
    ),
    _family(
        "ham.restaurant_booking",
        "booking",
        "Restaurant booking confirmation / reminder.",
        en=[
            (
                "{restaurant}: Your table for {count} on {date} at {time} is confirmed. We will "
                "hold the table for 15 minutes."
            ),
            (
                "Reminder: booking at {restaurant} ({district}) tomorrow {time}, {count} guests. "
                "Reply C to cancel."
            ),
            (
                "Thanks for dining at {restaurant}! Show this SMS for a free drink on your next "
                "visit before {date}."
            ),
        ],
        zh=[
            "{restaurant}：您於{date} {time}的{count}人訂座已確認，座位將保留15分鐘。",
            "提示：明天{time}於{restaurant}（{district}）訂座{count}位，回覆C取消。",
            "多謝光臨{restaurant}！於{date}前再次光臨出示此短訊可獲免費飲品一杯。",
        ],
        yue=[
            "{restaurant}：你{date} {time}{count}位嘅訂座確認咗，我哋會留位15分鐘。",
            "提提你：聽日{time}喺{restaurant}（{district}）訂咗{count}位，覆C取消。",
            "多謝幫襯{restaurant}！{date}前再嚟出示呢個短訊送杯嘢飲。",
        ],
    ),
    _family(
        "ham.octopus_notice",
        "payments",
        "Octopus automatic add value / app payment / wallet transfer notices.",
        en=[
            (
                "Octopus: Automatic Add Value Service has added {small_amount} to your Octopus "
                "card on {date}."
            ),
            (
                "Octopus App: You paid {small_amount} to {merchant} at {time}. Remaining balance "
                "{amount}."
            ),
            "Octopus: Your Octopus Wallet received {amount} from {name} via FPS on {date}.",
        ],
        zh=[
            "八達通：自動增值服務已於{date}為您的八達通卡增值{small_amount}。",
            "八達通App：您於{time}向{merchant}付款{small_amount}，餘額{amount}。",
            "八達通：您的八達通錢包於{date}經轉數快收到{name}轉賬{amount}。",
        ],
        yue=[
            "八達通：{date}自動增值咗{small_amount}落你張八達通。",
            "八達通App：你{time}喺{merchant}俾咗{small_amount}，仲有{amount}。",
            "八達通：{name}{date}用FPS過咗{amount}入你個八達通錢包。",
        ],
    ),
    _family(
        "ham.ird_etax_notice",
        "tax",
        "Genuine IRD eTAX notices (return issued, demand note, refund credited).",
        en=[
            (
                "IRD: Your tax return for {tax_year} has been issued to your eTAX account. Please "
                "log in via GovHK or the official eTAX app. IRD will not send hyperlinks by SMS."
            ),
            (
                "Inland Revenue Department: Your tax demand note is now available in your eTAX "
                "account. Payment due {date}."
            ),
            (
                "IRD: Your tax refund for {tax_year} has been credited to your bank account on "
                "{date}. No further action is required."
            ),
        ],
        zh=[
            (
                "稅務局：閣下{tax_year}年度報稅表已發送至您的「稅務易」賬戶，"
                "請經政府一站通或官方應用程式登入查閱。稅務局不會以短訊發送超連結。"
            ),
            "稅務局：閣下的繳稅通知書已存入「稅務易」賬戶，繳稅限期為{date}。",
            "稅務局：閣下{tax_year}年度的退稅已於{date}存入您的銀行賬戶，無須採取任何行動。",
        ],
        yue=[
            (
                "稅局：你{tax_year}年度嘅報稅表已經send咗去你個「稅務易」戶口，"
                "經政府一站通或者官方app登入睇。稅局唔會用短訊send連結。"
            ),
            "稅局：你張交稅單已經喺「稅務易」度，{date}前要交。",
            "稅局：你{tax_year}年度嘅退稅{date}已經入咗你銀行戶口，唔使做任何嘢。",
        ],
    ),
    _family(
        "ham.friend_repay_request",
        "personal_chat",
        "Friend asking to be repaid for a shared bill by FPS (legitimate payment request).",
        en=[
            (
                "Hey, dinner last night came to {small_amount} each. FPS me at {mobile} when "
                "you're free, no rush 🙂"
            ),
            (
                "{first_name}, I paid for the concert tickets, yours is {amount}. Send it "
                "whenever, my FPS is {mobile}."
            ),
            (
                "Thanks for joining the {food} on {date}! Split bill: {small_amount} per person. "
                "PayMe or FPS both OK."
            ),
        ],
        zh=[
            "昨晚晚飯每人{small_amount}，有空時轉數快到{mobile}給我就可以，不急🙂",
            (
                "{first_name}，演唱會門票我先付了，你的是{amount}，方便時轉給我，"
                "我的轉數快是{mobile}。"
            ),
            "多謝大家{date}來吃{food}！每人{small_amount}，PayMe或轉數快都可以。",
        ],
        yue=[
            "琴晚食飯每人{small_amount}，得閒FPS俾我{mobile}就得，唔急🙂",
            "{first_name}，演唱會飛我俾咗錢先，你嗰份{amount}，得閒過俾我，FPS {mobile}。",
            "多謝大家{date}嚟食{food}！每人{small_amount}，PayMe或者FPS都得。",
        ],
    ),
    _family(
        "ham.property_mgmt_notice",
        "property",
        "Building management office notices (water suspension, lift service, fees).",
        en=[
            (
                "{estate} Management Office: Water supply will be suspended on {date} from {time} "
                "for maintenance. Sorry for any inconvenience."
            ),
            (
                "{estate} Management: The lifts in Block {count} will be serviced on {date}. "
                "Please use the other lift."
            ),
            (
                "{estate} Management Office: the management fee for {month} ({amount}) is due. Pay "
                "at the office or by autopay."
            ),
        ],
        zh=[
            "{estate}管理處：{date} {time}起暫停供水進行維修，不便之處，敬請原諒。",
            "{estate}管理處：第{count}座升降機將於{date}進行保養，請使用另一部升降機。",
            "{estate}管理處：{month}管理費（{amount}）已到期，請到管理處繳交或使用自動轉賬。",
        ],
        yue=[
            "{estate}管理處：{date} {time}開始停水維修，唔好意思。",
            "{estate}管理處：第{count}座部𨋢{date}做保養，請搭另一部。",
            "{estate}管理處：{month}嘅管理費（{amount}）到期喇，可以去管理處交或者用自動轉賬。",
        ],
    ),
    _family(
        "ham.school_notice",
        "education",
        "School notices to parents (parents' day, class suspension, school fees).",
        en=[
            (
                "{school}: Parents' Day will be held on {date}. Please reply to confirm your time "
                "slot ({time})."
            ),
            (
                "{school}: Classes are suspended today due to the {signal}. Students should stay "
                "at home."
            ),
            (
                "{school}: Reminder that the school fee of {amount} is due on {date}. Payment can "
                "be made via PPS or at a bank counter."
            ),
        ],
        zh=[
            "{school}：家長日將於{date}舉行，請回覆確認您的時段（{time}）。",
            "{school}：因{signal}生效，今日停課，學生應留在家中。",
            "{school}：提醒家長學費{amount}須於{date}前繳交，可透過繳費靈或銀行櫃位付款。",
        ],
        yue=[
            "{school}：{date}係家長日，請覆返確認你嘅時段（{time}）。",
            "{school}：因為{signal}，今日停課，學生留喺屋企。",
            "{school}：提提各位家長，{amount}學費{date}前要交㗎，可以用繳費靈或者去銀行櫃位俾。",
        ],
    ),
)

FAMILIES: tuple[MessageFamily, ...] = _SCAM_FAMILIES + _HAM_FAMILIES
"""All message families (scam first, then ham)."""


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _family_rng(seed: int, family_id: str, lang: str) -> random.Random:
    # String seeds are hashed with SHA-512 by ``random.Random``: stable across processes and
    # independent of PYTHONHASHSEED, and each (family, language) stream is independent of the
    # others, so adding a family never changes the messages of another one.
    return random.Random(f"hk_messages/{seed}/{family_id}/{lang}")


def _generate_one(
    family: MessageFamily, lang: str, template_idx: int, rng: random.Random, seen: set[str]
) -> tuple[str, list[str]]:
    templates = family.templates[lang]
    text, pii = "", []
    for attempt in range(_MAX_ATTEMPTS):
        # Re-draw the slots of the scheduled template first; if that keeps colliding with an
        # earlier message, fall back to a random template of the family.
        idx = template_idx if attempt < _MAX_ATTEMPTS // 2 else rng.randrange(len(templates))
        ctx = _Ctx(rng, lang, family.fixed)
        text = _render(templates[idx], ctx)
        pii = ctx.pii
        if text not in seen:
            break
    seen.add(text)
    return text, list(pii)


def generate_hk_messages(seed: int = 7, per_family: int = 30) -> pd.DataFrame:
    """Generate the synthetic Hong Kong scam / ham message corpus.

    Args:
        seed: Seed of the generator; the same seed always yields the same frame.
        per_family: Number of messages per family *per language* the family supports.

    Returns:
        A frame with columns ``text`` (str), ``label`` (int, 1 = scam, 0 = ham), ``language``
        (one of :data:`LANGUAGES`), ``family`` (family id), ``topic`` and ``pii_values``
        (list of the exact synthetic personal identifiers inserted into ``text``). Rows are
        ordered by family id, then language in :data:`LANGUAGES` order, then generation order,
        with a fresh ``RangeIndex``. Templates of a family are used in shuffled round-robin
        order, so every template appears once ``per_family`` reaches the template count.

    Raises:
        ValueError: If ``per_family`` is not a positive integer.
    """
    if isinstance(per_family, bool) or not isinstance(per_family, int) or per_family < 1:
        raise ValueError(f"per_family must be a positive int, got {per_family!r}")
    rows: list[tuple[str, int, str, str, str, list[str]]] = []
    for family in sorted(FAMILIES, key=lambda f: f.id):
        for lang in family.languages:
            rng = _family_rng(seed, family.id, lang)
            seen: set[str] = set()
            schedule: list[int] = []
            for _ in range(per_family):
                if not schedule:  # balanced use of templates: shuffled round-robin
                    schedule = list(range(len(family.templates[lang])))
                    rng.shuffle(schedule)
                text, pii = _generate_one(family, lang, schedule.pop(), rng, seen)
                rows.append((text, family.label, lang, family.id, family.topic, pii))
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    frame["label"] = frame["label"].astype("int64")
    return frame


def _split_ok(
    test_ids: set[str], cover: Mapping[str, set[tuple[str, int]]], needed: set[tuple[str, int]]
) -> bool:
    test_cover: set[tuple[str, int]] = set()
    train_cover: set[tuple[str, int]] = set()
    for fam_id, pairs in cover.items():
        (test_cover if fam_id in test_ids else train_cover).update(pairs)
    return needed <= test_cover and needed <= train_cover


def split_by_family(
    df: pd.DataFrame, test_fraction: float = 0.3, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a corpus into train / test by holding out *whole* families.

    Every family ends up entirely in train or entirely in test. Scam and ham families are
    sampled separately (about ``test_fraction`` of each go to test), and the sample is
    re-drawn until both sides contain both labels in every language of ``df``.

    Args:
        df: A frame with at least ``family``, ``label`` and ``language`` columns, e.g. from
            :func:`generate_hk_messages`.
        test_fraction: Fraction of the families of each label to hold out, in (0, 1).
        seed: Seed of the family sampling; the split is deterministic for a given seed.

    Returns:
        ``(train, test)`` frames, each with a fresh ``RangeIndex`` and the row order of ``df``.

    Raises:
        ValueError: If the arguments are invalid, a family has mixed labels, a label has fewer
            than two families, or no split covering every language and label exists.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    missing = {"family", "label", "language"} - set(df.columns)
    if missing:
        raise ValueError(f"df lacks columns {sorted(missing)}")
    labels_per_family = df.groupby("family")["label"].nunique()
    mixed = sorted(labels_per_family[labels_per_family > 1].index)
    if mixed:
        raise ValueError(f"families with mixed labels: {mixed}")

    cover: dict[str, set[tuple[str, int]]] = {}
    family_label: dict[str, int] = {}
    for fam_id, lang, label in (
        df[["family", "language", "label"]].drop_duplicates().itertuples(index=False)
    ):
        cover.setdefault(str(fam_id), set()).add((str(lang), int(label)))
        family_label[str(fam_id)] = int(label)
    needed = {pair for pairs in cover.values() for pair in pairs}

    by_label = {
        label: sorted(f for f, lab in family_label.items() if lab == label) for label in (HAM, SCAM)
    }
    for label, fams in by_label.items():
        if len(fams) < 2:
            raise ValueError(f"need at least two families with label {label}, got {len(fams)}")
    n_test = {
        label: min(len(fams) - 1, max(1, round(test_fraction * len(fams))))
        for label, fams in by_label.items()
    }

    rng = random.Random(f"split_by_family/{seed}")
    for _ in range(1_000):
        test_ids = {f for label, fams in by_label.items() for f in rng.sample(fams, n_test[label])}
        if _split_ok(test_ids, cover, needed):
            break
    else:
        raise ValueError("could not find a family split covering every language and label")

    is_test = df["family"].isin(test_ids)
    return df[~is_test].reset_index(drop=True), df[is_test].reset_index(drop=True)
