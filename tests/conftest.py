"""Shared fixtures: every test gets its own SANDBOX_HOME (MLflow store, audit log) in tmp.

Extracted data sets are read from the checkout's data/ (run `make data` first); the embedding
cache is shared across the session so MiniLM runs once per text.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from sandbox.config import PROJECT_ROOT, Settings, load_settings


def pytest_configure(config: pytest.Config) -> None:
    # The vault's key-encryption key lives outside every sandbox home; the tests' own one lives in
    # a temporary folder (inherited by subprocesses), never in the user's ~/.config.
    if "SANDBOX_VAULT_KEK_FILE" not in os.environ:
        folder = Path(tempfile.mkdtemp(prefix="sandbox-tests-kek-"))
        os.environ["SANDBOX_VAULT_KEK_FILE"] = str(folder / "vault-kek")


# Test files that take a minute or more (measured), longest first. With two workers and
# `--dist loadfile`, handing these out first keeps the two workers' loads even (the longest
# file last would leave one worker running alone at the end).
LONGEST_FILES = (
    "tests/use_cases/fraud/test_fraud_runs.py",
    "tests/sandbox/server/test_isolation.py",
    "tests/sandbox/server/test_signoff_and_vault.py",
    "tests/test_cli.py",
    "tests/sandbox/reports/test_reports.py",
    "tests/test_reliability.py",
    "tests/sandbox/models/test_provider_contract.py",
    "tests/use_cases/fraud/test_no_pii_in_mlruns.py",
    "tests/sandbox/server/test_compute_server.py",
    "tests/sandbox/server/test_server_faults.py",
    "tests/sandbox/server/test_demo_server.py",
    "tests/sandbox/models/test_serve.py",
    "tests/sandbox/models/test_finetune.py",
    "tests/test_app.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FILES)}

    def key(item: pytest.Item) -> int:
        path = Path(str(item.fspath)).relative_to(PROJECT_ROOT).as_posix()
        return rank.get(path, len(rank))

    items.sort(key=key)  # stable: within a file, and among the rest, the order stays


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def settings(tmp_path: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at a fresh home in tmp, exported to the environment for subprocesses."""
    home = tmp_path / "home"
    home.mkdir()
    for key in (
        "MLFLOW_RUN_ID",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_EXPERIMENT_NAME",
        "SANDBOX_TRACKING_URI",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SANDBOX_HOME", str(home))
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(PROJECT_ROOT / "data"))
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(shared_cache))
    monkeypatch.setenv("SANDBOX_TENANT", "test-bank")
    monkeypatch.setenv("SANDBOX_USER", "test-scientist")
    monkeypatch.setenv("SANDBOX_ROLE", "data_scientist")
    return load_settings()
