import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from sandbox.compute.usage import HKT, UsageLedger, hk_day, next_reset
from sandbox.config import Settings
from sandbox.errors import QuotaExceeded


class Clock:
    """A settable clock, so day boundaries in Hong Kong can be crossed in a test."""

    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when.timestamp()


@pytest.fixture
def ledger(settings: Settings) -> UsageLedger:
    return UsageLedger.for_settings(settings)


def test_for_settings_lives_under_home_usage(settings: Settings, ledger: UsageLedger) -> None:
    assert ledger.path == settings.home / "usage" / "usage.db"
    assert ledger.path.exists()


def test_record_and_used_today_per_tenant_and_resource(ledger: UsageLedger) -> None:
    ledger.record("bank-a", "tokens", 120, user="alice", model="embedded")
    ledger.record("bank-a", "tokens", 80, user="bob")
    ledger.record("bank-a", "gpu_seconds", 2.5, user="alice")
    ledger.record("bank-b", "tokens", 999, user="carol")
    assert ledger.used_today("bank-a", "tokens") == 200
    assert ledger.used_today("bank-a", "gpu_seconds") == 2.5
    assert ledger.used_today("bank-a", "requests") == 0
    assert ledger.used_today("bank-b", "tokens") == 999


def test_check_allows_up_to_the_limit_and_then_explains(settings: Settings) -> None:
    clock = Clock(datetime(2025, 3, 4, 15, 0, tzinfo=HKT))
    ledger = UsageLedger.for_settings(settings)
    ledger = UsageLedger(ledger.path, quotas_file=ledger.quotas_file, clock=clock)
    ledger.record("bank-a", "tokens", 199_000, user="alice")
    ledger.check("bank-a", "tokens", needed=1_000, limit=200_000)  # exactly at the limit: fine
    with pytest.raises(QuotaExceeded) as info:
        ledger.check("bank-a", "tokens", needed=5_000, limit=200_000)
    message = str(info.value)
    for part in (
        "bank-a",
        "tokens",
        "199,000 of 200,000",
        "5,000 more",
        "midnight Hong Kong time",
        "2025-03-05 00:00 HKT",
        "an admin",
        "tokens_per_day",
        str(settings.home / "config" / "quotas.yaml"),
    ):
        assert part in message
    error = info.value
    assert (error.exit_code, error.tenant, error.resource) == (10, "bank-a", "tokens")
    assert (error.used, error.limit) == (199_000, 200_000)


def test_zero_limit_allows_nothing_and_needed_zero_asks_for_any_budget(
    ledger: UsageLedger,
) -> None:
    with pytest.raises(QuotaExceeded):
        ledger.check("bank-a", "gpu_seconds", needed=0, limit=0)
    with pytest.raises(QuotaExceeded):
        ledger.check("bank-a", "gpu_seconds", needed=1, limit=0)
    ledger.record("bank-a", "tokens", 10, user="alice")
    ledger.check("bank-a", "tokens", needed=0, limit=11)
    with pytest.raises(QuotaExceeded):
        ledger.check("bank-a", "tokens", needed=0, limit=10)


def test_days_are_hong_kong_calendar_days(settings: Settings) -> None:
    clock = Clock(datetime(2025, 3, 4, 23, 59, tzinfo=HKT))  # 15:59 UTC
    ledger = UsageLedger(settings.home / "usage" / "usage.db", clock=clock)
    ledger.record("bank-a", "tokens", 500, user="alice")
    assert ledger.used_today("bank-a", "tokens") == 500
    clock.set(datetime(2025, 3, 5, 0, 1, tzinfo=HKT))  # still 4 March in UTC
    assert ledger.used_today("bank-a", "tokens") == 0
    ledger.check("bank-a", "tokens", needed=100, limit=100)
    assert ledger.summary(date(2025, 3, 4)) == {
        "bank-a": {"tokens": 500.0, "gpu_seconds": 0.0, "requests": 0.0}
    }
    assert ledger.summary() == {}


def test_next_reset_is_the_coming_midnight_hkt() -> None:
    noon = datetime(2025, 12, 31, 12, 0, tzinfo=HKT).timestamp()
    assert next_reset(noon) == datetime(2026, 1, 1, tzinfo=HKT)
    assert hk_day(noon) == date(2025, 12, 31)


def test_consume_is_atomic_across_threads(ledger: UsageLedger) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            try:
                ledger.consume("bank-a", "tokens", 1, limit=25, user="alice")
                result = "ok"
            except QuotaExceeded:
                result = "denied"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 25
    assert outcomes.count("denied") == 35
    assert ledger.used_today("bank-a", "tokens") == 25


def test_slot_holds_a_lease_and_releases_it(ledger: UsageLedger) -> None:
    with ledger.slot("bank-a", "requests", 2) as first, ledger.slot("bank-a", "requests", 2):
        assert first.pid == os.getpid()
        assert [lease.kind for lease in ledger.active_leases()] == ["requests", "requests"]
        with (
            pytest.raises(QuotaExceeded, match="2 of 2 concurrent requests") as info,
            ledger.slot("bank-a", "requests", 2),
        ):
            pass
        assert "concurrent_requests" in str(info.value)
        with ledger.slot("bank-b", "requests", 2):  # other tenants are not affected
            pass
        with ledger.slot("bank-a", "jobs", 1):  # nor other kinds
            pass
    assert ledger.active_leases() == []


def test_slot_limit_zero_allows_nothing(ledger: UsageLedger) -> None:
    with pytest.raises(QuotaExceeded), ledger.slot("bank-a", "jobs", 0):
        pass


def test_slot_admits_exactly_limit_threads_at_once(ledger: UsageLedger) -> None:
    limit, workers = 3, 8
    inside = threading.Barrier(limit + 1)
    release = threading.Event()
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            with ledger.slot("bank-a", "requests", limit):
                with lock:
                    results.append("held")
                inside.wait(timeout=20)
                release.wait(timeout=20)
        except QuotaExceeded:
            with lock:
                results.append("denied")

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    inside.wait(timeout=20)  # the holders are inside and keep their slots until released
    deadline = time.monotonic() + 20
    while len(results) < workers and time.monotonic() < deadline:
        time.sleep(0.01)  # every other thread has tried (and must have been denied)
    release.set()
    for thread in threads:
        thread.join()
    assert results.count("held") == limit
    assert results.count("denied") == workers - limit
    assert ledger.active_leases() == []


_HOLDER = """
import sys, time
from pathlib import Path
from sandbox.compute.usage import UsageLedger
ledger = UsageLedger(Path(sys.argv[1]))
with ledger.slot("bank-a", "jobs", 1):
    print("held", flush=True)
    time.sleep(120)
"""


def test_lease_of_another_process_counts_until_it_dies(ledger: UsageLedger) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(ledger.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert [lease.pid for lease in ledger.active_leases()] == [holder.pid]
        with (
            pytest.raises(QuotaExceeded, match="1 of 1 concurrent jobs"),
            ledger.slot("bank-a", "jobs", 1),
        ):
            pass
        holder.send_signal(signal.SIGKILL)  # dies without releasing its lease
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    with ledger.slot("bank-a", "jobs", 1) as lease:  # the stale lease was cleared
        assert lease.pid == os.getpid()
    assert ledger.active_leases() == []


def test_summary_groups_today_by_tenant(ledger: UsageLedger) -> None:
    ledger.record("bank-a", "requests", 1, user="alice")
    ledger.record("bank-a", "tokens", 30, user="alice")
    ledger.record("bank-b", "gpu_seconds", 7.5, user="bob")
    assert ledger.summary() == {
        "bank-a": {"tokens": 30.0, "gpu_seconds": 0.0, "requests": 1.0},
        "bank-b": {"tokens": 0.0, "gpu_seconds": 7.5, "requests": 0.0},
    }


def test_two_ledgers_on_one_file_see_each_other(tmp_path: Path) -> None:
    a = UsageLedger(tmp_path / "usage" / "usage.db")
    b = UsageLedger(tmp_path / "usage" / "usage.db")
    a.record("bank-a", "tokens", 5, user="alice")
    assert b.used_today("bank-a", "tokens") == 5
