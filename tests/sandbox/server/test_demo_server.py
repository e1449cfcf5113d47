"""The demo bank on this home's loopback server: started once, users per role, reused after."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.errors import ConfigError
from sandbox.server import process
from sandbox.server.client import ControlPlane
from sandbox.server.demo import DEMO_BANK, DEMO_USERS, demo_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_server_sets_up_the_bank_once_and_signs_in_by_role(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    port = _free_port()
    try:
        first = demo_server(settings, port=port)
        assert first.credentials_file.stat().st_mode & 0o777 == 0o600
        for role, name in DEMO_USERS.items():
            me = ControlPlane(first.credentials(role)).whoami()
            assert (me.user, me.role, me.tenant) == (name, role, DEMO_BANK)
        again = demo_server(settings, port=port)  # reused: same server, same passwords
        assert again.users == first.users and again.url == first.url
        env = first.environment("validator")
        assert env["MLFLOW_TRACKING_USERNAME"] == DEMO_USERS["validator"]
        assert env["MLFLOW_TRACKING_URI"] == first.url
    finally:
        process.stop(settings)
    # restarted after a stop, with the stored admin password
    try:
        restarted = demo_server(settings, port=port)
        assert ControlPlane(restarted.credentials()).whoami().tenant == DEMO_BANK
    finally:
        process.stop(settings)


@pytest.mark.slow  # a second server start; `make test-all`
def test_demo_refuses_a_server_home_it_did_not_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path / "home")
    monkeypatch.setenv(process.ADMIN_PASSWORD_VARIABLE, "an-operator-password-123")
    port = _free_port()
    process.start(settings, port=port)
    try:
        with pytest.raises(ConfigError, match="did not set up"):
            demo_server(settings, port=port)
    finally:
        process.stop(settings)
