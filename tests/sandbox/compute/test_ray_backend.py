"""Ray job submission, against a real Ray head started on loopback for this module."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.audit import AuditLog
from sandbox.compute.ray_backend import (
    RAY_REQUIREMENT,
    check_address,
    ray_job_status,
    submit_ray_job,
)
from sandbox.config import Settings
from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError

TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


START_TIMEOUT_S = 8  # the head fails jobs still pending after this (Ray's default is 900 s)


def _processes_started_by(pgid: int) -> set[int]:
    """Live members of process group ``pgid`` and all their descendants (Ray's workers start
    their own sessions, so the group alone misses them)."""
    parents: dict[int, int] = {}
    members: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        if fields[0] in ("Z", "X"):
            continue
        parents[pid] = int(fields[1])
        if int(fields[2]) == pgid:
            members.add(pid)
    found, frontier = set(members), set(members)
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _stop_processes(pgid: int) -> None:
    """SIGTERM what ``ray start`` left running, SIGKILL what is left after a grace period."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        pids = _processes_started_by(pgid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            time.sleep(0.2)
            pids = _processes_started_by(pgid) & pids
        if not pids:
            return


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """A one-CPU, no-GPU Ray head on 127.0.0.1; every process it starts is stopped afterwards.

    ``ray start`` runs in its own session; the teardown signals that group and its descendants
    rather than running ``ray stop``, which would stop every Ray process of this user on the
    machine.
    """
    pytest.importorskip("ray.job_submission", reason=f'needs pip install "{RAY_REQUIREMENT}"')
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip(f"no `ray` command beside {sys.executable}")
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths are long
    dashboard = _free_port()
    command = [
        str(ray_cli),
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={_free_port()}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        f"--ray-client-server-port={_free_port()}",
        f"--dashboard-agent-listen-port={_free_port()}",
        "--num-cpus=1",
        "--num-gpus=0",
        "--include-dashboard=true",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_JOB_START_TIMEOUT_SECONDS": str(START_TIMEOUT_S),
    }
    env.pop("RAY_ADDRESS", None)
    env.pop("RAY_API_SERVER_ADDRESS", None)
    starter = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    pgid = starter.pid
    try:
        output, _ = starter.communicate(timeout=180)
        if starter.returncode != 0:
            pytest.fail(f"ray start failed ({starter.returncode}):\n{output[-3000:]}")
        yield f"http://127.0.0.1:{dashboard}"
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()
        _stop_processes(pgid)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_terminal(address: str, submission_id: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ray_job_status(address, submission_id).status
        if status in TERMINAL:
            return status
        time.sleep(0.5)
    raise AssertionError(f"Ray job {submission_id} not finished after {timeout} s")


@pytest.mark.slow  # the local head takes ~30 s to start on 2 CPUs; the module ~50-70 s
def test_a_job_runs_on_the_head_with_the_tenant_in_its_metadata(
    ray_head: str, settings: Settings
) -> None:
    entrypoint = "python -c \"print('ok')\" A123456"  # the argument stands in for personal data
    submission_id = submit_ray_job(
        ray_head,
        entrypoint,
        tenant="bank-a",
        user="alice",
        gpus=0,
        cpus=0.5,
        settings=settings,
    )
    assert _wait_terminal(ray_head, submission_id) == "SUCCEEDED"
    info = ray_job_status(ray_head, submission_id)
    assert info.metadata == {
        "tenant": "bank-a",
        "user": "alice",
        "submitted_by": "hk-genai-sandbox",
    }
    (entry,) = AuditLog(settings.audit_log_path).entries()
    assert (entry.action, entry.target) == ("ray_job.submitted", f"ray:{submission_id}")
    assert entry.details["program"] == "python"
    assert entry.details["job_tenant"] == "bank-a"
    assert "A123456" not in settings.audit_log_path.read_text()


@pytest.mark.slow
def test_a_gpu_request_on_a_gpu_less_head_pends_then_fails(ray_head: str) -> None:
    """Ray keeps the job PENDING (waiting for a GPU node) and never runs it on the CPU; once the
    head's start timeout passes it is FAILED with a message about the entrypoint's resources.
    (``stop_job`` on a pending job returns True but does not stop it: ray-project/ray#58353.)"""
    submission_id = submit_ray_job(
        ray_head, "python -c \"print('gpu')\"", tenant="bank-a", user="alice", gpus=1, cpus=0
    )
    seen = set()
    deadline = time.monotonic() + START_TIMEOUT_S / 2
    while time.monotonic() < deadline:
        seen.add(ray_job_status(ray_head, submission_id).status)
        time.sleep(0.5)
    assert seen == {"PENDING"}
    assert _wait_terminal(ray_head, submission_id, timeout=START_TIMEOUT_S + 30) == "FAILED"
    assert "entrypoint_num_gpus" in ray_job_status(ray_head, submission_id).message


def test_only_allowlisted_addresses_are_accepted() -> None:
    assert check_address("127.0.0.1:8265") == "http://127.0.0.1:8265"
    assert check_address("http://localhost:8265/") == "http://localhost:8265"
    with pytest.raises(AccessDenied, match="allowlist"):
        check_address("http://ray.example.com:8265")
    with pytest.raises(AccessDenied):
        submit_ray_job(
            "http://10.0.0.5:8265", "python x.py", tenant="bank-a", user="a", gpus=0, cpus=1
        )
    assert check_address("http://10.0.0.5:8265", ["10.0.0.5"]) == "http://10.0.0.5:8265"
    with pytest.raises(ConfigError):
        check_address("ftp://127.0.0.1:21")


def test_no_cluster_at_the_address_names_the_fix() -> None:
    pytest.importorskip("ray.job_submission")
    with pytest.raises(PrerequisiteError, match="ray start --head"):
        ray_job_status(f"http://127.0.0.1:{_free_port()}", "raysubmit_x")


def test_missing_ray_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray.job_submission", None)  # as if ray were not installed
    with pytest.raises(PrerequisiteError, match=r'pip install "ray\[default\]==2.60.0"'):
        submit_ray_job("127.0.0.1:8265", "python x.py", tenant="bank-a", user="a", gpus=0, cpus=1)
