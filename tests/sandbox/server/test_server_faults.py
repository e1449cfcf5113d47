"""kill -9 of the sandbox server in the middle of vault writes (each audited): after a restart
every pseudonym a client was given still maps to the same value, and the audit log verifies."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from sandbox.config import Settings
from sandbox.errors import PrerequisiteError
from sandbox.identity import Identity, Role
from sandbox.privacy.entities import EntityType
from sandbox.server import process
from sandbox.server.client import Credentials, RemoteAuditLog, RemoteVault
from tests.sandbox.server.test_isolation import ADMIN_PASSWORD, SERVER_HOME, _serve, _user


def _phone(i: int, j: int) -> str:
    return f"+852 9{i:03d} {j:04d}"


@pytest.mark.slow  # two server starts (~50 s); the writers' own kill -9 tests are in the default
def test_a_server_killed_mid_write_keeps_what_it_acknowledged(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = _serve(tmp_path_factory, None)
    url = next(serving)
    settings = Settings(home=Path(SERVER_HOME["root"]).parent)
    credentials = Credentials(url, *_user("bank-a", "data_scientist"))
    scientist = Identity(user=credentials.username, tenant="bank-a", role=Role.DATA_SCIENTIST)
    acknowledged: list[tuple[int, str]] = []
    entries: dict[int, str] = {}
    failures: list[Exception] = []

    def write() -> None:
        vault, log = RemoteVault(credentials), RemoteAuditLog(credentials)
        for i in range(100_000):
            try:
                tokens = vault.pseudonyms([(EntityType.HK_PHONE, _phone(i, j)) for j in range(20)])
                acknowledged.append((i, tokens[-1]))
                entry = log.append(scientist, "test.event", f"target-{i}", {"i": i})
                entries[entry.seq] = entry.hash
            except PrerequisiteError as exc:  # the server is gone
                failures.append(exc)
                return

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + 120
        while len(acknowledged) < 15 and writer.is_alive():
            assert time.monotonic() < deadline, "the vault acknowledged too few writes"
            time.sleep(0.05)
        pid = process.running_pid(process.server_paths(settings))
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)  # the server and its workers, mid-request
        os.waitpid(pid, 0)
        writer.join(timeout=60)
        assert not writer.is_alive() and failures, "the client did not notice the server died"

        monkeypatch.setenv(process.ADMIN_PASSWORD_VARIABLE, ADMIN_PASSWORD)
        assert process.start(settings, port=urlparse(url).port or 0) == url
        vault = RemoteVault(credentials)
        for i, token in acknowledged:
            assert vault.pseudonym(EntityType.HK_PHONE, _phone(i, 19)) == token
        log = RemoteAuditLog(credentials)
        assert log.verify() >= len(entries)
        kept = {entry.seq: entry.hash for entry in log.entries()}
        assert all(kept.get(seq) == digest for seq, digest in entries.items())
    finally:
        serving.close()
