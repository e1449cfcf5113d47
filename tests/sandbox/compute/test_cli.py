import json
import sys

import pytest
from typer.testing import CliRunner

from sandbox.compute.cli import CPU_LINE, gpu_app, jobs_app
from sandbox.compute.usage import UsageLedger
from sandbox.config import Settings
from sandbox.errors import AccessDenied

torch = pytest.importorskip("torch")
runner = CliRunner()


def test_gpu_status_json_shows_usage_against_quota(settings: Settings, write_quotas) -> None:
    write_quotas({"tenants": {"test-bank": {"tokens_per_day": 5000}}})
    ledger = UsageLedger.for_settings(settings)
    ledger.record("test-bank", "tokens", 1234, user="test-scientist")
    ledger.record("bank-b", "tokens", 99, user="bob")
    with ledger.slot("test-bank", "requests", 4):
        result = runner.invoke(gpu_app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["cuda"] is torch.cuda.is_available()
    assert len(status["devices"]) == torch.cuda.device_count()
    assert [row["tenant"] for row in status["usage"]] == ["test-bank"]  # not other banks
    row = status["usage"][0]
    assert (row["tokens"], row["tokens_per_day"], row["active_requests"]) == (1234, 5000, 1)


def test_gpu_status_table_on_cpu(settings: Settings) -> None:
    if torch.cuda.is_available():
        pytest.skip("checks the CPU-only message")
    UsageLedger.for_settings(settings).record("test-bank", "gpu_seconds", 42, user="u")
    result = runner.invoke(gpu_app, ["status"])
    assert result.exit_code == 0, result.output
    assert CPU_LINE in result.output
    assert "test-bank" in result.output
    assert "42 / 28,800" in result.output


def test_admins_see_every_tenant(admin: Settings) -> None:
    UsageLedger.for_settings(admin).record("bank-b", "tokens", 7, user="bob")
    result = runner.invoke(gpu_app, ["status", "--json"])
    tenants = [row["tenant"] for row in json.loads(result.output)["usage"]]
    assert tenants == ["bank-b", "test-bank"]


def test_jobs_submit_list_run_next_and_cancel(settings: Settings) -> None:
    result = runner.invoke(jobs_app, ["submit", "--", sys.executable, "-c", "print('hi')"])
    assert result.exit_code == 0, result.output
    assert "queued job 1" in result.output
    runner.invoke(jobs_app, ["submit", "--", sys.executable, "-c", "pass"])
    listing = runner.invoke(jobs_app, ["list"])
    assert listing.exit_code == 0 and "queued" in listing.output
    cancelled = runner.invoke(jobs_app, ["cancel", "2"])
    assert "job 2: cancelled" in cancelled.output
    ran = runner.invoke(jobs_app, ["run-next"])
    assert ran.exit_code == 0, ran.output
    assert "job 1" in ran.output and "succeeded" in ran.output
    log = settings.home / "usage" / "jobs" / "1.log"
    assert log.read_text().strip() == "hi"
    assert "No queued jobs." in runner.invoke(jobs_app, ["run-next"]).output


def test_jobs_errors_reach_the_caller_as_sandbox_errors(settings: Settings) -> None:
    result = runner.invoke(jobs_app, ["submit", "--tenant", "bank-b", "--", "true"])
    assert isinstance(result.exception, AccessDenied)
