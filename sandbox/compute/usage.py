"""The usage ledger: what each tenant used today and the concurrency leases it holds.

One SQLite database at ``<home>/usage/usage.db`` shared by the model gateway, the job queue and
``sandbox gpu status``; safe across threads and processes (WAL journal, busy timeout, writes in
``BEGIN IMMEDIATE`` transactions). Days are Hong Kong calendar days: quotas reset at midnight HKT.
"""

from __future__ import annotations

import math
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args
from zoneinfo import ZoneInfo

from sandbox.compute._process import process_alive, process_start
from sandbox.compute._sqlite import connect, init_schema
from sandbox.config import Settings
from sandbox.errors import ConfigError, QuotaExceeded

if TYPE_CHECKING:
    from sandbox.server.compute_client import RemoteUsageLedger

HKT = ZoneInfo("Asia/Hong_Kong")

Resource = Literal["tokens", "gpu_seconds", "requests"]
SlotKind = Literal["requests", "jobs"]
RESOURCES: tuple[str, ...] = get_args(Resource)
SLOT_KINDS: tuple[str, ...] = get_args(SlotKind)

_QUOTA_KEY = {"tokens": "tokens_per_day", "gpu_seconds": "gpu_seconds_per_day"}
_SLOT_KEY = {"requests": "concurrent_requests", "jobs": "concurrent_jobs"}
_LABEL = {"tokens": "tokens", "gpu_seconds": "GPU-seconds", "requests": "requests"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    tenant TEXT NOT NULL,
    user TEXT NOT NULL,
    resource TEXT NOT NULL,
    amount REAL NOT NULL,
    model TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS usage_by_day ON usage (day, tenant, resource);
CREATE TABLE IF NOT EXISTS leases (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    pid INTEGER NOT NULL,
    proc_start TEXT,
    host TEXT NOT NULL,
    started REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_by_tenant ON leases (tenant, kind);
"""


def hk_day(timestamp: float) -> date:
    """The Hong Kong calendar day of a Unix timestamp."""
    return datetime.fromtimestamp(timestamp, HKT).date()


def next_reset(timestamp: float) -> datetime:
    """The next midnight in Hong Kong after ``timestamp``: when daily quotas start again."""
    day = hk_day(timestamp) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=HKT)


@dataclass(frozen=True)
class Lease:
    """One held concurrency slot: a gateway request or a running job."""

    id: int
    tenant: str
    kind: str
    pid: int
    host: str
    started: float
    """Unix time the slot was taken."""


class UsageLedger:
    """Per-tenant usage records and concurrency leases in one SQLite file.

    Args:
        path: The database file (created with its folder on first use).
        quotas_file: The quotas file named in QuotaExceeded messages; defaults to
            ``config/quotas.yaml`` beside the ``usage/`` folder holding ``path``.
        clock: Source of Unix time; tests pass a fixed one.
    """

    def __init__(
        self,
        path: Path,
        *,
        quotas_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.quotas_file = quotas_file or self.path.parent.parent / "config" / "quotas.yaml"
        self._clock = clock
        init_schema(self.path, _SCHEMA)

    @classmethod
    def for_settings(cls, settings: Settings) -> UsageLedger:
        """The ledger of the sandbox home in ``settings``: ``<home>/usage/usage.db``."""
        from sandbox.compute.quotas import quotas_path

        return cls(usage_db_path(settings), quotas_file=quotas_path(settings))

    def record(
        self,
        tenant: str,
        resource: Resource,
        amount: float,
        *,
        user: str,
        model: str = "",
    ) -> None:
        """Add ``amount`` of ``resource`` used by ``user`` of ``tenant`` now (e.g. after a call)."""
        _check_resource(resource)
        _check_amount(amount)
        with connect(self.path, write=True) as conn:
            self._insert(conn, tenant, resource, amount, user, model)

    def used_today(self, tenant: str, resource: Resource) -> float:
        """What ``tenant`` used of ``resource`` since midnight Hong Kong time."""
        _check_resource(resource)
        with connect(self.path) as conn:
            return self._used(conn, tenant, resource, hk_day(self._clock()))

    def check(self, tenant: str, resource: Resource, *, needed: float, limit: float) -> None:
        """Raise QuotaExceeded if using ``needed`` more today would pass ``limit``.

        ``needed=0`` asks whether any budget is left, so it fails once ``limit`` is reached;
        a limit of 0 allows nothing.

        Raises:
            QuotaExceeded: naming the tenant, resource, used/limit, the reset time and the fix.
        """
        _check_resource(resource)
        _check_amount(needed)
        with connect(self.path) as conn:
            used = self._used(conn, tenant, resource, hk_day(self._clock()))
        self._raise_if_over(tenant, resource, used, needed, limit)

    def consume(
        self,
        tenant: str,
        resource: Resource,
        amount: float,
        *,
        limit: float,
        user: str,
        model: str = "",
    ) -> float:
        """Check and record in one transaction, so concurrent callers cannot overshoot together.

        Returns:
            The tenant's use of ``resource`` today, including ``amount``.

        Raises:
            QuotaExceeded: as ``check``; nothing is recorded then.
        """
        _check_resource(resource)
        _check_amount(amount)
        with connect(self.path, write=True) as conn:
            used = self._used(conn, tenant, resource, hk_day(self._clock()))
            self._raise_if_over(tenant, resource, used, amount, limit)
            self._insert(conn, tenant, resource, amount, user, model)
        return used + amount

    @contextmanager
    def slot(self, tenant: str, kind: SlotKind, limit: int) -> Iterator[Lease]:
        """Hold one of ``tenant``'s ``limit`` concurrent ``kind`` slots for the ``with`` block.

        The lease is a row holding this process's id; leases of processes that died without
        releasing theirs are cleared before counting.

        Raises:
            QuotaExceeded: ``limit`` leases are held already.
        """
        pid = os.getpid()
        lease = self.acquire(tenant, kind, limit, pid=pid, proc_start=process_start(pid))
        try:
            yield lease
        finally:
            self.release(lease.id)

    def acquire(
        self,
        tenant: str,
        kind: SlotKind,
        limit: int,
        *,
        pid: int,
        proc_start: str | None,
        host: str | None = None,
    ) -> Lease:
        """Take one of ``tenant``'s ``limit`` concurrent ``kind`` slots for the process ``pid``
        (of ``host``, default this one) until ``release``; ``slot`` is the usual way.

        Raises:
            QuotaExceeded: ``limit`` leases are held already.
        """
        if kind not in SLOT_KINDS:
            raise ConfigError(f"unknown slot kind '{kind}'; known: {', '.join(SLOT_KINDS)}")
        now = self._clock()
        host = host or socket.gethostname()
        with connect(self.path, write=True) as conn:
            _clear_stale(conn)
            (held,) = conn.execute(
                "SELECT COUNT(*) FROM leases WHERE tenant = ? AND kind = ?", (tenant, kind)
            ).fetchone()
            if held >= limit:
                noun = "requests" if kind == "requests" else "jobs"
                raise QuotaExceeded(
                    f"tenant '{tenant}' already has {held} of {limit} concurrent {noun} "
                    f"running; retry when one finishes, or ask an admin to raise "
                    f"'{_SLOT_KEY[kind]}' under tenants.{tenant} in {self.quotas_file}",
                    tenant=tenant,
                    resource=f"concurrent_{kind}",
                    used=held,
                    limit=limit,
                )
            cursor = conn.execute(
                "INSERT INTO leases (tenant, kind, pid, proc_start, host, started) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (tenant, kind, pid, proc_start, host, now),
            )
            return Lease(
                id=int(cursor.lastrowid or 0),
                tenant=tenant,
                kind=kind,
                pid=pid,
                host=host,
                started=now,
            )

    def release(self, lease_id: int, *, tenant: str | None = None) -> None:
        """Give a slot back (only ``tenant``'s lease when given; an unknown lease is fine)."""
        with connect(self.path, write=True) as conn:
            if tenant is None:
                conn.execute("DELETE FROM leases WHERE id = ?", (lease_id,))
            else:
                conn.execute("DELETE FROM leases WHERE id = ? AND tenant = ?", (lease_id, tenant))

    def summary(self, day: date | None = None) -> dict[str, dict[str, float]]:
        """Each tenant's use of every resource on ``day`` (default: today in Hong Kong)."""
        day = day or hk_day(self._clock())
        with connect(self.path) as conn:
            rows = conn.execute(
                "SELECT tenant, resource, SUM(amount) AS total FROM usage WHERE day = ? "
                "GROUP BY tenant, resource ORDER BY tenant",
                (day.isoformat(),),
            ).fetchall()
        result: dict[str, dict[str, float]] = {}
        for row in rows:
            result.setdefault(row["tenant"], dict.fromkeys(RESOURCES, 0.0))[row["resource"]] = (
                float(row["total"])
            )
        return result

    def active_leases(self) -> list[Lease]:
        """Leases held now (stale ones of dead processes are cleared first), oldest first."""
        with connect(self.path, write=True) as conn:
            _clear_stale(conn)
            rows = conn.execute(
                "SELECT id, tenant, kind, pid, host, started FROM leases ORDER BY started, id"
            ).fetchall()
        return [Lease(**dict(row)) for row in rows]

    def _insert(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        resource: str,
        amount: float,
        user: str,
        model: str,
    ) -> None:
        now = self._clock()
        conn.execute(
            "INSERT INTO usage (ts, day, tenant, user, resource, amount, model) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now, hk_day(now).isoformat(), tenant, user, resource, float(amount), model),
        )

    @staticmethod
    def _used(conn: sqlite3.Connection, tenant: str, resource: str, day: date) -> float:
        (total,) = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM usage "
            "WHERE day = ? AND tenant = ? AND resource = ?",
            (day.isoformat(), tenant, resource),
        ).fetchone()
        return float(total)

    def _raise_if_over(
        self, tenant: str, resource: str, used: float, needed: float, limit: float
    ) -> None:
        over = used + needed > limit if needed > 0 else used >= limit
        if not over:
            return
        reset = next_reset(self._clock())
        label = _LABEL[resource]
        needs = f" (this needs {_num(needed)} more)" if needed > 0 else ""
        key = _QUOTA_KEY.get(resource)
        who = (
            f"an admin can raise '{key}' under tenants.{tenant} in {self.quotas_file}"
            if key
            else f"an admin can raise the limit in {self.quotas_file}"
        )
        raise QuotaExceeded(
            f"tenant '{tenant}' has used {_num(used)} of {_num(limit)} {label} allowed per day"
            f"{needs}; the quota resets at midnight Hong Kong time "
            f"({reset:%Y-%m-%d %H:%M} HKT); {who}",
            tenant=tenant,
            resource=resource,
            used=used,
            limit=limit,
            resets_at=reset.isoformat(),
        )


def open_ledger(settings: Settings) -> UsageLedger | RemoteUsageLedger:
    """The usage ledger the sandbox charges: the server's (which decides every limit from its
    own quotas) when the sandbox talks to one, else the local home's."""
    if settings.server_url is not None:
        from sandbox.server.client import Credentials
        from sandbox.server.compute_client import RemoteUsageLedger

        return RemoteUsageLedger(Credentials.from_environment(settings.server_url))
    return UsageLedger.for_settings(settings)


def usage_db_path(settings: Settings) -> Path:
    """The compute database of a sandbox home: ``<home>/usage/usage.db``."""
    return settings.home / "usage" / "usage.db"


def _check_resource(resource: str) -> None:
    if resource not in RESOURCES:
        raise ConfigError(f"unknown resource '{resource}'; known: {', '.join(RESOURCES)}")


def _check_amount(amount: float) -> None:
    if not math.isfinite(amount) or amount < 0:
        raise ConfigError(f"usage amount must be a finite number >= 0, got {amount!r}")


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _clear_stale(conn: sqlite3.Connection) -> None:
    """Delete this host's leases whose process is gone (or whose pid now names another one)."""
    host = socket.gethostname()
    rows = conn.execute("SELECT id, pid, proc_start FROM leases WHERE host = ?", (host,))
    dead = [row["id"] for row in rows if not process_alive(row["pid"], row["proc_start"])]
    conn.executemany("DELETE FROM leases WHERE id = ?", [(i,) for i in dead])
