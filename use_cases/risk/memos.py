"""Seeded credit memos and borrower news in English and Traditional Chinese.

Real credit memos are confidential, so ``risk/memo_signals`` writes its own: one memo per German
Credit applicant, from the applicant's structured facts (amount, duration, purpose, employment,
housing) plus hidden risk signals that the structured data do not carry. Each signal is drawn
more often for applicants who defaulted than for those who repaid (:data:`SIGNAL_RATES`), so
text that states a signal carries real information about default beyond the structured inputs,
and no more than the rates put there. Memos also carry negated mentions ("a court search found no
claims") that a keyword reader mistakes for signals, and synthetic personal data (names, HKID
numbers with valid check characters, +852 phone numbers) that the PII guard must remove before
any model reads the text.

The output is one row per sentence (:func:`generate_memos`): applicant, position, language,
sentence, and which signal the sentence states (``none`` for facts and negations), so that flag
extraction can be checked per applicant and each citation per sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sandbox.privacy.checksums import hkid_check_digit

SIGNALS = ("late_payments", "litigation", "sector_distress", "related_party", "adverse_news")
"""Hidden risk signals, in the order of the flag columns."""

SIGNAL_RATES: dict[str, tuple[float, float]] = {
    "late_payments": (0.08, 0.30),
    "litigation": (0.04, 0.15),
    "sector_distress": (0.12, 0.25),
    "related_party": (0.04, 0.12),
    "adverse_news": (0.03, 0.10),
}
"""signal -> (rate among applicants who repaid, rate among applicants who defaulted)."""

SIGNAL_WORDS = {
    "late_payments": "late payments",
    "litigation": "litigation",
    "sector_distress": "sector distress",
    "related_party": "related-party transactions",
    "adverse_news": "a director's adverse news",
}

_SURNAMES = ("Chan", "Wong", "Lee", "Cheung", "Lau", "Ho", "Ng", "Leung", "Tam", "Yip", "Kwok")
_GIVEN = ("Tai Man", "Siu Ming", "Ka Yan", "Wing Kei", "Chi Keung", "Mei Ling", "Hoi Yan")
_ZH_SURNAMES = ("陳", "黃", "李", "張", "劉", "何", "吳", "梁", "譚", "葉", "郭")
_ZH_GIVEN = ("大文", "小明", "嘉欣", "永基", "志強", "美玲", "凱欣", "家豪", "詠詩")
_SECTORS = (
    ("retail", "零售"),
    ("restaurant", "飲食"),
    ("tourism", "旅遊"),
    ("construction", "建造"),
    ("logistics", "物流"),
    ("property agency", "地產代理"),
)
_PURPOSES = {
    "car (new)": ("a new car", "購買新車"),
    "car (used)": ("a used car", "購買二手車"),
    "furniture/equipment": ("furniture", "購置傢俬"),
    "radio/television": ("home electronics", "購置家庭電器"),
    "domestic appliances": ("domestic appliances", "購置家居用品"),
    "repairs": ("home repairs", "家居維修"),
    "education": ("tuition fees", "支付學費"),
    "retraining": ("a retraining course", "進修課程"),
    "business": ("working capital for a small business", "小型生意的營運資金"),
    "others": ("personal expenses", "個人開支"),
}
_EMPLOYMENT = {
    "unemployed": ("is currently not employed", "目前沒有工作"),
    "... < 1 year": ("joined the current employer less than a year ago", "現職未滿一年"),
    "1 <= ... < 4 years": ("has been with the current employer for 1 to 4 years", "現職一至四年"),
    "4 <= ... < 7 years": ("has been with the current employer for 4 to 7 years", "現職四至七年"),
    "... >= 7 years": ("has been with the current employer for over 7 years", "現職超過七年"),
}
_HOUSING = {
    "own": ("owns the flat they live in", "居於自置物業"),
    "rent": ("rents a flat", "租住單位"),
    "for free": ("lives with family without paying rent", "與家人同住，毋須交租"),
}

# Templates: {m} months, {n} a count, {k} HK$ thousands, {s} a sector, {c} a court.
_STATES: dict[str, dict[str, tuple[str, ...]]] = {
    "late_payments": {
        "en": (
            "The credit report shows {n} repayments more than 30 days overdue in the last {m} "
            "months.",
            "Card statements show the minimum payment was missed {n} times this year.",
            "The applicant fell behind on a personal loan and was {n} instalments in arrears "
            "until recently.",
            "Our collections team contacted the applicant about overdue card balances in {m} of "
            "the past 12 months.",
        ),
        "zh": (
            "信貸報告顯示，申請人過去{m}個月有{n}次還款逾期超過30天。",
            "信用卡月結單顯示，申請人今年有{n}次未有繳付最低還款額。",
            "申請人曾拖欠私人貸款{n}期供款，最近才補回。",
            "本行追收部門過去一年曾{n}次就信用卡欠款聯絡申請人。",
        ),
    },
    "litigation": {
        "en": (
            "A search of the {c} found a pending claim for HK$ {k},000 against the applicant.",
            "The applicant is a defendant in a civil action brought by a finance company.",
            "A writ was served on the applicant last year over an unpaid debt of HK$ {k},000.",
            "Court records list a judgment against the applicant that remains unsatisfied.",
        ),
        "zh": (
            "查冊發現，{c}有一宗針對申請人、金額港幣{k},000元的待決申索。",
            "申請人是一宗由財務公司提出的民事訴訟的被告。",
            "申請人去年因拖欠港幣{k},000元債務被發出令狀。",
            "法院紀錄顯示申請人有一項尚未履行的敗訴判決。",
        ),
    },
    "sector_distress": {
        "en": (
            "The applicant works in {s}, where several employers have cut staff this quarter.",
            "The employer, a {s} business, has announced a pay freeze and shorter hours.",
            "Orders in the applicant's {s} business fell by about {n}0% since last year.",
            "The {s} trade the applicant depends on is under severe pressure from falling demand.",
        ),
        "zh": (
            "申請人任職{s}業，該行業本季有多間公司裁員。",
            "申請人的僱主是{s}公司，已宣布凍薪及縮短工時。",
            "申請人經營的{s}生意訂單較去年下跌約{n}0%。",
            "申請人賴以維生的{s}業需求急跌，經營十分困難。",
        ),
    },
    "related_party": {
        "en": (
            "HK$ {k},000 was transferred to a company controlled by the applicant's brother "
            "without a clear business purpose.",
            "Part of the previous loan was lent on to a firm in which the applicant is a director.",
            "The applicant's account received repeated round-sum transfers from a company "
            "owned by a relative.",
            "The applicant guarantees the debts of a family-owned company that shares the "
            "same address.",
        ),
        "zh": (
            "申請人曾將港幣{k},000元轉賬至其胞兄控制的公司，用途不明。",
            "上一筆貸款部分資金被轉借予申請人擔任董事的公司。",
            "申請人戶口多次收到親屬公司轉入的整數款項。",
            "申請人為一間與其同址的家族公司的債務作擔保。",
        ),
    },
    "adverse_news": {
        "en": (
            "News report: a director of the applicant's company was arrested on suspicion of "
            "fraud.",
            "Press coverage this month names the applicant's business partner in a money "
            "laundering probe.",
            "A local newspaper reports that the company the applicant directs is being "
            "investigated for unpaid wages.",
            "Media reports say a fellow director of the applicant faces bribery charges.",
        ),
        "zh": (
            "新聞報道：申請人所屬公司的一名董事涉嫌詐騙被捕。",
            "本月有報章報道申請人的生意夥伴涉及洗黑錢調查。",
            "本地報章報道申請人出任董事的公司因拖欠工資被調查。",
            "傳媒報道申請人的另一名董事同事被控行賄。",
        ),
    },
}
"""Sentences that state each signal."""

_NEGATIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "late_payments": {
        "en": (
            "The credit report shows no overdue repayments in the last {m} months.",
            "All card and loan instalments were paid on time this year.",
        ),
        "zh": (
            "信貸報告顯示，申請人過去{m}個月沒有任何逾期還款。",
            "申請人今年所有供款均準時繳付。",
        ),
    },
    "litigation": {
        "en": (
            "A search of the {c} found no claims against the applicant.",
            "The applicant is not a party to any court proceedings.",
        ),
        "zh": (
            "查冊未發現{c}有針對申請人的申索。",
            "申請人並無涉及任何法律訴訟。",
        ),
    },
    "sector_distress": {
        "en": (
            "The {s} sector where the applicant works reports stable hiring.",
            "The employer's business is steady, with no announced job cuts.",
        ),
        "zh": (
            "申請人任職的{s}業招聘情況穩定。",
            "僱主業務平穩，並無裁員計劃。",
        ),
    },
    "related_party": {
        "en": (
            "No transfers to companies linked to the applicant's family were found.",
            "The applicant holds no directorships and guarantees no company debts.",
        ),
        "zh": (
            "未發現申請人與家族相關公司之間有任何轉賬。",
            "申請人並無出任董事，亦無為公司債務作擔保。",
        ),
    },
    "adverse_news": {
        "en": (
            "A media search found no adverse news about the applicant or their business.",
            "No press reports link the applicant's associates to any investigation.",
        ),
        "zh": (
            "傳媒搜尋未發現有關申請人或其生意的負面新聞。",
            "沒有報道指申請人的合作夥伴涉及任何調查。",
        ),
    },
}
"""Sentences that deny each signal: they name the signal's topic and must not raise the flag."""

_COURTS = (("District Court", "區域法院"), ("High Court", "高等法院"))
_CLOSINGS = {
    "en": (
        "The file goes to the credit committee for a decision.",
        "Income documents were verified against payroll records.",
        "The relationship manager recommends a standard review.",
    ),
    "zh": ("本個案將交信貸委員會審批。", "收入證明已與糧單核對。", "客戶經理建議按一般程序審批。"),
}


def synthetic_hkid(rng: np.random.Generator) -> str:
    """A synthetic HKID number with a valid check character, e.g. ``K123456(3)``."""
    prefix = "ACDEGHKMPRVYZ"[int(rng.integers(13))]
    digits = "".join(str(d) for d in rng.integers(0, 10, size=6))
    return f"{prefix}{digits}({hkid_check_digit(prefix, digits)})"


def synthetic_phone(rng: np.random.Generator) -> str:
    """A synthetic Hong Kong mobile number, e.g. ``+852 9123 4567``."""
    first = "569"[int(rng.integers(3))]
    rest = "".join(str(d) for d in rng.integers(0, 10, size=7))
    return f"+852 {first}{rest[:3]} {rest[3:]}"


def draw_signals(bad: Sequence[int], seed: int) -> pd.DataFrame:
    """Hidden signals per applicant (0/1 columns named as :data:`SIGNALS`), drawn with
    :data:`SIGNAL_RATES` given whether the applicant defaulted."""
    rng = np.random.default_rng([seed, 1])
    bad = np.asarray(bad, dtype=int)
    return pd.DataFrame(
        {
            signal: (rng.random(len(bad)) < np.where(bad == 1, rates[1], rates[0])).astype(int)
            for signal, rates in SIGNAL_RATES.items()
        }
    )


def _fill(template: str, rng: np.random.Generator, language: str) -> str:
    sector = _SECTORS[int(rng.integers(len(_SECTORS)))]
    court = _COURTS[int(rng.integers(len(_COURTS)))]
    zh = language == "zh"
    return template.format(
        m=int(rng.integers(3, 13)),
        n=int(rng.integers(2, 6)),
        k=int(rng.integers(20, 900)),
        s=sector[1] if zh else sector[0],
        c=court[1] if zh else f"{court[0]} records",
    )


def _pick(options: Sequence[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _facts(row: pd.Series, language: str, rng: np.random.Generator) -> list[str]:
    """Opening sentences from the applicant's structured facts, with synthetic personal data."""
    amount = int(round(float(row["credit_amount"]) * 8, -2))
    months = int(row["duration_in_month"])
    purpose = _PURPOSES.get(str(row["purpose"]), _PURPOSES["others"])
    employment = _EMPLOYMENT.get(str(row["present_employment_since"]), _EMPLOYMENT["unemployed"])
    housing = _HOUSING.get(str(row["housing"]), _HOUSING["rent"])
    hkid, phone = synthetic_hkid(rng), synthetic_phone(rng)
    if language == "zh":
        name = _pick(_ZH_SURNAMES, rng) + _pick(_ZH_GIVEN, rng)
        return [
            f"申請人{name}（身份證號碼{hkid}）申請港幣{amount:,}元貸款，為期{months}個月，"
            f"用途為{purpose[1]}。",
            f"申請人{employment[1]}，{housing[1]}。",
            f"聯絡電話：{phone}。",
        ]
    name = f"{_pick(_SURNAMES, rng)} {_pick(_GIVEN, rng)}"
    return [
        f"{name} (HKID {hkid}) applies for HK$ {amount:,} over {months} months for {purpose[0]}.",
        f"The applicant {employment[0]} and {housing[0]}.",
        f"Contact number on file: {phone}.",
    ]


def generate_memos(
    applicants: pd.DataFrame,
    signals: pd.DataFrame,
    *,
    seed: int,
    zh_share: float = 0.4,
    negation_rate: float = 0.35,
) -> pd.DataFrame:
    """One memo per applicant, one row per sentence.

    Args:
        applicants: German Credit rows (``credit_amount``, ``duration_in_month``, ``purpose``,
            ``present_employment_since``, ``housing``), in applicant order.
        signals: :func:`draw_signals` for the same applicants.
        seed: Fixes languages, wording and personal data.
        zh_share: Share of memos written in Traditional Chinese.
        negation_rate: Chance that a memo denies each signal the applicant does not have.

    Returns:
        Columns ``applicant`` (row position), ``position`` (sentence order), ``language``
        (``en`` / ``zh``), ``text`` (raw: contains synthetic personal data) and ``states``
        (the signal the sentence states, or ``none``).
    """
    if len(applicants) != len(signals):
        raise ValueError("applicants and signals differ in length")
    rng = np.random.default_rng([seed, 2])
    rows: list[tuple[int, int, str, str, str]] = []
    for index in range(len(applicants)):
        language = "zh" if rng.random() < zh_share else "en"
        facts = _facts(applicants.iloc[index], language, rng)
        body: list[tuple[str, str]] = []
        for signal in SIGNALS:
            if signals[signal].iat[index]:
                template = _pick(_STATES[signal][language], rng)
                body.append((_fill(template, rng, language), signal))
            elif rng.random() < negation_rate:
                template = _pick(_NEGATIONS[signal][language], rng)
                body.append((_fill(template, rng, language), "none"))
        order = rng.permutation(len(body))
        sentences = [(text, "none") for text in facts]
        sentences += [body[i] for i in order]
        sentences.append((_pick(_CLOSINGS[language], rng), "none"))
        rows += [
            (index, position, language, text, states)
            for position, (text, states) in enumerate(sentences)
        ]
    return pd.DataFrame(rows, columns=["applicant", "position", "language", "text", "states"])


def memo_text(sentences: pd.DataFrame) -> pd.Series:
    """Whole memos from sentence rows (``applicant``, ``position``, ``language``, ``text``)."""
    ordered = sentences.sort_values(["applicant", "position"])
    return ordered.groupby("applicant", sort=True).apply(
        lambda part: ("" if part["language"].iat[0] == "zh" else " ").join(part["text"]),
        include_groups=False,
    )
