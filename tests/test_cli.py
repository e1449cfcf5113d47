"""The `sandbox` command as a user runs it: one clear line on errors, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.config import PROJECT_ROOT, Settings

SANDBOX = str(Path(sys.executable).parent / "sandbox")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SANDBOX, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_list_shows_the_fraud_experiments(settings: Settings) -> None:
    out = _cli("list")
    assert out.returncode == 0, out.stderr
    assert "scam_messages" in out.stdout and "transactions" in out.stdout


def test_unknown_use_case_names_the_known_ones(settings: Settings) -> None:
    out = _cli("run", "frod")
    assert out.returncode != 0
    assert "unknown use case 'frod'; known: customer_service, fraud" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_unknown_experiment_is_named(settings: Settings) -> None:
    out = _cli("run", "fraud", "--experiment", "txns")
    assert out.returncode != 0
    assert "unknown experiment 'txns'" in out.stderr and "transactions" in out.stderr


def test_unknown_override_key_is_named(settings: Settings) -> None:
    out = _cli("run", "fraud", "--experiment", "transactions", "--set", "no_such_key=1")
    assert out.returncode != 0
    assert "unknown parameter 'no_such_key'" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_override_value_is_named(settings: Settings) -> None:
    out = _cli("run", "fraud", "--experiment", "transactions", "--set", "test_days=many")
    assert out.returncode != 0
    assert "'test_days'" in out.stderr


def test_corrupt_data_file_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "sms_spam_collection", data / "sms_spam_collection")
    tsv = data / "sms_spam_collection" / "SMSSpamCollection.tsv"
    tsv.write_text(tsv.read_text(encoding="utf-8")[:-200] + "\ngarbage line\n", encoding="utf-8")
    out = _cli("run", "fraud", "--experiment", "scam_messages", env={"SANDBOX_DATA_DIR": str(data)})
    assert out.returncode != 0
    assert "corrupt or altered" in out.stderr and "sandbox data fetch" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_data_names_the_fetch_command(settings: Settings, tmp_path: Path) -> None:
    out = _cli(
        "run",
        "fraud",
        "--experiment",
        "scam_messages",
        env={"SANDBOX_DATA_DIR": str(tmp_path / "empty")},
    )
    assert out.returncode != 0
    assert "sandbox data fetch sms_spam_collection" in out.stderr


def test_role_without_run_permission_is_refused(settings: Settings) -> None:
    out = _cli(
        "run", "fraud", "--experiment", "transactions", env={"SANDBOX_ROLE": "hkma_reviewer"}
    )
    assert out.returncode != 0
    assert "may not run_experiment" in out.stderr


def test_runs_with_empty_store_says_how_to_start(settings: Settings) -> None:
    out = _cli("runs")
    assert out.returncode == 0
    assert "No runs yet" in out.stdout


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]])
def test_help_exits_zero(args: list[str]) -> None:
    assert _cli(*args).returncode == 0


def test_unexpected_error_is_one_line_and_the_traceback_goes_to_the_log(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sandbox
    from sandbox import cli

    def broken(**_: object) -> None:
        raise RuntimeError("bug while reading customer 91234567")

    monkeypatch.setattr(sandbox, "recent_runs", broken)
    monkeypatch.setattr(sys, "argv", ["sandbox", "runs"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 70
    err = capsys.readouterr().err
    assert "unexpected RuntimeError" in err and "Traceback" not in err
    assert "91234567" not in err
    log = settings.home / "logs" / "errors.log"
    assert "Traceback" in log.read_text(encoding="utf-8")
