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

The words are data, beside this module in ``data/hk_messages/``: ``families/<id>.yaml`` holds
one family's templates per language, ``slots.yaml`` the values of the slots (names, places,
brands, lookalike-link tokens ...). This module owns the rules: how a slot is drawn, formatted
and recorded as personal data. A malformed data file is a DataError naming the file and key.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator

from sandbox import DataError
from sandbox.privacy.checksums import hkid_check_digit

__all__ = [
    "DATA_DIR",
    "FAMILIES",
    "HAM",
    "LANGUAGES",
    "SCAM",
    "MessageFamily",
    "SlotValues",
    "generate_hk_messages",
    "load_families",
    "load_slot_values",
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

DATA_DIR = Path(__file__).resolve().parent / "data" / "hk_messages"
"""Where the templates (``families/*.yaml``) and slot values (``slots.yaml``) live."""


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


def _pool_slot(pool: Pool) -> SlotFn:
    return lambda ctx, _key: ctx.text(pool)


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
# Data files (data/hk_messages/): typed, validated, errors name the file and the key
# ---------------------------------------------------------------------------------------------

_M = TypeVar("_M", bound=BaseModel)
Words = Annotated[list[StrictStr], Field(min_length=1)]
"""A non-empty list of strings (in YAML, quote values such as ``'24'`` that look like numbers)."""

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_RECORD_KEYS: Mapping[str, tuple[str, ...]] = {
    "bank": ("name_en", "app_en", "sender"),
    "courier": ("name_en", "parcel"),
    "telco": ("name_en",),
    "stream": ("name_en",),
    "shop": ("name_en",),
    "gov": (),
    "toll": (),
}
"""Record kinds of ``slots.yaml`` and the keys each record of the kind must have. A kind with
``name_en`` gets a ``{kind}`` slot (its localised name); every kind gets ``{kind}_site`` (the
real site) and ``{kind}_link`` (a lookalike URL)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _PoolValues(_Strict):
    """One slot's values per language; Cantonese falls back to written Chinese."""

    en: Words
    zh_hant: Words = Field(alias="zh-Hant")
    yue: Words | None = None

    def pool(self) -> Pool:
        yue = self.yue if self.yue is not None else self.zh_hant
        return {"en": tuple(self.en), "zh-Hant": tuple(self.zh_hant), "yue": tuple(yue)}


class _Record(_Strict):
    """A brand or institution; ``name_zh`` / ``name_yue`` and ``app_zh`` fall back to English."""

    token: StrictStr
    domain: StrictStr
    name_en: StrictStr | None = None
    name_zh: StrictStr | None = None
    name_yue: StrictStr | None = None
    app_en: StrictStr | None = None
    app_zh: StrictStr | None = None
    sender: StrictStr | None = None
    parcel: StrictStr | None = None


class SlotValues(_Strict):
    """The contents of ``slots.yaml``: every value a slot can draw that is not a number format."""

    surnames: Annotated[list[tuple[StrictStr, StrictStr]], Field(min_length=1)]
    """(Chinese character, romanisation) pairs."""
    given_chars: Annotated[list[tuple[StrictStr, StrictStr]], Field(min_length=1)]
    english_given: Words
    foreign_names: Words
    email_domains: Words
    url_words: Words
    url_tlds: Words
    shorteners: Words
    records: dict[StrictStr, Annotated[list[_Record], Field(min_length=1)]]
    """Record kind (see ``_RECORD_KEYS``) -> its brands or institutions."""
    scam_tokens: dict[StrictStr, dict[StrictStr, Words]]
    """Record kind -> record token -> lookalike tokens, for kinds whose links do not reuse the
    record's own token."""
    links: dict[StrictStr, Words]
    """Link slot -> lookalike tokens, for links with no brand record."""
    choices: dict[StrictStr, Words]
    """Slot -> values, the same in every language."""
    pools: dict[StrictStr, _PoolValues]
    """Slot -> values per language."""

    @model_validator(mode="after")
    def _consistent(self) -> SlotValues:
        if set(self.records) != set(_RECORD_KEYS):
            raise ValueError(
                f"records must list exactly the kinds {sorted(_RECORD_KEYS)}, "
                f"got {sorted(self.records)}"
            )
        for kind, table in self.records.items():
            for index, record in enumerate(table):
                missing = [key for key in _RECORD_KEYS[kind] if getattr(record, key) is None]
                if missing:
                    raise ValueError(f"records.{kind}[{index}] lacks {', '.join(missing)}")
        for kind, lookalikes in self.scam_tokens.items():
            tokens = {record.token for record in self.records.get(kind, ())}
            if set(lookalikes) != tokens:
                raise ValueError(
                    f"scam_tokens.{kind} must have one entry per {kind} record token "
                    f"{sorted(tokens)}, got {sorted(lookalikes)}"
                )
        if "stock_name" not in self.pools:
            raise ValueError("pools.stock_name is missing (the company names of {stock})")
        return self


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if part != "[key]"]  # a bad mapping key
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        key = key.lstrip(".") or "(top level)"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        parts.append(f"{key}: {message.removeprefix('Value error, ')}")
    return "; ".join(parts)


def _validated(model: type[_M], path: Path) -> _M:
    """``path`` read as YAML and validated by ``model``; any problem is a DataError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}; restore the file") from None
    try:
        loaded = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (C when available)
    except yaml.YAMLError as exc:
        raise DataError(f"{path} is not valid YAML: {exc}") from None
    try:
        return model.model_validate(loaded)
    except ValidationError as exc:
        raise DataError(f"{path}: {_describe(exc)}") from None


def load_slot_values(path: Path = DATA_DIR / "slots.yaml") -> SlotValues:
    """Read and validate a slot-values file (by default the one the generator uses).

    Raises:
        DataError: The file is missing, not YAML, or a key is unknown, missing or malformed;
            the message names the file and the key.
    """
    return _validated(SlotValues, path)


_VALUES = load_slot_values()
_POOLS: Mapping[str, Pool] = {name: values.pool() for name, values in _VALUES.pools.items()}
_RECORDS: Mapping[str, tuple[Record, ...]] = {
    kind: tuple(record.model_dump(exclude_none=True) for record in table)
    for kind, table in _VALUES.records.items()
}


# ---------------------------------------------------------------------------------------------
# People and personal identifiers (all synthetic)
# ---------------------------------------------------------------------------------------------


def _person(ctx: _Ctx, key: str) -> Record:
    cache_key = f"person#{key}"
    if cache_key not in ctx.records:
        rng = ctx.rng
        surname = _VALUES.surnames[rng.randrange(len(_VALUES.surnames))]
        g1 = _VALUES.given_chars[rng.randrange(len(_VALUES.given_chars))]
        g2 = _VALUES.given_chars[rng.randrange(len(_VALUES.given_chars))]
        ctx.records[cache_key] = {
            "sur_zh": surname[0],
            "sur_en": surname[1],
            "given_zh": g1[0] + g2[0],
            "given_en": f"{g1[1]} {g2[1]}",
            "english": _VALUES.english_given[rng.randrange(len(_VALUES.english_given))],
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
    return ctx.add_pii(title + ctx.pick(_VALUES.foreign_names))


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
    return ctx.add_pii(f"{local}@{ctx.pick(_VALUES.email_domains)}")


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
    name = ctx.text(_POOLS["stock_name"])
    return f"{name} ({code})" if ctx.lang == "en" else f"{name}（{code}）"


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------


def _scam_url(ctx: _Ctx, token: str) -> str:
    if ctx.rng.random() < 0.22:
        return (
            f"{ctx.pick(('https://', '', 'http://'))}{ctx.pick(_VALUES.shorteners)}/{ctx.alnum(7)}"
        )
    word = ctx.pick(_VALUES.url_words)
    tld = ctx.pick(_VALUES.url_tlds)
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
# Brand / institution records, lookalike links, value pools and choices (slots.yaml)
# ---------------------------------------------------------------------------------------------


def _record_slots(kind: str) -> None:
    table = _RECORDS[kind]
    lookalikes = _VALUES.scam_tokens.get(kind)

    def name(ctx: _Ctx, key: str) -> str:
        return ctx.loc(ctx.record(kind, table, key), "name")

    def site(ctx: _Ctx, key: str) -> str:
        return _official_url(ctx, ctx.record(kind, table, key)["domain"])

    def link(ctx: _Ctx, key: str) -> str:
        token = ctx.record(kind, table, key)["token"]
        return _scam_url(ctx, token if lookalikes is None else ctx.pick(lookalikes[token]))

    if "name_en" in _RECORD_KEYS[kind]:
        _SLOTS[kind] = name
    _SLOTS[f"{kind}_site"] = site
    _SLOTS[f"{kind}_link"] = link


@_slot("bank_app")
def _bank_app(ctx: _Ctx, key: str) -> str:
    return ctx.loc(ctx.record("bank", _RECORDS["bank"], key), "app")


@_slot("bank_sender")
def _bank_sender(ctx: _Ctx, key: str) -> str:
    return ctx.record("bank", _RECORDS["bank"], key)["sender"]


@_slot("parcel")
def _parcel(ctx: _Ctx, key: str) -> str:
    kind = ctx.record("courier", _RECORDS["courier"], key)["parcel"]
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


def _choice_slot(values: Sequence[str]) -> SlotFn:
    return lambda ctx, _key: ctx.pick(values)


def _data_slots() -> None:
    """Register the slots that ``slots.yaml`` defines: records, links, choices and pools."""
    for kind in _RECORD_KEYS:
        _record_slots(kind)
    defined: list[tuple[str, str, SlotFn]] = [
        *((f"links.{n}", n, _link_slot(tokens)) for n, tokens in _VALUES.links.items()),
        *((f"choices.{n}", n, _choice_slot(values)) for n, values in _VALUES.choices.items()),
        *((f"pools.{n}", n, _pool_slot(pool)) for n, pool in _POOLS.items()),
    ]
    for key, name, fn in defined:
        if name in _SLOTS or _SLOT_RE.fullmatch(name) is None or name[-1].isdigit():
            problem = f"{{{name}}} is already a slot or not a slot name (a-z and _)"
            raise DataError(f"{DATA_DIR / 'slots.yaml'}: {key}: {problem}")
        _SLOTS[name] = fn


_data_slots()


# ---------------------------------------------------------------------------------------------
# Families (data/hk_messages/families/<id>.yaml)
# ---------------------------------------------------------------------------------------------


class _FamilyFile(_Strict):
    """One family file; its id is the file name, ``scam.*`` or ``ham.*``."""

    topic: StrictStr
    description: StrictStr
    fixed: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    templates: dict[Literal["en", "zh-Hant", "yue"], Words]


def _template_problem(template: str) -> str | None:
    try:
        slots = _template_slots(template)
    except ValueError as exc:
        return f"not a template ({exc})"
    for slot in slots:
        match = _SLOT_RE.match(slot)
        if match is None or match.group(1) not in _SLOTS:
            return f"unknown slot {{{slot}}}"
    return None


def _load_family(path: Path) -> MessageFamily:
    spec = _validated(_FamilyFile, path)
    problems = [
        f"templates.{lang}[{index}]: {problem}"
        for lang, templates in spec.templates.items()
        for index, template in enumerate(templates)
        if (problem := _template_problem(template)) is not None
    ]
    for kind, token in spec.fixed.items():
        tokens = [record["token"] for record in _RECORDS.get(kind, ())]
        if token not in tokens:
            known = f"known: {', '.join(tokens)}" if tokens else f"kinds: {', '.join(_RECORDS)}"
            problems.append(f"fixed.{kind}: unknown {kind} {token!r}; {known}")
    family_id = path.name.removesuffix(".yaml")
    if not family_id.startswith(("scam.", "ham.")):
        problems.append("the file name (the family id) must start with scam. or ham.")
    if problems:
        raise DataError(f"{path}: {'; '.join(problems)}")
    try:
        return MessageFamily(
            id=family_id,
            label=SCAM if family_id.startswith("scam.") else HAM,
            topic=spec.topic,
            templates=dict(spec.templates),
            description=spec.description,
            fixed=spec.fixed,
        )
    except ValueError as exc:
        raise DataError(f"{path}: {exc}") from None


def load_families(directory: Path = DATA_DIR / "families") -> tuple[MessageFamily, ...]:
    """Read and validate every ``*.yaml`` family file of ``directory``: scam first, then ham.

    Raises:
        DataError: There is no family file, or one is not YAML, has an unknown, missing or
            malformed key, uses an unknown slot or record, or has an id (file name) that does
            not start with ``scam.`` or ``ham.``; the message names the file and the key.
    """
    paths = sorted(Path(directory).glob("*.yaml"))
    if not paths:
        raise DataError(f"no message family files (*.yaml) in {directory}")
    return tuple(sorted((_load_family(p) for p in paths), key=lambda f: (f.label != SCAM, f.id)))


FAMILIES: tuple[MessageFamily, ...] = load_families()
"""All message families (scam first, then ham, each in id order)."""


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
