import json
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox.audit import AuditLog
from sandbox.compute.queue import JobQueue
from sandbox.compute.usage import UsageLedger
from sandbox.config import Settings, load_settings
from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError, QuotaExceeded

PY = sys.executable
SECRET = "A123456(7)"  # an HKID-shaped argument that must never reach the audit log


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_run_next_runs_a_cpu_job_and_audits_without_arguments(
    settings: Settings, tmp_path: Path
) -> None:
    queue = JobQueue(settings)
    out = tmp_path / "env.json"
    script = (
        "import json, os, sys; json.dump({k: os.environ.get(k) for k in "
        "('CUDA_VISIBLE_DEVICES', 'SANDBOX_TENANT', 'SANDBOX_USER')}, open(sys.argv[1], 'w'))"
    )
    job_id = queue.submit("test-bank", "test-scientist", [PY, "-c", script, str(out), SECRET])
    assert queue.get(job_id).state == "queued"
    job = queue.run_next()
    assert job is not None and job.id == job_id
    assert (job.state, job.exit_code, job.gpu_seconds) == ("succeeded", 0, 0.0)
    assert json.loads(out.read_text()) == {
        "CUDA_VISIBLE_DEVICES": "",  # a CPU job sees no GPU
        "SANDBOX_TENANT": "test-bank",
        "SANDBOX_USER": "test-scientist",
    }
    assert queue.run_next() is None  # nothing left
    entries = list(AuditLog(settings.audit_log_path).entries())
    assert [e.action for e in entries] == ["job.submitted", "job.started", "job.finished"]
    assert entries[0].details["program"] == Path(PY).name
    assert len(entries[0].details["args_sha256"]) == 64
    assert entries[2].details["state"] == "succeeded"
    assert SECRET not in settings.audit_log_path.read_text()


def test_a_gpu_job_gets_devices_and_is_charged_wall_seconds_times_gpus(
    settings: Settings, tmp_path: Path
) -> None:
    queue = JobQueue(settings, device_count=2)  # the devices the queue hands out
    out = tmp_path / "visible.txt"
    command = [
        PY,
        "-c",
        "import os, sys, time; time.sleep(0.5); "
        "open(sys.argv[1], 'w').write(os.environ['CUDA_VISIBLE_DEVICES'])",
        str(out),
    ]
    queue.submit("test-bank", "test-scientist", command, gpus=2, gpu_seconds_estimate=60)
    job = queue.run_next()
    assert job is not None and job.state == "succeeded"
    assert out.read_text() == "0,1" == job.devices
    assert job.started is not None and job.finished is not None
    wall = job.finished - job.started
    assert 1.0 <= job.gpu_seconds <= 2 * wall + 0.1
    assert UsageLedger.for_settings(settings).used_today(
        "test-bank", "gpu_seconds"
    ) == pytest.approx(job.gpu_seconds)


def test_a_failing_job_is_failed_with_its_exit_code(settings: Settings) -> None:
    queue = JobQueue(settings)
    queue.submit("test-bank", "test-scientist", [PY, "-c", "raise SystemExit(3)"])
    job = queue.run_next()
    assert job is not None
    assert (job.state, job.exit_code, job.reason) == ("failed", 3, "exit code 3")


def test_a_missing_program_fails_the_job_not_the_queue(settings: Settings) -> None:
    queue = JobQueue(settings)
    queue.submit("test-bank", "test-scientist", ["/nonexistent/train-model"])
    job = queue.run_next()
    assert job is not None and job.state == "failed"
    assert "could not start 'train-model'" in job.reason


def test_fair_share_least_gpu_seconds_today_goes_first(admin: Settings) -> None:
    queue = JobQueue(admin)
    ledger = UsageLedger.for_settings(admin)
    ledger.record("bank-a", "gpu_seconds", 500, user="alice")
    ledger.record("bank-b", "gpu_seconds", 20, user="bob")
    first_a = queue.submit("bank-a", "alice", [PY, "-c", "pass"])
    first_b = queue.submit("bank-b", "bob", [PY, "-c", "pass"])
    second_b = queue.submit("bank-b", "bob", [PY, "-c", "pass"])
    job = queue.next_job()
    assert job is not None and job.id == first_b  # submitted later, but used less
    assert "fair share" in queue.waiting_reasons()[first_a]
    ledger.record("bank-b", "gpu_seconds", 1000, user="bob")
    job = queue.next_job()
    assert job is not None and job.id == first_a
    assert "fair share" in queue.waiting_reasons()[second_b]


def test_ties_go_to_the_oldest_submission(admin: Settings) -> None:
    queue = JobQueue(admin)
    older = queue.submit("bank-b", "bob", [PY, "-c", "pass"])
    queue.submit("bank-a", "alice", [PY, "-c", "pass"])
    job = queue.next_job()
    assert job is not None and job.id == older


def test_a_tenant_at_its_concurrent_jobs_limit_is_skipped(
    admin: Settings, write_quotas, tmp_path: Path
) -> None:
    write_quotas({"tenants": {"bank-a": {"concurrent_jobs": 1}}})
    queue = JobQueue(admin)
    UsageLedger.for_settings(admin).record("bank-b", "gpu_seconds", 900, user="bob")
    gate = tmp_path / "go"
    blocker = [
        PY,
        "-c",
        f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.02)",
    ]
    running = queue.submit("bank-a", "alice", blocker)
    waiting_a = queue.submit("bank-a", "alice", [PY, "-c", "pass"])
    job_b = queue.submit("bank-b", "bob", [PY, "-c", "pass"])
    worker = threading.Thread(target=queue.run_next)
    worker.start()
    try:
        ledger = UsageLedger.for_settings(admin)
        # the runner marks the job running, then takes its tenant's job slot (the lease)
        _wait_for(lambda: queue.get(running).state == "running" and ledger.active_leases())
        job = queue.next_job()  # bank-a used less, but is at 1/1 running jobs
        assert job is not None and job.id == job_b
        assert "concurrent_jobs" in queue.waiting_reasons()[waiting_a]
        leases = ledger.active_leases()
        assert [(lease.tenant, lease.kind) for lease in leases] == [("bank-a", "jobs")]
    finally:
        gate.touch()
        worker.join(timeout=30)
    assert queue.get(running).state == "succeeded"
    job = queue.next_job()
    assert job is not None and job.id == waiting_a  # bank-a is free again and used less


def test_a_tenant_over_its_gpu_seconds_quota_waits(admin: Settings, write_quotas) -> None:
    write_quotas({"default": {"gpu_seconds_per_day": 1000}})
    queue = JobQueue(admin, device_count=1)
    UsageLedger.for_settings(admin).record("bank-a", "gpu_seconds", 950, user="alice")
    over = queue.submit("bank-a", "alice", [PY, "-c", "pass"], gpus=1, gpu_seconds_estimate=100)
    cpu_job = queue.submit("bank-a", "alice", [PY, "-c", "pass"], gpus=0)
    assert "gpu_seconds_per_day" in queue.waiting_reasons()[over]
    job = queue.next_job()
    assert job is not None and job.id == cpu_job  # CPU jobs use no GPU-seconds


def test_a_gpu_job_is_stopped_when_its_tenant_runs_out_of_gpu_seconds(
    settings: Settings, write_quotas
) -> None:
    write_quotas({"default": {"gpu_seconds_per_day": 1.5}})
    queue = JobQueue(settings, device_count=1)
    queue.submit("test-bank", "test-scientist", [PY, "-c", "import time; time.sleep(60)"], 1, 1.0)
    started = time.monotonic()
    job = queue.run_next()
    assert time.monotonic() - started < 15
    assert job is not None and job.state == "failed"
    assert "gpu_seconds_per_day" in job.reason
    assert 1.4 <= job.gpu_seconds < 5


def test_cancel_a_queued_job_and_a_running_one(settings: Settings) -> None:
    queue = JobQueue(settings)
    queued = queue.submit("test-bank", "test-scientist", [PY, "-c", "pass"])
    assert queue.cancel(queued).state == "cancelled"
    with pytest.raises(ConfigError, match="already finished"):
        queue.cancel(queued)
    long = queue.submit("test-bank", "test-scientist", [PY, "-c", "import time; time.sleep(60)"])
    result: list = []
    worker = threading.Thread(target=lambda: result.append(queue.run_next()))
    worker.start()
    _wait_for(lambda: queue.get(long).state == "running")
    time.sleep(0.3)
    queue.cancel(long)
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert result[0].state == "cancelled"
    actions = [e.action for e in AuditLog(settings.audit_log_path).entries()]
    assert actions.count("job.cancelled") == 2


def test_only_the_owner_tenant_or_an_admin_may_cancel_or_see(
    admin: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = JobQueue(admin).submit("bank-b", "bob", [PY, "-c", "pass"])
    monkeypatch.setenv("SANDBOX_ROLE", "data_scientist")
    scientist = JobQueue(load_settings())  # tenant test-bank
    with pytest.raises(AccessDenied):
        scientist.cancel(other)
    with pytest.raises(AccessDenied):
        scientist.get(other)
    assert scientist.list() == []
    mine = scientist.submit("test-bank", "test-scientist", [PY, "-c", "pass"])
    assert [job.id for job in scientist.list()] == [mine]
    assert {job.id for job in JobQueue(admin).list()} == {other, mine}
    assert JobQueue(admin).cancel(other).state == "cancelled"


def test_submit_refusals(settings: Settings, write_quotas) -> None:
    queue = JobQueue(settings, device_count=0)
    with pytest.raises(AccessDenied, match="only admins"):
        queue.submit("bank-b", "test-scientist", [PY, "-c", "pass"])
    with pytest.raises(PrerequisiteError, match="this machine has 0"):
        queue.submit("test-bank", "test-scientist", [PY], gpus=1, gpu_seconds_estimate=10)
    with pytest.raises(ConfigError):
        queue.submit("test-bank", "test-scientist", [])
    write_quotas({"default": {"concurrent_jobs": 0}})
    with pytest.raises(QuotaExceeded, match="0 concurrent jobs"):
        queue.submit("test-bank", "test-scientist", [PY, "-c", "pass"])


def test_a_validator_may_not_submit(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_ROLE", "validator")
    with pytest.raises(AccessDenied):
        JobQueue(load_settings()).submit("test-bank", "v", [PY, "-c", "pass"])


def test_a_tenant_runs_only_its_own_jobs_with_an_allowlisted_environment(
    admin: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "env.json"
    script = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
    theirs = JobQueue(admin).submit("bank-b", "bob", [PY, "-c", script, str(out)])
    monkeypatch.setenv("SANDBOX_ROLE", "data_scientist")  # tenant test-bank
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "runner-password-never-leaks")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-runner-key-never-leaks")
    scientist = JobQueue(load_settings())
    assert scientist.run_next() is None  # bank-b's job is not test-bank's to run
    assert JobQueue(admin).get(theirs).state == "queued"
    mine = scientist.submit("test-bank", "test-scientist", [PY, "-c", script, str(out)])
    assert scientist.run_next().id == mine
    seen = json.loads(out.read_text())
    assert seen["SANDBOX_TENANT"] == "test-bank"
    assert "OPENAI_API_KEY" not in seen  # not on the allowlist
    assert seen["MLFLOW_TRACKING_PASSWORD"] == "runner-password-never-leaks"  # same bank only
    monkeypatch.setenv("SANDBOX_ROLE", "admin")
    assert JobQueue(load_settings()).run_next().id == theirs  # the operator runs any bank's job
    seen = json.loads(out.read_text())
    assert seen["SANDBOX_TENANT"] == "bank-b"
    assert "MLFLOW_TRACKING_PASSWORD" not in seen and "OPENAI_API_KEY" not in seen
