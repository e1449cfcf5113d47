"""The job queue and the usage ledger live on the sandbox server (one for every bank).

A bank's jobs and usage are its own; a runner runs only its own user's jobs, with that user's
sign-in; the server decides every limit from its own quotas, whatever a client says.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.errors import AccessDenied, QuotaExceeded
from sandbox.server.client import ControlPlane, Credentials
from sandbox.server.compute_client import RemoteJobQueue, RemoteUsageLedger
from tests.sandbox.server.test_isolation import (
    ADMIN_PASSWORD,
    _audit,
    _sandbox_env,
    _serve,
    _user,
)

WRITE_SIGN_IN = (
    "import os, sys; open(sys.argv[1], 'w').write("
    "os.environ.get('MLFLOW_TRACKING_USERNAME', '') + '|' + os.environ.get('SANDBOX_ROLE', ''))"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory, None)


def _cli(server: str, user: tuple[str, str], home: Path, *args: str) -> subprocess.CompletedProcess:
    env = _sandbox_env(server, user, home)
    env["SANDBOX_ROLE"] = "admin"  # grants nothing against a server
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "jobs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_jobs_wait_on_the_server_and_run_as_their_submitter_only(
    server: str, tmp_path: Path
) -> None:
    scientist = _user("bank-a", "data_scientist")
    colleague = ("second-scientist-bank-a", "pw-second-scientist-0123456789")
    admin = ControlPlane(Credentials(server, "admin", ADMIN_PASSWORD))
    admin.create_user(*colleague, "bank-a", "data_scientist")
    home, other_home = tmp_path / "a", tmp_path / "b"
    out = tmp_path / "sign-in.txt"

    submitted = _cli(
        server, scientist, home, "submit", "--", sys.executable, "-c", WRITE_SIGN_IN, str(out)
    )
    assert submitted.returncode == 0, submitted.stderr[-2000:]
    queue = RemoteJobQueue(Credentials(server, *scientist), home, device_count=0)
    (job,) = queue.list()
    assert (job.state, job.user, job.tenant) == ("queued", scientist[0], "bank-a")

    # another bank sees nothing and runs nothing; a colleague does not run someone else's job
    listed = _cli(server, _user("bank-b", "data_scientist"), other_home, "list")
    assert listed.returncode == 0 and "No jobs" in listed.stdout
    for user in (_user("bank-b", "data_scientist"), colleague):
        ran = _cli(server, user, other_home, "run-next")
        assert ran.returncode == 0 and "No queued jobs" in ran.stdout, ran.stdout + ran.stderr
    validator = _cli(server, _user("bank-a", "validator"), other_home, "run-next")
    assert validator.returncode != 0 and "may not run_experiment" in validator.stderr
    assert queue.get(job.id).state == "queued"

    ran = _cli(server, scientist, home, "run-next")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert out.read_text(encoding="utf-8") == f"{scientist[0]}|"  # own sign-in, no old variables
    assert queue.get(job.id).state == "succeeded"
    assert (home / "usage" / "jobs" / f"{job.id}.log").is_file()  # the log stays with the runner
    assert not (home / "usage" / "usage.db").exists()  # no queue or ledger in the client's home

    actions = [
        e.action
        for e in _audit(server, "bank-a", "validator").entries()
        if e.target == f"job:{job.id}"
    ]
    assert actions == ["job.submitted", "job.started", "job.finished"]
    assert not [
        e for e in _audit(server, "bank-b", "validator").entries() if e.target == f"job:{job.id}"
    ]
    with pytest.raises(AccessDenied):  # nobody reports the outcome of a job not theirs
        ControlPlane(Credentials(server, *colleague))._call(
            "POST", "jobs/finish", {"job": job.id, "exit_code": 0, "wall_seconds": 1.0}
        )


def test_a_cancel_on_the_server_stops_the_job_where_it_runs(server: str, tmp_path: Path) -> None:
    scientist = Credentials(server, *_user("bank-b", "data_scientist"))
    queue = RemoteJobQueue(scientist, tmp_path, device_count=0)
    job_id = queue.submit(
        "bank-b", scientist.username, [sys.executable, "-c", "import time; time.sleep(120)"]
    )
    finished: list[object] = []
    runner = threading.Thread(target=lambda: finished.append(queue.run_next()))
    started = time.monotonic()
    runner.start()
    while queue.get(job_id).state != "running":
        assert time.monotonic() - started < 60, "the job never started"
        time.sleep(0.2)
    with pytest.raises(AccessDenied):  # reading a job is not enough to stop it
        RemoteJobQueue(Credentials(server, *_user("bank-b", "validator")), tmp_path).cancel(job_id)
    with pytest.raises(AccessDenied):
        RemoteJobQueue(Credentials(server, *_user("bank-a", "data_scientist")), tmp_path).cancel(
            job_id
        )
    queue.cancel(job_id)
    runner.join(timeout=60)
    assert not runner.is_alive()
    job = queue.get(job_id)
    assert (job.state, job.reason) == ("cancelled", "cancelled while running")
    assert time.monotonic() - started < 60


def test_the_server_decides_quotas_and_keeps_each_banks_usage(server: str) -> None:
    admin = ControlPlane(Credentials(server, "admin", ADMIN_PASSWORD))
    admin.set_config("quotas", "tenants:\n  bank-a:\n    tokens_per_day: 1000\n")
    scientist = _user("bank-a", "data_scientist")
    ledger = RemoteUsageLedger(Credentials(server, *scientist))
    ledger.record("bank-a", "tokens", 900, user=scientist[0], model="probe")
    with pytest.raises(QuotaExceeded) as refused:  # the client's own limit counts for nothing
        ledger.check("bank-a", "tokens", needed=200, limit=10**12)
    assert (refused.value.tenant, refused.value.resource) == ("bank-a", "tokens")
    assert refused.value.limit == 1000 and refused.value.used >= 900
    ledger.check("bank-a", "tokens", needed=50, limit=0)
    with ledger.slot("bank-a", "requests", limit=10**6) as lease:
        assert [x.id for x in ledger.active_leases()] == [lease.id]
    assert ledger.active_leases() == []

    officer = RemoteUsageLedger(Credentials(server, *_user("bank-a", "compliance_officer")))
    officer.record("bank-a", "tokens", 10, user="anyone")  # officers' model calls are charged too
    assert officer.used_today("bank-a", "tokens") >= 910
    other = RemoteUsageLedger(Credentials(server, *_user("bank-b", "data_scientist")))
    other.check("bank-b", "tokens", needed=200, limit=0)  # bank-b keeps the default quota
    assert "bank-a" not in other.summary()
    with pytest.raises(AccessDenied):
        other.record("bank-a", "tokens", 1, user="x")
    reviewer = RemoteUsageLedger(Credentials(server, *_user("bank-a", "hkma_reviewer")))
    assert "bank-a" in reviewer.summary()  # reads its granted bank's usage
    with pytest.raises(AccessDenied):
        reviewer.record("bank-a", "tokens", 1, user="x")
    assert set(RemoteUsageLedger(Credentials(server, "admin", ADMIN_PASSWORD)).summary()) >= {
        "bank-a"
    }
