"""The demo bank on a loopback sandbox server, for ``sandbox demo`` and ``make ui`` on one machine.

When no server is configured (no http(s) ``MLFLOW_TRACKING_URI``), the demo starts the sandbox
server under the sandbox home, creates the bank ``demo-bank`` and one user per role with
generated passwords, and runs as the bank's data scientist, so that runs, reviews, vault and
audit go through the same authenticated server a bank would use. The generated passwords live
in ``<home>/server/demo-users.json`` (mode 0600, beside the server's own keys: whoever may read
the server home administers it anyway); nothing is granted by environment variables.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sandbox.config import Settings
from sandbox.errors import ConfigError
from sandbox.server import process
from sandbox.server.client import ControlPlane, Credentials

DEMO_BANK = "demo-bank"
DEMO_USERS = {
    "data_scientist": "demo-data-scientist",
    "validator": "demo-validator",
    "compliance_officer": "demo-compliance-officer",
    "hkma_reviewer": "demo-hkma-reviewer",
}
CREDENTIALS_FILE = "demo-users.json"


@dataclass(frozen=True)
class DemoServer:
    url: str
    users: dict[str, tuple[str, str]]
    """role -> (username, password)"""
    credentials_file: Path

    def credentials(self, role: str = "data_scientist") -> Credentials:
        username, password = self.users[role]
        return Credentials(self.url, username, password)

    def environment(self, role: str = "data_scientist") -> dict[str, str]:
        """MLflow's sign-in variables for one demo user (MLflow's own conventions)."""
        c = self.credentials(role)
        return {
            "MLFLOW_TRACKING_URI": c.url,
            "MLFLOW_TRACKING_USERNAME": c.username,
            "MLFLOW_TRACKING_PASSWORD": c.password,
        }


def _read(path: Path) -> dict[str, object]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        raise ConfigError(f"{path} is damaged; remove the server home to start afresh") from None


def demo_server(settings: Settings, *, port: int = process.DEFAULT_PORT) -> DemoServer:
    """Start (or reuse) the loopback server of this sandbox home with the demo bank and users.

    Raises:
        ConfigError: the home holds a server the demo did not create (its admin password is not
            the demo's), or the port answers for another server.
    """
    paths = process.server_paths(settings)
    file = paths.root / CREDENTIALS_FILE
    saved = _read(file)
    first = not (paths.root / "auth.db").exists()
    if not first and "admin" not in saved:
        raise ConfigError(
            f"{paths.root} holds a sandbox server the demo did not set up; sign in as a bank "
            "user (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD) or "
            "use another SANDBOX_HOME"
        )
    admin_password = str(saved.get("admin") or secrets.token_urlsafe(24))
    users = {
        role: (name, str(saved.get(name) or secrets.token_urlsafe(18)))
        for role, name in DEMO_USERS.items()
    }
    paths.root.mkdir(parents=True, exist_ok=True)
    process.write_private(file, json.dumps({"admin": admin_password, **dict(users.values())}))
    previous = os.environ.get(process.ADMIN_PASSWORD_VARIABLE)
    os.environ[process.ADMIN_PASSWORD_VARIABLE] = admin_password
    try:
        url = process.start(settings, port=port)
    finally:
        if previous is None:
            os.environ.pop(process.ADMIN_PASSWORD_VARIABLE, None)
        else:
            os.environ[process.ADMIN_PASSWORD_VARIABLE] = previous
    admin = ControlPlane(Credentials(url, "admin", admin_password))
    try:
        tenants = {t["name"]: t for t in admin.list_tenants()}
    except Exception as exc:  # noqa: BLE001 - another server on the port, or a changed admin
        raise ConfigError(
            f"the server at {url} is not this home's demo server ({exc}); stop it or pass "
            "another port"
        ) from None
    if DEMO_BANK not in tenants:
        admin.create_tenant(DEMO_BANK)
        tenants[DEMO_BANK] = {"members": []}
    members = {m["user"] for m in tenants[DEMO_BANK]["members"]}  # type: ignore[index]
    for role, (name, password) in users.items():
        if name not in members:
            admin.create_user(name, password, DEMO_BANK, role)
    return DemoServer(url=url, users=users, credentials_file=file)
