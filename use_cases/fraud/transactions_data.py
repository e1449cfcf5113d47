"""Synthetic Hong Kong retail-banking transactions with fraud typologies, and leakage-free features.

No open Hong Kong transaction-fraud data set exists, so this module simulates one. A seeded
population of customers (age band, sex, district weighted by population, income band, account
open date, usual devices, channel mix) makes legitimate transactions over four channels (FPS,
card, online transfer, ATM) with lognormal amounts, a daytime-peaked time-of-day profile and
habitual payees. Hard negatives are built in on purpose so that no single column separates fraud
from legitimate activity: legitimate new payees, rent and tuition-sized transfers, staged
instalments to a new payee, phone upgrades (new devices), daily-limit changes, night-owl
customers, bill-splitting fan-in, online sellers that receive many FPS payments and pay suppliers,
and false Scameter / FPS Suspicious Proxy ID alerts.

Four fraud typologies are injected, one case at a time:

1. ``mule_fan_in``: a (usually young, newly opened) stooge account receives many small FPS
   transfers from different senders within hours and passes the money on. The victims' inbound
   transfers (senders that are customers of this bank) and the mule's outbound transfers are fraud.
2. ``account_takeover``: a new device, a recent daily-limit raise, a new payee and large transfers,
   often at unusual hours, draining most of the balance.
3. ``suspicious_proxy_alert``: FPS transfers to a proxy id flagged by the Suspicious Proxy ID alert
   (``payee_alert_flag`` = 1), made despite the warning.
4. ``scam_victim_escalation``: an investment / romance-scam victim (more often older) sends 3-8
   escalating transfers (x1.5-3 each) to a new payee over days to weeks.

:func:`build_features` computes model features from information available at or before each
transaction's timestamp only, and :func:`temporal_split` splits train / test by time.

The fairness attributes ``age_band``, ``sex`` and ``district`` are merged into the transactions
frame for later fairness checks; they are not model features.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AGE_BANDS",
    "CATEGORICAL_COLUMNS",
    "CHANNELS",
    "DISTRICTS",
    "FAIRNESS_COLUMNS",
    "FEATURE_COLUMNS",
    "LABEL_COLUMN",
    "TYPOLOGIES",
    "TYPOLOGY_COLUMN",
    "TransactionSimConfig",
    "build_features",
    "generate_transactions",
    "temporal_split",
]

# --------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------

CHANNELS: tuple[str, ...] = ("FPS", "card", "online_transfer", "atm")
"""Transaction channels, in the order of their internal integer codes."""

PROXY_TYPES: tuple[str, ...] = ("", "mobile", "email", "FPS ID", "account")
"""Payee proxy id types ("" for card and ATM), in the order of their internal codes."""

TYPOLOGIES: tuple[str, ...] = (
    "none",
    "mule_fan_in",
    "account_takeover",
    "suspicious_proxy_alert",
    "scam_victim_escalation",
)
"""Values of the ``typology`` column ("none" for legitimate transactions)."""

AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
SEXES: tuple[str, ...] = ("F", "M")
INCOME_BANDS: tuple[str, ...] = ("<15k", "15k-30k", "30k-60k", "60k-100k", "100k+")
"""Monthly income bands in HKD."""

# 18 District Council districts with approximate 2021 census population (thousands).
_DISTRICT_POP: dict[str, float] = {
    "Central and Western": 235,
    "Wan Chai": 166,
    "Eastern": 529,
    "Southern": 263,
    "Yau Tsim Mong": 310,
    "Sham Shui Po": 431,
    "Kowloon City": 410,
    "Wong Tai Sin": 406,
    "Kwun Tong": 673,
    "Kwai Tsing": 495,
    "Tsuen Wan": 320,
    "Tuen Mun": 506,
    "Yuen Long": 668,
    "North": 310,
    "Tai Po": 316,
    "Sha Tin": 692,
    "Sai Kung": 489,
    "Islands": 185,
}
DISTRICTS: tuple[str, ...] = tuple(_DISTRICT_POP)

LABEL_COLUMN = "is_fraud"
TYPOLOGY_COLUMN = "typology"
FAIRNESS_COLUMNS: tuple[str, ...] = ("age_band", "sex", "district")
"""Customer attributes merged into the transactions for fairness checks; never model features."""

FEATURE_COLUMNS: tuple[str, ...] = (
    "log_amount",
    "hour",
    "is_night",
    "is_weekend",
    "amount_to_cust_median",
    "cust_prior_txn_count",
    "hours_since_prev_txn",
    "cust_txn_count_1h",
    "cust_amount_sum_1h",
    "cust_txn_count_24h",
    "cust_amount_sum_24h",
    "cust_inbound_count_24h",
    "cust_inbound_sum_24h",
    "inbound_to_balance_24h",
    "payee_distinct_senders_24h",
    "payee_prior_txn_count",
    "is_new_payee",
    "cust_payee_prior_count",
    "days_since_first_payee_txn",
    "amount_to_prev_same_payee",
    "is_new_device",
    "payee_alert_flag",
    "limit_change_hours_ago",
    "limit_changed_24h",
    "amount_to_balance",
    "log_balance",
    "log_account_age_days",
)
"""Numeric model features produced by :func:`build_features` (no NaN)."""

CATEGORICAL_COLUMNS: tuple[str, ...] = ("channel", "payee_proxy_type", "mcc")
"""Categorical model features produced by :func:`build_features` (strings, "" = not applicable)."""

LIMIT_CHANGE_CAP_HOURS = 720.0
"""``limit_change_hours_ago`` is NaN beyond this look-back and capped at it as a feature."""
NEW_DEVICE_WINDOW_HOURS = 72.0
"""A device counts as new for this long after its first use by the customer."""

# --------------------------------------------------------------------------------------------
# Simulation parameters (internal)
# --------------------------------------------------------------------------------------------

_FPS, _CARD, _ONLINE, _ATM = 0, 1, 2, 3
_PX_NONE, _PX_MOBILE, _PX_EMAIL, _PX_FPSID, _PX_ACCOUNT = 0, 1, 2, 3, 4
_NONE, _MULE, _ATO, _PROXY, _ESCALATION = 0, 1, 2, 3, 4
_DAY = 86_400
_HOUR = 3_600

_AGE_PROBS = np.array([0.09, 0.16, 0.18, 0.18, 0.18, 0.21])
_SEX_PROBS = np.array([0.54, 0.46])
# P(income band | age band); rows follow AGE_BANDS, columns INCOME_BANDS.
_INCOME_GIVEN_AGE = np.array(
    [
        [0.45, 0.35, 0.15, 0.04, 0.01],
        [0.12, 0.35, 0.35, 0.13, 0.05],
        [0.10, 0.25, 0.35, 0.18, 0.12],
        [0.12, 0.25, 0.32, 0.18, 0.13],
        [0.20, 0.28, 0.28, 0.14, 0.10],
        [0.45, 0.28, 0.15, 0.07, 0.05],
    ]
)
# Channel mix (FPS, card, online_transfer, atm) by age band; customers draw around these.
_CHANNEL_MIX = np.array(
    [
        [0.40, 0.45, 0.05, 0.10],
        [0.38, 0.45, 0.08, 0.09],
        [0.33, 0.45, 0.12, 0.10],
        [0.28, 0.45, 0.14, 0.13],
        [0.22, 0.43, 0.15, 0.20],
        [0.15, 0.35, 0.15, 0.35],
    ]
)
_ACTIVITY_BY_AGE = np.array([1.2, 1.2, 1.1, 1.0, 0.85, 0.6])
_INCOME_AMOUNT_SCALE = np.array([0.6, 0.85, 1.0, 1.4, 2.0])
_INCOME_BALANCE_MEDIAN = np.array([25e3, 60e3, 150e3, 350e3, 900e3])
_AGE_BALANCE_SCALE = np.array([0.4, 0.8, 1.0, 1.2, 1.4, 1.5])
# Median amount (HKD) and log-sd by channel.
_CHANNEL_MEDIAN = np.array([450.0, 220.0, 2500.0, 800.0])
_CHANNEL_SIGMA = np.array([1.1, 1.0, 1.1, 0.7])
# Relative hourly activity (legit); young customers (18-34) are more nocturnal.
_HOUR_W_STD = np.array(
    [1.0, 0.6, 0.35, 0.2, 0.15, 0.25, 0.7, 1.8, 3.2, 4.2, 4.8, 5.2]
    + [6.2, 6.0, 5.0, 4.8, 4.8, 5.2, 6.2, 6.8, 6.5, 5.5, 4.0, 2.4]
)
_HOUR_W_YOUNG = np.array(
    [2.4, 1.6, 0.9, 0.5, 0.3, 0.3, 0.5, 1.4, 2.6, 3.6, 4.2, 4.8]
    + [5.8, 5.6, 4.8, 4.6, 4.8, 5.2, 6.2, 6.8, 7.0, 6.6, 5.6, 4.0]
)
_HOUR_W_DAY = np.array([0.0] * 8 + [1.0] * 14 + [0.3, 0.0])  # office-hours style payments
# Monday..Sunday volume factors.
_DOW_FACTOR = np.array([0.97, 0.97, 0.98, 1.0, 1.08, 1.05, 0.95])
# Merchant category codes: (mcc, share of card spend count, amount factor, e-commerce probability)
_MCC_TABLE: tuple[tuple[str, float, float, float], ...] = (
    ("5411", 0.18, 1.2, 0.10),  # grocery / supermarkets
    ("5812", 0.16, 1.0, 0.05),  # restaurants
    ("5814", 0.14, 0.3, 0.05),  # fast food / cafes
    ("4111", 0.08, 0.15, 0.0),  # local transport
    ("5311", 0.06, 2.0, 0.20),  # department stores
    ("5912", 0.06, 0.8, 0.05),  # drug stores / pharmacies
    ("5691", 0.06, 2.5, 0.30),  # clothing
    ("5732", 0.04, 6.0, 0.40),  # electronics
    ("4722", 0.03, 10.0, 0.70),  # travel agencies / airlines
    ("4814", 0.04, 1.5, 0.60),  # telecom
    ("5969", 0.08, 1.5, 1.0),  # direct marketing / e-commerce
    ("5944", 0.01, 15.0, 0.10),  # jewellery / watches
    ("7832", 0.03, 0.6, 0.50),  # cinemas
    ("5999", 0.03, 1.2, 0.30),  # misc retail
)
_MAX_HABITUAL = 12
_TYPOLOGY_SHARE = {_MULE: 0.35, _ATO: 0.18, _PROXY: 0.2, _ESCALATION: 0.27}


class TransactionSimConfig(BaseModel):
    """Configuration of the synthetic Hong Kong transaction simulator.

    Attributes:
        seed: Random seed; the same config always yields identical frames.
        days: Number of simulated days (>= 7).
        daily_volume: Mean number of legitimate transactions per day (>= 100).
        n_customers: Number of bank customers (>= 100).
        start_date: First simulated day (00:00 Hong Kong local time, timestamps are naive).
        fraud_rate_target: Approximate share of fraud transactions, in [0.001, 0.02].
    """

    model_config = ConfigDict(extra="forbid")

    seed: int = 42
    days: int = Field(default=90, ge=7)
    daily_volume: int = Field(default=5000, ge=100)
    n_customers: int = Field(default=20000, ge=100)
    start_date: datetime.date = datetime.date(2026, 1, 1)
    fraud_rate_target: float = Field(default=0.005, ge=0.001, le=0.02)


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """Column-wise accumulator of simulated transactions (internal integer codes)."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    _DTYPES = {
        "t": np.int64,
        "cust": np.int64,
        "chan": np.int8,
        "amount": np.float64,
        "payee": np.int64,
        "proxy": np.int8,
        "mcc": np.int16,
        "device": np.int64,
        "alert": np.int8,
        "balance": np.float64,
        "fraud": np.int8,
        "typ": np.int8,
    }

    def add(self, **cols: object) -> None:
        """Append rows; scalars broadcast to the length of the array-valued columns."""
        sizes = [np.size(v) for v in cols.values() if np.ndim(v) > 0]
        n = max(sizes) if sizes else 1
        if n == 0:
            return
        defaults: dict[str, object] = {
            "mcc": -1,
            "device": -1,
            "alert": 0,
            "balance": np.nan,
            "fraud": 0,
            "typ": _NONE,
            "proxy": _PX_NONE,
            "payee": -1,
        }
        for name, dtype in self._DTYPES.items():
            value = cols.get(name, defaults.get(name))
            if value is None:
                raise KeyError(f"missing column {name}")
            arr = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
            self.parts.setdefault(name, []).append(arr)

    def concat(self) -> dict[str, np.ndarray]:
        """Return the accumulated columns as contiguous arrays."""
        return {k: np.concatenate(self.parts[k]) for k in self._DTYPES}


class _Simulator:
    """Stateful helper holding the population and payee universe for one simulation run."""

    def __init__(self, config: TransactionSimConfig) -> None:
        self.cfg = config
        self.rng = np.random.default_rng(config.seed)
        self.T = config.days * _DAY
        self.rows = _Rows()
        self.next_device = 0  # counter for attacker / mule-handler devices
        self.limit_events: list[tuple[np.ndarray, np.ndarray]] = []
        self._make_customers()
        self._make_payees()

    # ---------------------------------------------------------------- population
    def _make_customers(self) -> None:
        rng, n = self.rng, self.cfg.n_customers
        self.n_c = n
        self.age = rng.choice(len(AGE_BANDS), n, p=_AGE_PROBS)
        self.sex = rng.choice(2, n, p=_SEX_PROBS)
        pop = np.array(list(_DISTRICT_POP.values()))
        self.district = rng.choice(len(DISTRICTS), n, p=pop / pop.sum())
        cum_inc = _INCOME_GIVEN_AGE.cumsum(1)[self.age]
        self.income = (rng.random(n)[:, None] > cum_inc).sum(1).clip(0, 4)
        # Account age in days at start_date: long tail, bounded by the customer's age; 7% opened
        # in the last 180 days, 3% open during the simulated period.
        max_years = np.array([6.0, 16.0, 26.0, 36.0, 40.0, 45.0])[self.age]
        years = np.minimum(rng.gamma(2.0, 4.0, n), max_years * rng.uniform(0.3, 1.0, n))
        open_sec = -(years * 365.25 * _DAY).astype(np.int64) - _DAY
        recent = rng.random(n)
        open_sec = np.where(recent < 0.07, -rng.integers(1, 180, n) * _DAY, open_sec)
        open_sec = np.where(recent > 0.97, rng.integers(0, self.T, n), open_sec)
        self.open_sec = open_sec
        self.activity = (
            rng.gamma(0.9, 1.0, n) * _ACTIVITY_BY_AGE[self.age] * (0.8 + 0.1 * self.income)
        )
        self.amount_scale = _INCOME_AMOUNT_SCALE[self.income] * np.exp(rng.normal(0, 0.35, n))
        self.base_balance = (
            _INCOME_BALANCE_MEDIAN[self.income]
            * _AGE_BALANCE_SCALE[self.age]
            * np.exp(rng.normal(0, 0.8, n))
        )
        mix = _CHANNEL_MIX[self.age] * 8.0
        self.chan_w = self._dirichlet(mix)
        self.n_devices = 1 + (rng.random(n) < 0.3)
        # Phone upgrade (legitimate new device) at a random time for some customers.
        self.upgrade_t = np.where(
            rng.random(n) < min(0.9, self.cfg.days / 540.0),
            rng.integers(0, self.T, n),
            np.iinfo(np.int64).max,
        )
        self.is_mule = np.zeros(n, dtype=bool)
        self.is_seller = np.zeros(n, dtype=bool)
        seller_idx = rng.choice(
            n, max(3, n // 200), replace=False, p=self._norm(np.isin(self.age, [1, 2, 3]) + 0.05)
        )
        self.is_seller[seller_idx] = True
        self.seller_idx = np.sort(seller_idx)

    def _dirichlet(self, alpha: np.ndarray) -> np.ndarray:
        g = self.rng.gamma(alpha)
        return g / g.sum(1, keepdims=True)

    @staticmethod
    def _norm(w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        return w / w.sum()

    def _make_payees(self) -> None:
        """Lay out the payee code space and per-payee tables (proxy type, mcc, alert flag)."""
        rng, n_c = self.rng, self.n_c
        self.n_ext = 3 * n_c
        self.n_fps_m = max(50, n_c // 10)
        self.n_card_m = max(200, n_c // 4)
        self.ext0 = n_c
        self.fpsm0 = self.ext0 + self.n_ext
        self.cardm0 = self.fpsm0 + self.n_fps_m
        self.fraud0 = self.cardm0 + self.n_card_m
        self.n_fraud_payees = 0
        n_static = self.fraud0
        self.proxy_tab = rng.choice(
            [_PX_MOBILE, _PX_EMAIL, _PX_FPSID, _PX_ACCOUNT], n_static, p=[0.6, 0.12, 0.1, 0.18]
        ).astype(np.int8)
        self.proxy_tab[self.fpsm0 : self.cardm0] = np.where(
            rng.random(self.n_fps_m) < 0.85, _PX_FPSID, _PX_ACCOUNT
        )
        self.proxy_tab[self.cardm0 :] = _PX_NONE
        # False Scameter / Suspicious Proxy ID alerts on a few legitimate external payees.
        self.flag_tab = np.zeros(n_static, dtype=np.int8)
        n_false = max(2, int(0.002 * self.n_ext))
        self.flag_tab[self.ext0 + rng.choice(self.n_ext, n_false, replace=False)] = 1
        mcc_share = np.array([m[1] for m in _MCC_TABLE])
        self.card_m_mcc = rng.choice(len(_MCC_TABLE), self.n_card_m, p=mcc_share / mcc_share.sum())
        self.card_m_pop = self._norm(np.exp(rng.normal(0, 1.2, self.n_card_m)))
        self.fps_m_pop = self._norm(np.exp(rng.normal(0, 1.3, self.n_fps_m)))
        self.seller_pop = self._norm(np.exp(rng.normal(0, 1.0, len(self.seller_idx))))
        # Habitual payees: ~70% external persons, ~30% other customers of this bank.
        self.n_hab = np.clip(1 + rng.poisson(4, n_c), 1, _MAX_HABITUAL)
        is_cust = rng.random((n_c, _MAX_HABITUAL)) < 0.3
        cust_pick = rng.integers(0, n_c - 1, (n_c, _MAX_HABITUAL))
        cust_pick = cust_pick + (cust_pick >= np.arange(n_c)[:, None])  # never self
        ext_pick = self.ext0 + rng.integers(0, self.n_ext, (n_c, _MAX_HABITUAL))
        self.hab = np.where(is_cust, cust_pick, ext_pick)

    def new_fraud_payees(self, k: int, proxy: int | None = None) -> np.ndarray:
        """Allocate ``k`` fresh scammer / next-layer payee codes."""
        codes = self.fraud0 + self.n_fraud_payees + np.arange(k)
        self.n_fraud_payees += k
        if proxy is None:
            px = self.rng.choice(
                [_PX_MOBILE, _PX_EMAIL, _PX_FPSID, _PX_ACCOUNT], k, p=[0.55, 0.1, 0.2, 0.15]
            )
        else:
            px = np.full(k, proxy)
        self.proxy_tab = np.concatenate([self.proxy_tab, px.astype(np.int8)])
        self.flag_tab = np.concatenate([self.flag_tab, np.zeros(k, dtype=np.int8)])
        return codes

    # ---------------------------------------------------------------- helpers
    def fresh_device(self) -> int:
        """Allocate a device code never used before (attacker or mule-handler phone)."""
        self.next_device += 1
        return 3 * self.n_c + self.next_device

    def usual_device(self, cust: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Device a customer normally uses at time ``t`` (second device ~25% if they own two)."""
        second = (self.n_devices[cust] > 1) & (self.rng.random(np.size(cust)) < 0.25)
        dev = np.asarray(cust) * 3 + second
        return np.where(np.asarray(t) >= self.upgrade_t[cust], np.asarray(cust) * 3 + 2, dev)

    def sample_hours(self, cust: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sample an hour of day per row from the legit profile (or the given weights)."""
        u = self.rng.random(np.size(cust))
        if weights is not None:
            return np.searchsorted(np.cumsum(self._norm(weights)), u, side="right").clip(0, 23)
        young = self.age[cust] <= 1
        h_std = np.searchsorted(np.cumsum(self._norm(_HOUR_W_STD)), u, side="right")
        h_young = np.searchsorted(np.cumsum(self._norm(_HOUR_W_YOUNG)), u, side="right")
        return np.where(young, h_young, h_std).clip(0, 23)

    def time_in_day(self, day: np.ndarray, hour: np.ndarray) -> np.ndarray:
        return day * _DAY + hour * _HOUR + self.rng.integers(0, _HOUR, np.size(day))

    def active_customers(self, k: int, t: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Sample ``k`` customers by weight whose accounts are open (30d+) and are not mules."""
        out = np.empty(k, dtype=np.int64)
        t = np.broadcast_to(t, (k,))
        todo = np.arange(k)
        p = self._norm(weights * ~self.is_mule)
        for _ in range(50):
            cand = self.rng.choice(self.n_c, todo.size, p=p)
            ok = self.open_sec[cand] < t[todo] - 30 * _DAY
            out[todo[ok]] = cand[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
        if todo.size:
            out[todo] = self.rng.choice(np.flatnonzero(self.open_sec < -30 * _DAY), todo.size)
        return out

    def add_limit_changes(self, cust: np.ndarray, t: np.ndarray) -> None:
        self.limit_events.append((np.atleast_1d(cust).astype(np.int64), np.atleast_1d(t)))

    # ---------------------------------------------------------------- legitimate activity
    def legit_everyday(self) -> None:
        """Bulk everyday transactions: all channels, habitual payees, merchants, one-offs."""
        rng, cfg = self.rng, self.cfg
        start_dow = cfg.start_date.weekday()
        dow = (start_dow + np.arange(cfg.days)) % 7
        factor = _DOW_FACTOR[dow] / _DOW_FACTOR.mean() * np.exp(rng.normal(0, 0.05, cfg.days))
        counts = rng.poisson(cfg.daily_volume * 0.93 * factor)
        day = np.repeat(np.arange(cfg.days), counts)
        n = day.size
        cust = rng.choice(self.n_c, n, p=self._norm(self.activity * np.where(self.is_seller, 2, 1)))
        t = self.time_in_day(day, self.sample_hours(cust))
        chan = (rng.random(n)[:, None] > np.cumsum(self.chan_w[cust], 1)).sum(1).clip(0, 3)
        amount = (
            _CHANNEL_MEDIAN[chan]
            * self.amount_scale[cust]
            * np.exp(rng.normal(0, 1, n) * _CHANNEL_SIGMA[chan])
        )
        payee = np.full(n, -1, dtype=np.int64)
        mcc = np.full(n, -1, dtype=np.int16)
        device = np.full(n, -1, dtype=np.int64)
        # Habitual payee choice skewed towards the first few payees.
        hab_idx = np.floor(self.n_hab[cust] * rng.random(n) ** 1.8).astype(np.int64)
        habitual = self.hab[cust, hab_idx]
        one_off = np.where(
            rng.random(n) < 0.25,
            rng.integers(0, self.n_c, n),
            self.ext0 + rng.integers(0, self.n_ext, n),
        )
        u = rng.random(n)
        # FPS: merchants (QR payments), online sellers, one-off payees, habitual payees.
        fps = chan == _FPS
        fps_merchant = self.fpsm0 + rng.choice(self.n_fps_m, n, p=self.fps_m_pop)
        seller = self.seller_idx[rng.choice(len(self.seller_idx), n, p=self.seller_pop)]
        fps_payee = np.select(
            [u < 0.22, u < 0.26, u < 0.33], [fps_merchant, seller, one_off], default=habitual
        )
        payee[fps] = fps_payee[fps]
        online = chan == _ONLINE
        payee[online] = np.where(u < 0.08, one_off, habitual)[online]
        # Cards: merchants with MCC-dependent amounts, some e-commerce (device-bound).
        card = chan == _CARD
        merchant = rng.choice(self.n_card_m, n, p=self.card_m_pop)
        m_mcc = self.card_m_mcc[merchant]
        payee[card] = (self.cardm0 + merchant)[card]
        mcc[card] = m_mcc[card]
        amount[card] *= np.array([m[2] for m in _MCC_TABLE])[m_mcc[card]]
        ecom_p = np.array([m[3] for m in _MCC_TABLE])[m_mcc]
        digital = fps | online | (card & (rng.random(n) < ecom_p))
        device[digital] = self.usual_device(cust[digital], t[digital])
        atm = chan == _ATM
        amount[atm] = np.maximum(100.0, np.round(amount[atm] / 100.0) * 100.0)
        amount = np.round(np.maximum(amount, 1.0), 2)
        self.rows.add(t=t, cust=cust, chan=chan, amount=amount, payee=payee, mcc=mcc, device=device)

    def legit_rent(self) -> None:
        """Monthly rent to a habitual landlord (first habitual payee) for ~25% of customers."""
        rng = self.rng
        renters = np.flatnonzero(rng.random(self.n_c) < 0.25)
        rent = 12_000 * self.amount_scale[renters] * np.exp(rng.normal(0, 0.35, renters.size))
        rent = np.round(rent, -2)
        start = pd.Timestamp(self.cfg.start_date)
        end = start + pd.Timedelta(days=self.cfg.days)
        months = pd.date_range(start.replace(day=1), end, freq="MS")
        for m in months:
            base_day = (m - start).days
            day = base_day + rng.integers(0, 5, renters.size)
            hour = self.sample_hours(renters, _HOUR_W_DAY + 0.05)
            t = self.time_in_day(day, hour)
            chan = np.where(rng.random(renters.size) < 0.5, _FPS, _ONLINE)
            self.rows.add(
                t=t,
                cust=renters,
                chan=chan,
                amount=rent,
                payee=self.hab[renters, 0],
                device=self.usual_device(renters, t),
            )

    def legit_large_and_staged(self) -> None:
        """Tuition / deposits to a new payee, and staged instalments (escalation look-alikes)."""
        rng, n_c, days = self.rng, self.n_c, self.cfg.days
        k = rng.poisson(n_c * days / 365 * 0.3)
        t0 = rng.integers(0, self.T, k)
        cust = self.active_customers(k, t0, self.activity + 0.2)
        amount = np.round(25_000 * self.amount_scale[cust] * np.exp(rng.normal(0, 0.7, k)), -1)
        t = (t0 // _DAY) * _DAY + self.sample_hours(cust, _HOUR_W_DAY + 0.08) * _HOUR
        t = t + rng.integers(0, _HOUR, k)
        payee = np.where(
            rng.random(k) < 0.7, self.ext0 + rng.integers(0, self.n_ext, k), self.hab[cust, 0]
        )
        self.rows.add(
            t=t,
            cust=cust,
            chan=np.where(rng.random(k) < 0.7, _ONLINE, _FPS),
            amount=amount,
            payee=payee,
            device=self.usual_device(cust, t),
            balance=amount * rng.uniform(1.15, 6.0, k),
        )
        ch = rng.random(k) < 0.35
        self.add_limit_changes(cust[ch], t[ch] - rng.integers(1800, 48 * _HOUR, ch.sum()))
        # Staged payments (renovation, wedding banquet, course fees): 2-4 growing payments to a
        # new payee over days to weeks.
        k2 = rng.poisson(n_c * days / 365 * 0.08)
        for _ in range(k2):
            t_first = int(rng.integers(0, self.T))
            c = self.active_customers(1, np.array([t_first]), self.activity + 0.2)
            m = int(rng.integers(2, 5))
            gaps = rng.uniform(1, 14, m - 1) * _DAY
            ts = t_first + np.concatenate([[0], np.cumsum(gaps)]).astype(np.int64)
            ts = (ts // _DAY) * _DAY + self.sample_hours(np.repeat(c, m)) * _HOUR
            ts = ts + rng.integers(0, _HOUR, m)
            amt0 = 5_000 * self.amount_scale[c[0]] * np.exp(rng.normal(0, 0.6))
            amt = np.round(amt0 * np.cumprod(np.r_[1.0, rng.uniform(1.0, 2.5, m - 1)]), -2)
            payee = self.ext0 + int(rng.integers(0, self.n_ext))
            chan = np.where(amt > 20_000, _ONLINE, _FPS)
            bal = amt.sum() * rng.uniform(1.1, 4.0) - np.r_[0, np.cumsum(amt)[:-1]]
            self.rows.add(
                t=ts,
                cust=np.repeat(c, m),
                chan=chan,
                amount=amt,
                payee=payee,
                device=self.usual_device(np.repeat(c, m), ts),
                balance=bal,
            )
        # Background limit changes (about one per customer-year, incl. the month before start).
        k3 = rng.poisson(n_c * (days + 30) / 365)
        self.add_limit_changes(rng.integers(0, n_c, k3), rng.integers(-30 * _DAY, self.T, k3))

    def legit_split_bills(self) -> None:
        """Friends reimburse an organiser by FPS within hours; the organiser pays the bill."""
        rng = self.rng
        k = rng.poisson(self.cfg.days * self.cfg.daily_volume * 0.0015)
        for _ in range(k):
            t0 = int(rng.integers(0, self.T))
            org = self.active_customers(1, np.array([t0]), self.activity)[0]
            m = int(rng.integers(3, 10))
            friends = self.active_customers(m, np.full(m, t0), self.activity)
            share = float(np.round(300 * np.exp(rng.normal(0, 0.6)), 0))
            ts = t0 + rng.exponential(2.5 * _HOUR, m).astype(np.int64)
            amt = np.round(share * rng.uniform(0.9, 1.1, m), 0)
            self.rows.add(
                t=ts,
                cust=friends,
                chan=_FPS,
                amount=amt,
                payee=org,
                device=self.usual_device(friends, ts),
            )
            total = float(amt.sum() + share)
            t_pay = t0 + int(rng.uniform(-12, 24) * _HOUR)
            dest = (
                self.fpsm0 + int(rng.integers(0, self.n_fps_m))
                if rng.random() < 0.6
                else self.ext0 + int(rng.integers(0, self.n_ext))
            )
            self.rows.add(
                t=np.array([t_pay]),
                cust=org,
                chan=_FPS if rng.random() < 0.7 else _ONLINE,
                amount=round(total, 0),
                payee=dest,
                device=self.usual_device(np.array([org]), np.array([t_pay])),
            )

    def legit_seller_payouts(self, cols: dict[str, np.ndarray]) -> None:
        """Online sellers forward accumulated FPS takings to suppliers every few days."""
        rng = self.rng
        inbound = np.isin(cols["payee"], self.seller_idx)
        s_pos = np.searchsorted(self.seller_idx, cols["payee"][inbound])
        day = cols["t"][inbound] // _DAY
        valid = (day >= 0) & (day < self.cfg.days)
        per_day = np.zeros((len(self.seller_idx), self.cfg.days))
        np.add.at(per_day, (s_pos[valid], day[valid]), cols["amount"][inbound][valid])
        for i, s in enumerate(self.seller_idx):
            acc = 0.0
            for d in range(self.cfg.days):
                acc += per_day[i, d]
                if acc > 2_000 and rng.random() < 0.4:
                    hour = int(self.sample_hours(np.array([s]), _HOUR_W_STD + 0.3)[0])
                    t = d * _DAY + hour * _HOUR + int(rng.integers(0, _HOUR))
                    amt = round(acc * rng.uniform(0.6, 0.95), 0)
                    supplier = self.hab[s, int(rng.integers(0, min(2, self.n_hab[s])))]
                    self.rows.add(
                        t=np.array([t]),
                        cust=s,
                        chan=_ONLINE if amt > 10_000 else _FPS,
                        amount=amt,
                        payee=supplier,
                        device=self.usual_device(np.array([s]), np.array([t])),
                        balance=acc * rng.uniform(1.05, 2.0) + 5_000,
                    )
                    acc = 0.0

    # ---------------------------------------------------------------- fraud typologies
    def _typical_balance(self, cust: int, t: int) -> float:
        dom = pd.Timestamp(self.cfg.start_date).day + t // _DAY  # rough day-of-month cycle
        cycle = 1.3 - 0.6 * ((dom % 30) / 30.0)
        return float(self.base_balance[cust] * cycle * np.exp(self.rng.normal(0, 0.25)))

    def fraud_mule(self, quota: int) -> None:
        """Mule fan-in: victims (some our customers) pay a stooge, who passes money out."""
        rng, n_rows = self.rng, 0
        age_w = np.array([5.0, 2.0, 0.5, 0.15, 0.05, 0.02])[self.age]
        mule_w = age_w * ~self.is_seller
        mules: list[int] = []
        last_t: dict[int, int] = {}
        first_t: dict[int, int] = {}
        while n_rows < quota:
            reuse = [m for m in mules if last_t[m] + 2 * _DAY < self.T]
            if reuse and rng.random() < 0.4:
                mule = int(reuse[int(rng.integers(0, len(reuse)))])
                t0 = last_t[mule] + int(rng.uniform(1, 14) * _DAY)
                if t0 >= self.T:
                    continue
            else:
                mule = int(rng.choice(self.n_c, p=self._norm(mule_w * ~self.is_mule)))
                t0 = int(rng.integers(0, self.T))
                self.is_mule[mule] = True
                mules.append(mule)
                first_t[mule] = t0
            m_in = int(rng.integers(3, 16))
            span = rng.uniform(1.0, 18.0) * _HOUR
            t_in = np.sort(t0 + rng.uniform(0, span, m_in).astype(np.int64))
            senders = self.active_customers(m_in, t_in, self.activity)
            amt_in = np.round(1_200 * np.exp(rng.normal(0, 0.7, m_in)), 0)
            self.rows.add(
                t=t_in,
                cust=senders,
                chan=_FPS,
                amount=amt_in,
                payee=mule,
                proxy=self.proxy_tab[mule],
                device=self.usual_device(senders, t_in),
                fraud=1,
                typ=_MULE,
            )
            n_rows += int((t_in < self.T).sum())
            # Unobserved inbound from other banks adds to what is passed on.
            total_in = amt_in.sum() * (1 + rng.uniform(0.2, 1.0))
            m_out = int(rng.integers(1, 5))
            t_out = np.sort(
                t_in[-1] + (rng.uniform(0.2, 6.0) + rng.uniform(0, 3, m_out)) * _HOUR
            ).astype(np.int64)
            split = rng.dirichlet(np.full(m_out, 3.0)) * total_in * rng.uniform(0.85, 0.98)
            amt_out = np.round(split, 0)
            dest = self.new_fraud_payees(1 if rng.random() < 0.6 else m_out)
            dest = np.resize(dest, m_out)
            chan = np.where(rng.random(m_out) < 0.6, _FPS, _ONLINE)
            handler = rng.random() < 0.4
            dev = (
                np.full(m_out, self.fresh_device())
                if handler
                else self.usual_device(np.full(m_out, mule), t_out)
            )
            bal = 2_000 * np.exp(rng.normal(0, 0.8)) + total_in - np.r_[0, np.cumsum(amt_out)[:-1]]
            self.rows.add(
                t=t_out,
                cust=mule,
                chan=chan,
                amount=amt_out,
                payee=dest,
                proxy=np.where(chan == _ONLINE, _PX_ACCOUNT, self.proxy_tab[dest]),
                device=dev,
                balance=bal,
                fraud=1,
                typ=_MULE,
            )
            if rng.random() < 0.3:
                self.add_limit_changes(
                    np.array([mule]), t_out[:1] - int(rng.uniform(0.5, 12) * _HOUR)
                )
            n_rows += int((t_out < self.T).sum())
            last_t[mule] = int(t_out[-1])
        # Most mule accounts were opened shortly before first use; young accounts and customers.
        for mule in mules:
            if rng.random() < 0.75:
                self.open_sec[mule] = first_t[mule] - int(rng.uniform(5, 120) * _DAY)
            self.base_balance[mule] = 3_000 * np.exp(rng.normal(0, 0.8))

    def fraud_ato(self, quota: int) -> None:
        """Account takeover: new device, limit raise, new payee, draining transfers."""
        rng, n_rows = self.rng, 0
        victim_w = self.activity * np.array([0.6, 0.8, 1.0, 1.1, 1.3, 1.4])[self.age]
        while n_rows < quota:
            t0 = int(rng.integers(0, self.T))
            if rng.random() < 0.6:  # unusual hours
                t0 = (t0 // _DAY) * _DAY + int(rng.uniform(0, 6) * _HOUR)
            victim = int(self.active_customers(1, np.array([t0]), victim_w)[0])
            m = int(rng.integers(1, 5))
            ts = np.sort(t0 + np.r_[0, rng.uniform(0.05, 3.0, m - 1) * _HOUR]).astype(np.int64)
            bal0 = max(self._typical_balance(victim, t0), 8_000 * np.exp(rng.normal(0, 0.5)))
            fracs = np.r_[rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.9, m - 1)]
            amts, bals, left = [], [], bal0
            for f in fracs:
                a = left * f
                if rng.random() < 0.5:
                    a = max(100.0, np.floor(a / 1000) * 1000)
                amts.append(round(a, 0))
                bals.append(left)
                left -= a
            dest = self.new_fraud_payees(1 if rng.random() < 0.7 else 2)
            dest = np.resize(dest, m)
            chan = np.where(rng.random(m) < 0.5, _FPS, _ONLINE)
            new_dev = rng.random() < 0.85  # else remote-access malware on the victim's phone
            dev = (
                np.full(m, self.fresh_device())
                if new_dev
                else self.usual_device(np.full(m, victim), ts)
            )
            self.rows.add(
                t=ts,
                cust=victim,
                chan=chan,
                amount=np.array(amts),
                payee=dest,
                proxy=np.where(chan == _ONLINE, _PX_ACCOUNT, self.proxy_tab[dest]),
                device=dev,
                balance=np.array(bals),
                fraud=1,
                typ=_ATO,
            )
            if rng.random() < 0.8:
                self.add_limit_changes(
                    np.array([victim]), np.array([t0 - int(rng.uniform(0.05, 6) * _HOUR)])
                )
            n_rows += int((ts < self.T).sum())

    def fraud_proxy(self, quota: int) -> None:
        """Transfers to a Suspicious-Proxy-ID-flagged payee despite the alert."""
        rng, n_rows = self.rng, 0
        pool = self.new_fraud_payees(max(5, quota // 6))
        self.flag_tab[pool] = 1
        while n_rows < quota:
            t0 = int(rng.integers(0, self.T))
            victim = int(self.active_customers(1, np.array([t0]), self.activity)[0])
            m = int(rng.choice([1, 1, 1, 2, 2, 3]))
            ts = t0 + np.r_[0, np.cumsum(rng.exponential(8 * _HOUR, m - 1))].astype(np.int64)
            ts = (ts // _DAY) * _DAY + self.sample_hours(np.full(m, victim)) * _HOUR
            ts = np.sort(ts + rng.integers(0, _HOUR, m))
            payee = int(pool[int(rng.integers(0, len(pool)))])
            amts = np.round(3_000 * np.exp(rng.normal(0, 0.9, m)), 0)
            self.rows.add(
                t=ts,
                cust=victim,
                chan=_FPS,
                amount=amts,
                payee=payee,
                proxy=self.proxy_tab[payee],
                device=self.usual_device(np.full(m, victim), ts),
                alert=1,
                fraud=1,
                typ=_PROXY,
            )
            n_rows += int((ts < self.T).sum())

    def fraud_escalation(self, quota: int) -> None:
        """Investment / romance scam victims sending escalating transfers to a new payee."""
        rng, n_rows = self.rng, 0
        victim_w = self.activity * np.array([0.3, 0.6, 0.9, 1.3, 2.2, 3.0])[self.age]
        while n_rows < quota:
            t0 = int(rng.integers(-20 * _DAY, self.T))
            victim = int(self.active_customers(1, np.array([max(t0, 0)]), victim_w)[0])
            m = int(rng.integers(3, 9))
            gaps = rng.uniform(0.5, 6.0, m - 1) * _DAY
            ts = t0 + np.r_[0, np.cumsum(gaps)].astype(np.int64)
            ts = (ts // _DAY) * _DAY + self.sample_hours(np.full(m, victim)) * _HOUR
            ts = np.sort(ts + rng.integers(0, _HOUR, m))
            a0 = 4_000 * np.exp(rng.normal(0, 0.7))
            amts = np.round(a0 * np.cumprod(np.r_[1.0, rng.uniform(1.5, 3.0, m - 1)]), 0)
            savings = max(self._typical_balance(victim, t0) * rng.uniform(1, 3), amts.sum())
            savings *= rng.uniform(1.05, 1.8)
            bals = savings - np.r_[0, np.cumsum(amts)[:-1]]
            payee = int(self.new_fraud_payees(1)[0])
            chan = np.where(amts > rng.uniform(8_000, 40_000), _ONLINE, _FPS)
            alert = (np.arange(m) >= 3) & (rng.random() < 0.15)  # reported to Scameter later
            keep = ts >= 0
            self.rows.add(
                t=ts[keep],
                cust=victim,
                chan=chan[keep],
                amount=amts[keep],
                payee=payee,
                proxy=np.where(chan == _ONLINE, _PX_ACCOUNT, self.proxy_tab[payee])[keep],
                device=self.usual_device(np.full(int(keep.sum()), victim), ts[keep]),
                alert=alert[keep],
                balance=bals[keep],
                fraud=1,
                typ=_ESCALATION,
            )
            if rng.random() < 0.5:
                j = int(rng.integers(1, m))
                self.add_limit_changes(
                    np.array([victim]), ts[j : j + 1] - int(rng.uniform(0.3, 24) * _HOUR)
                )
            n_rows += int(((ts >= 0) & (ts < self.T)).sum())

    # ---------------------------------------------------------------- assembly
    def run(
        self, progress: Callable[[str, int, int], None] | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        report = progress or (lambda _label, _done, _total: None)
        total = 10
        report("legitimate everyday activity", 0, total)
        self.legit_everyday()
        report("rent, large and staged payments", 1, total)
        self.legit_rent()
        self.legit_large_and_staged()
        report("bill splitting and seller payouts", 3, total)
        self.legit_split_bills()
        self.legit_seller_payouts(self.rows.concat())
        n_legit = sum(len(a) for a in self.rows.parts["t"])
        rate = self.cfg.fraud_rate_target
        n_fraud = rate / (1 - rate) * n_legit
        # Order matters only for the random stream; mules first so victims exclude them.
        report("fraud: mule fan-in", 5, total)
        self.fraud_mule(int(round(n_fraud * _TYPOLOGY_SHARE[_MULE])))
        report("fraud: account takeover", 6, total)
        self.fraud_ato(int(round(n_fraud * _TYPOLOGY_SHARE[_ATO])))
        report("fraud: suspicious proxy alerts", 7, total)
        self.fraud_proxy(int(round(n_fraud * _TYPOLOGY_SHARE[_PROXY])))
        report("fraud: scam-victim escalation", 8, total)
        self.fraud_escalation(int(round(n_fraud * _TYPOLOGY_SHARE[_ESCALATION])))
        report("assembling", 9, total)
        result = self._assemble()
        report("done", total, total)
        return result

    def _assemble(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, cols = self.rng, self.rows.concat()
        t, cust = cols["t"], cols["cust"]
        # Drop anything outside the window and legit activity before an account was opened.
        keep = (t >= 0) & (t < self.T) & ((t >= self.open_sec[cust]) | (cols["fraud"] == 1))
        cols = {k: v[keep] for k, v in cols.items()}
        order = np.lexsort((cols["cust"], cols["t"]))
        cols = {k: v[order] for k, v in cols.items()}
        t, cust, chan = cols["t"], cols["cust"], cols["chan"]
        n = t.size
        transfer = (chan == _FPS) | (chan == _ONLINE)
        payee = cols["payee"]
        # Proxy type: FPS uses the payee's registered proxy, online transfers an account number.
        proxy = cols["proxy"]
        need = transfer & (proxy == _PX_NONE)
        proxy[need] = np.where(chan[need] == _ONLINE, _PX_ACCOUNT, self.proxy_tab[payee[need]])
        alert = cols["alert"]
        alert[transfer] = np.maximum(alert[transfer], self.flag_tab[payee[transfer]])
        # Balance before the transaction: monthly salary cycle around the customer's level.
        bal = cols["balance"]
        miss = np.isnan(bal)
        dom = (pd.Timestamp(self.cfg.start_date) + pd.to_timedelta(t[miss], unit="s")).day
        cycle = 1.3 - 0.6 * (np.asarray(dom) - 1) / 30.0
        b = self.base_balance[cust[miss]] * cycle * np.exp(rng.normal(0, 0.25, miss.sum()))
        amt_m = cols["amount"][miss]
        short = (chan[miss] != _CARD) & (b < amt_m)
        b[short] = amt_m[short] * rng.uniform(1.02, 1.6, short.sum())
        bal[miss] = b
        bal = np.round(bal, 2)
        # New device: within NEW_DEVICE_WINDOW_HOURS of its first use (pre-enrolled devices are
        # known, i.e. the customer's first and second usual devices).
        dev = cols["device"]
        is_new_dev = np.zeros(n, dtype=np.int8)
        known = (dev >= 0) & (dev < 3 * self.n_c) & (dev % 3 != 2)
        cand = (dev >= 0) & ~known
        if cand.any():
            idx = np.flatnonzero(cand)
            pair = pd.DataFrame({"c": cust[idx], "d": dev[idx], "t": t[idx]})
            first = pair.groupby(["c", "d"])["t"].transform("min").to_numpy()
            is_new_dev[idx] = (t[idx] - first) < NEW_DEVICE_WINDOW_HOURS * _HOUR
        # Hours since the customer's latest daily-limit change (NaN if none within the cap).
        ev_c = np.concatenate([e[0] for e in self.limit_events])
        ev_t = np.concatenate([e[1] for e in self.limit_events]).astype(np.int64)
        span = self.T + 400 * _DAY
        ev_key = np.sort(ev_c * span + (ev_t + 200 * _DAY))
        tx_key = cust * span + (t + 200 * _DAY)
        pos = np.searchsorted(ev_key, tx_key, side="right") - 1
        prev_key = ev_key[np.clip(pos, 0, None)]
        same = (pos >= 0) & (prev_key // span == cust)
        hours = (tx_key - prev_key) / _HOUR
        limit_hours = np.where(same & (hours <= LIMIT_CHANGE_CAP_HOURS), hours, np.nan)
        # Strings.
        n_payees = self.fraud0 + self.n_fraud_payees
        payee_str = self._payee_strings(n_payees)
        cust_ids = np.array([f"C{i:07d}" for i in range(self.n_c)], dtype=object)
        uniq_dev, dev_inv = np.unique(dev, return_inverse=True)
        dev_str = np.array(["" if d < 0 else f"D{d:09d}" for d in uniq_dev], dtype=object)
        mcc_codes = np.array([m[0] for m in _MCC_TABLE] + [""], dtype=object)
        start = pd.Timestamp(self.cfg.start_date)
        open_ts = start + pd.to_timedelta(self.open_sec, unit="s")
        open_date = open_ts.normalize()
        tx = pd.DataFrame(
            {
                "txn_id": np.array([f"T{i:09d}" for i in range(1, n + 1)], dtype=object),
                "timestamp": start + pd.to_timedelta(t, unit="s"),
                "customer_id": cust_ids[cust],
                "channel": np.array(CHANNELS, dtype=object)[chan],
                "amount_hkd": cols["amount"],
                "payee_id": np.where(payee >= 0, payee_str[np.clip(payee, 0, None)], ""),
                "payee_proxy_type": np.array(PROXY_TYPES, dtype=object)[proxy],
                "mcc": mcc_codes[cols["mcc"]],
                "device_id": dev_str[dev_inv],
                "is_new_device": is_new_dev,
                "payee_alert_flag": alert,
                "limit_change_hours_ago": np.round(limit_hours, 3),
                "balance_before_hkd": bal,
                "account_open_date": np.asarray(open_date)[cust],
                "is_fraud": cols["fraud"],
                "typology": np.array(TYPOLOGIES, dtype=object)[cols["typ"]],
                "age_band": np.array(AGE_BANDS, dtype=object)[self.age[cust]],
                "sex": np.array(SEXES, dtype=object)[self.sex[cust]],
                "district": np.array(DISTRICTS, dtype=object)[self.district[cust]],
            }
        )
        for c in ("txn_id", "customer_id", "channel", "payee_id", "payee_proxy_type", "mcc"):
            tx[c] = tx[c].astype(str)
        for c in ("device_id", "typology", "age_band", "sex", "district"):
            tx[c] = tx[c].astype(str)
        customers = self._customer_frame(cust_ids, open_date)
        return tx, customers

    def _payee_strings(self, n_payees: int) -> np.ndarray:
        """External persons and scammer payees share one random 8-digit 'P' namespace."""
        out = np.empty(n_payees, dtype=object)
        out[: self.n_c] = [f"C{i:07d}" for i in range(self.n_c)]
        ext_codes = np.r_[np.arange(self.ext0, self.fpsm0), np.arange(self.fraud0, n_payees)]
        nums = self.rng.permutation(10**8 // 97)[: ext_codes.size] * 97 + 13
        out[ext_codes] = [f"P{x:08d}" for x in nums]
        out[self.fpsm0 : self.cardm0] = [f"FPSM{i:05d}" for i in range(self.n_fps_m)]
        out[self.cardm0 : self.fraud0] = [f"MER{i:06d}" for i in range(self.n_card_m)]
        return out

    def _customer_frame(self, cust_ids: np.ndarray, open_date: pd.DatetimeIndex) -> pd.DataFrame:
        start = pd.Timestamp(self.cfg.start_date)
        devices = [
            "|".join(f"D{3 * i + k:09d}" for k in range(int(self.n_devices[i])))
            for i in range(self.n_c)
        ]
        chan_names = np.array(CHANNELS, dtype=object)
        typical = ["|".join(chan_names[w >= 0.2]) for w in self.chan_w]
        return pd.DataFrame(
            {
                "customer_id": cust_ids.astype(str),
                "age_band": np.array(AGE_BANDS)[self.age],
                "sex": np.array(SEXES)[self.sex],
                "district": np.array(DISTRICTS)[self.district],
                "income_band": np.array(INCOME_BANDS)[self.income],
                "account_open_date": open_date,
                "account_age_days": (start - open_date).days.to_numpy(),
                "usual_device_ids": devices,
                "typical_channels": typical,
                "typical_balance_hkd": np.round(self.base_balance, 0),
                "is_online_seller": self.is_seller.astype(np.int8),
                "is_mule": self.is_mule.astype(np.int8),
            }
        )


def generate_transactions(
    config: TransactionSimConfig, progress: Callable[[str, int, int], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate Hong Kong retail-banking transactions with labelled fraud typologies.

    Args:
        config: Simulation settings; the output is a deterministic function of it.
        progress: Optional callback ``(stage, done, total)`` called between simulation stages.

    Returns:
        ``(transactions, customers)``. ``transactions`` has one row per transaction sorted by
        ``timestamp`` with a fresh ``RangeIndex`` and the columns ``txn_id, timestamp,
        customer_id, channel, amount_hkd, payee_id, payee_proxy_type, mcc, device_id,
        is_new_device, payee_alert_flag, limit_change_hours_ago, balance_before_hkd,
        account_open_date, is_fraud, typology, age_band, sex, district``. ``payee_id`` is a
        customer id (``C...``) for transfers to customers of this bank (so inbound flows are
        observable), ``P...`` for external persons, ``FPSM...`` / ``MER...`` for FPS and card
        merchants and ``""`` for ATM withdrawals. ``customers`` has one row per customer with
        demographics, ``account_open_date``, ``usual_device_ids``, ``typical_channels`` and
        the simulation ground-truth flags ``is_mule`` / ``is_online_seller`` (never features).
    """
    return _Simulator(config).run(progress)


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def _window_counts(
    keys: np.ndarray, window: int, values: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-row count (and sum of ``values``) over rows with key in ``(key - window, key]``.

    ``keys`` must be sorted ascending and encode ``group * span + time``; only rows at or before
    the current position are counted (ties later in the order are excluded).
    """
    pos = np.arange(keys.size)
    left = np.searchsorted(keys, keys - window, side="right")
    count = pos - left + 1
    if values is None:
        return count, None
    csum = np.r_[0.0, np.cumsum(values)]
    return count, csum[pos + 1] - csum[left]


def _trailing_median(values: np.ndarray, group_start: np.ndarray, k: int = 20) -> np.ndarray:
    """Median of up to ``k`` previous values in the same group (NaN if none); rows grouped."""
    n = values.size
    padded = np.r_[np.full(k, np.nan), values]
    win = np.lib.stride_tricks.sliding_window_view(padded, k)[:n].copy()  # rows i-k .. i-1
    pos = np.arange(n)
    offsets = np.arange(k, 0, -1)  # column j holds row i - offsets[j]
    win[(pos[:, None] - offsets[None, :]) < group_start[:, None]] = np.nan
    win.sort(axis=1)
    m = np.minimum(pos - group_start, k)
    lo = np.clip((m - 1) // 2, 0, k - 1)
    hi = np.clip(m // 2, 0, k - 1)
    med = 0.5 * (win[pos, lo] + win[pos, hi])
    return np.where(m > 0, med, np.nan)


def _distinct_in_window(
    keys: np.ndarray, items: np.ndarray, window: int, chunk: int = 2_000_000
) -> np.ndarray:
    """Distinct ``items`` per row among rows with key in ``(key - window, key]`` up to the row.

    ``keys`` sorted ascending (``group * span + time``). Exact: row j in the window counts iff
    the next occurrence of its item (within the group) is after the current row.
    """
    n = keys.size
    pos = np.arange(n)
    left = np.searchsorted(keys, keys - window, side="right")
    # Next position with the same item (items encode the group), in key order.
    order = np.lexsort((pos, items))
    nxt_sorted = np.r_[order[1:], n]
    same = np.r_[items[order][1:] == items[order][:-1], False]
    nxt = np.full(n, n, dtype=np.int64)
    nxt[order] = np.where(same, nxt_sorted, n)
    sizes = pos - left + 1
    out = np.empty(n, dtype=np.int64)
    start = 0
    while start < n:
        # Rows [start, stop) with at most `chunk` window elements in total.
        cum = np.cumsum(sizes[start:])
        stop = start + max(1, int(np.searchsorted(cum, chunk, side="right")))
        sz = sizes[start:stop]
        owner = np.repeat(np.arange(start, stop), sz)
        offs = np.arange(sz.sum()) - np.repeat(np.cumsum(sz) - sz, sz)
        j = left[start:stop].repeat(sz) + offs
        hit = nxt[j] > owner
        out[start:stop] = np.bincount(owner - start, weights=hit, minlength=stop - start)
        start = stop
    return out


def build_features(transactions: pd.DataFrame) -> pd.DataFrame:
    """Compute leakage-free model features for each transaction.

    Every feature uses only rows with a timestamp at or before the transaction's own timestamp
    (rows sharing a timestamp are ordered by their position in the input), so dropping all later
    rows never changes a row's features. Labels, typology and fairness attributes are not used.

    Args:
        transactions: Frame as returned by :func:`generate_transactions` (any order; needs
            ``timestamp, customer_id, channel, amount_hkd, payee_id, payee_proxy_type, mcc,
            is_new_device, payee_alert_flag, limit_change_hours_ago, balance_before_hkd,
            account_open_date``).

    Returns:
        Frame with :data:`FEATURE_COLUMNS` (float, no NaN) followed by
        :data:`CATEGORICAL_COLUMNS` (str), same index and row order as ``transactions``.
    """
    n = len(transactions)
    ts = transactions["timestamp"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    t = ts - (ts.min() if n else 0)
    amount = transactions["amount_hkd"].to_numpy(dtype=np.float64)
    balance = transactions["balance_before_hkd"].to_numpy(dtype=np.float64)
    cust_code, cust_uniques = pd.factorize(transactions["customer_id"], sort=False)
    payee_raw = transactions["payee_id"].fillna("").astype(str)
    payee_code, _ = pd.factorize(payee_raw, sort=False)
    has_payee = (payee_raw != "").to_numpy()
    channel = transactions["channel"].astype(str).to_numpy()
    transfer = np.isin(channel, ["FPS", "online_transfer"]) & has_payee
    span = np.int64(t.max() + 10 * _DAY if n else 1)
    idx = np.arange(n)
    feats: dict[str, np.ndarray] = {}

    # --- per-customer history (sorted by customer, time, input position) --------------------
    o = np.lexsort((idx, t, cust_code))
    c_s, t_s, a_s = cust_code[o], t[o], amount[o]
    key = c_s.astype(np.int64) * span + t_s
    new_grp = np.r_[True, c_s[1:] != c_s[:-1]]
    grp_start = np.maximum.accumulate(np.where(new_grp, np.arange(n), 0))
    prior = np.arange(n) - grp_start
    med = _trailing_median(a_s, grp_start)
    cnt1, sum1 = _window_counts(key, _HOUR, a_s)
    cnt24, sum24 = _window_counts(key, _DAY, a_s)
    prev_gap = np.r_[np.inf, np.diff(t_s).astype(float)] / _HOUR
    prev_gap[new_grp] = np.inf

    def unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        out[order] = values
        return out

    feats["amount_to_cust_median"] = unsort(np.where(np.isnan(med), 1.0, a_s / med), o)
    feats["cust_prior_txn_count"] = unsort(np.log1p(prior).astype(float), o)
    feats["hours_since_prev_txn"] = unsort(np.minimum(prev_gap, LIMIT_CHANGE_CAP_HOURS), o)
    feats["cust_txn_count_1h"] = unsort(cnt1.astype(float), o)
    feats["cust_amount_sum_1h"] = unsort(np.log1p(sum1), o)
    feats["cust_txn_count_24h"] = unsort(cnt24.astype(float), o)
    feats["cust_amount_sum_24h"] = unsort(np.log1p(sum24), o)

    # --- inbound flows to the customer (transfers whose payee is this customer) -------------
    payee_as_cust = pd.Index(cust_uniques).get_indexer(payee_raw.to_numpy())
    inb = np.flatnonzero((payee_as_cust >= 0) & transfer)
    in_key = payee_as_cust[inb].astype(np.int64) * span + t[inb]
    oi = np.lexsort((inb, in_key))
    in_key, in_amt = in_key[oi], amount[inb][oi]
    in_csum = np.r_[0.0, np.cumsum(in_amt)]
    own_key = cust_code.astype(np.int64) * span + t
    r = np.searchsorted(in_key, own_key, side="right")
    lft = np.searchsorted(in_key, own_key - _DAY, side="right")
    in_cnt = (r - lft).astype(float)
    in_sum = in_csum[r] - in_csum[lft]
    feats["cust_inbound_count_24h"] = in_cnt
    feats["cust_inbound_sum_24h"] = np.log1p(in_sum)
    feats["inbound_to_balance_24h"] = np.clip(in_sum / np.maximum(balance, 1.0), 0, 10)

    # --- payee-side history over transfers (fan-in) ------------------------------------------
    distinct = np.zeros(n)
    payee_prior = np.zeros(n)
    tr = np.flatnonzero(transfer)
    if tr.size:
        op = tr[np.lexsort((tr, t[tr], payee_code[tr]))]
        p_key = payee_code[op].astype(np.int64) * span + t[op]
        p_new = np.r_[True, payee_code[op][1:] != payee_code[op][:-1]]
        p_start = np.maximum.accumulate(np.where(p_new, np.arange(op.size), 0))
        pair = payee_code[op].astype(np.int64) * (cust_code.max() + 1) + cust_code[op]
        distinct[op] = _distinct_in_window(p_key, pair, _DAY)
        payee_prior[op] = np.log1p(np.arange(op.size) - p_start)
    feats["payee_distinct_senders_24h"] = distinct
    feats["payee_prior_txn_count"] = payee_prior

    # --- customer-payee relationship ---------------------------------------------------------
    is_new_payee = np.zeros(n)
    pair_prior = np.zeros(n)
    days_first = np.zeros(n)
    to_prev = np.ones(n)
    pp = np.flatnonzero(has_payee)
    if pp.size:
        pair = cust_code[pp].astype(np.int64) * (payee_code.max() + 1) + payee_code[pp]
        oq = np.lexsort((pp, t[pp], pair))
        rows, pq = pp[oq], pair[oq]
        q_new = np.r_[True, pq[1:] != pq[:-1]]
        q_start = np.maximum.accumulate(np.where(q_new, np.arange(rows.size), 0))
        k = np.arange(rows.size) - q_start
        is_new_payee[rows] = (k == 0).astype(float)
        pair_prior[rows] = np.log1p(k)
        days_first[rows] = (t[rows] - t[rows[q_start]]) / _DAY
        prev_amt = np.r_[np.nan, amount[rows][:-1]]
        ratio = np.where(q_new, 1.0, amount[rows] / np.maximum(prev_amt, 1.0))
        to_prev[rows] = ratio
    feats["is_new_payee"] = is_new_payee
    feats["cust_payee_prior_count"] = pair_prior
    feats["days_since_first_payee_txn"] = np.minimum(days_first, 365.0)
    feats["amount_to_prev_same_payee"] = np.clip(to_prev, 0.0, 100.0)

    # --- row-level features ------------------------------------------------------------------
    stamp = pd.DatetimeIndex(transactions["timestamp"])
    hour = stamp.hour.to_numpy()
    feats["log_amount"] = np.log1p(amount)
    feats["hour"] = hour.astype(float)
    feats["is_night"] = (hour < 6).astype(float)
    feats["is_weekend"] = (stamp.dayofweek.to_numpy() >= 5).astype(float)
    feats["is_new_device"] = transactions["is_new_device"].to_numpy(dtype=float)
    feats["payee_alert_flag"] = transactions["payee_alert_flag"].to_numpy(dtype=float)
    lim = transactions["limit_change_hours_ago"].to_numpy(dtype=float)
    lim = np.where(np.isnan(lim), LIMIT_CHANGE_CAP_HOURS, np.clip(lim, 0, LIMIT_CHANGE_CAP_HOURS))
    feats["limit_change_hours_ago"] = lim
    feats["limit_changed_24h"] = (lim <= 24).astype(float)
    feats["amount_to_balance"] = np.clip(amount / np.maximum(balance, 1.0), 0, 10)
    feats["log_balance"] = np.log1p(np.maximum(balance, 0))
    open_days = transactions["account_open_date"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    age_days = np.maximum((ts - open_days) / _DAY, 0)
    feats["log_account_age_days"] = np.log1p(age_days)

    out = pd.DataFrame(
        {c: np.asarray(feats[c], dtype=np.float64) for c in FEATURE_COLUMNS},
        index=transactions.index,
    )
    out["channel"] = channel
    out["payee_proxy_type"] = transactions["payee_proxy_type"].fillna("").astype(str).to_numpy()
    out["mcc"] = transactions["mcc"].fillna("").astype(str).to_numpy()
    return out


def temporal_split(transactions: pd.DataFrame, test_days: int = 30) -> tuple[pd.Index, pd.Index]:
    """Split rows by time: train before the last ``test_days`` days, test the last ``test_days``.

    The cut-off is midnight ``test_days`` days before the day after the last timestamp, so with
    whole simulated days the test set is exactly the final ``test_days`` calendar days.

    Args:
        transactions: Frame with a ``timestamp`` column.
        test_days: Length of the test period in days (>= 1).

    Returns:
        ``(train_index, test_index)``: row index labels of ``transactions``.

    Raises:
        ValueError: If ``test_days`` < 1 or the frame is empty.
    """
    if test_days < 1:
        raise ValueError("test_days must be >= 1")
    if transactions.empty:
        raise ValueError("transactions is empty")
    stamp = pd.to_datetime(transactions["timestamp"])
    cutoff = stamp.max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=test_days)
    is_test = (stamp >= cutoff).to_numpy()
    return transactions.index[~is_test], transactions.index[is_test]
