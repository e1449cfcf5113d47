"""kill -9 in the middle of a run, a vault write and an audit append: afterwards the run is
FAILED (and can be rerun), the vault opens and holds every acknowledged pseudonym, the audit log
verifies and holds every acknowledged entry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import mlflow
import pytest

import sandbox
from sandbox.audit import AuditLog
from sandbox.config import PROJECT_ROOT, Settings
from sandbox.privacy.entities import EntityType
from sandbox.privacy.vault import Vault
from tests.use_cases.fraud.test_fraud_runs import SMALL_TRANSACTIONS

SANDBOX = [sys.executable, "-m", "sandbox.cli"]


def _kill_after_lines(command: list[str], lines: int, env: dict[str, str]) -> list[str]:
    """Start ``command``, read ``lines`` acknowledged lines from it, then kill -9 it."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    assert process.stdout is not None
    seen = [process.stdout.readline().strip() for _ in range(lines)]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return [line for line in seen if line]


def test_vault_keeps_every_acknowledged_pseudonym_after_kill_9(settings: Settings) -> None:
    script = (
        "import sys\n"
        "from sandbox.config import load_settings\n"
        "from sandbox.privacy.entities import EntityType\n"
        "from sandbox.privacy.vault import Vault\n"
        "vault = Vault(load_settings())\n"
        "for i in range(100000):\n"
        "    values = [(EntityType.HK_PHONE, f'+852 9{i:03d} {j:04d}') for j in range(20)]\n"
        "    tokens = vault.pseudonyms(values)\n"
        "    print(i, tokens[-1], flush=True)\n"
    )
    acknowledged = _kill_after_lines([sys.executable, "-c", script], 40, dict(os.environ))
    vault = Vault(settings)
    assert vault._conn().execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for line in acknowledged:
        i, token = line.split()
        # the value written then still maps to the same pseudonym: nothing acknowledged was lost
        assert vault.pseudonym(EntityType.HK_PHONE, f"+852 9{int(i):03d} 0019") == token


def test_audit_keeps_every_acknowledged_entry_after_kill_9(settings: Settings) -> None:
    script = (
        "from sandbox.audit import AuditLog\n"
        "from sandbox.config import load_settings\n"
        "settings = load_settings()\n"
        "log = AuditLog(settings.audit_log_path)\n"
        "for i in range(100000):\n"
        "    entry = log.append(settings.identity, 'test.event', f'target-{i}', {'i': i})\n"
        "    print(entry.seq, entry.hash, flush=True)\n"
    )
    acknowledged = _kill_after_lines([sys.executable, "-c", script], 200, dict(os.environ))
    log = AuditLog(settings.audit_log_path)
    log.append(settings.identity, "test.after", "after-kill")  # recovers a partial last line
    entries = {e.seq: e.hash for e in log.entries()}
    assert log.verify() == len(entries)
    for line in acknowledged:
        seq, digest = line.split()
        assert entries[int(seq)] == digest


def _running_parent(client: mlflow.MlflowClient, deadline: float) -> str:
    while time.monotonic() < deadline:
        for experiment in client.search_experiments():
            runs = client.search_runs(
                [experiment.experiment_id],
                filter_string="attributes.status = 'RUNNING' and tags.`sandbox.kind` = 'parent'",
            )
            if runs:
                return runs[0].info.run_id
        time.sleep(0.5)
    pytest.fail("no RUNNING run appeared")


def test_a_killed_run_is_marked_failed_and_can_be_rerun(settings: Settings) -> None:
    command = [*SANDBOX, "run", "fraud", "--experiment", "transactions"]
    for item in SMALL_TRANSACTIONS:
        command += ["--set", item]
    env = {**os.environ, "SANDBOX_DATA_DIR": str(PROJECT_ROOT / "data")}
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = mlflow.MlflowClient(settings.resolved_tracking_uri)
    try:
        run_id = _running_parent(client, time.monotonic() + 240)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert client.get_run(run_id).info.status == "RUNNING"  # nobody has noticed yet

    listed = subprocess.run([*SANDBOX, "runs"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert "killed or crashed" in run.data.tags["sandbox.failure"]
    assert "FAILED" in listed.stdout
    failed = [e for e in AuditLog(settings.audit_log_path).entries() if e.target == run_id]
    assert [e.action for e in failed] == ["run.started", "run.failed"]

    # the same experiment runs again (in this process: the CLI path was exercised above)
    rerun = sandbox.run_experiment("fraud", "transactions", overrides=SMALL_TRANSACTIONS)
    assert client.get_run(rerun.run_id).info.status == "FINISHED"
    verified = subprocess.run(
        [*SANDBOX, "audit", "verify"], env=env, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
