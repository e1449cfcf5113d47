"""Start, stop and inspect the sandbox's tracking server (``sandbox server start|stop|status``).

One process serves MLflow (basic-auth, one workspace per bank) and the sandbox's control plane
(:mod:`sandbox.server.app`). It listens on loopback. Its files live under ``<home>/server/``:
the MLflow and user stores (SQLite unless ``--backend-store-uri`` names PostgreSQL), artifacts,
the control store, its secret key, a pid file and a log. Only the server reads them; clients hold
credentials only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox.config import Settings
from sandbox.errors import ConfigError, PrerequisiteError

DEFAULT_PORT = 5050
ADMIN_PASSWORD_VARIABLE = "SANDBOX_ADMIN_PASSWORD"


@dataclass(frozen=True)
class ServerPaths:
    """Where one server keeps its state."""

    root: Path

    @property
    def auth_ini(self) -> Path:
        return self.root / "basic_auth.ini"

    @property
    def secret(self) -> Path:
        return self.root / "secret.key"

    @property
    def pid(self) -> Path:
        return self.root / "server.pid"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    def sqlite_uri(self, name: str) -> str:
        return f"sqlite:///{self.root / name}"


def server_paths(settings: Settings) -> ServerPaths:
    return ServerPaths(settings.home / "server")


def server_url(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def write_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 atomically (write a temporary file, then rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _secret(paths: ServerPaths) -> str:
    if not paths.secret.exists():
        write_private(paths.secret, secrets.token_hex(32))
    return paths.secret.read_text(encoding="utf-8").strip()


def answering(url: str, timeout: float = 2.0) -> bool:
    """Whether a tracking server answers its health check at ``url``."""
    import requests

    try:
        return requests.get(f"{url}/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def running_pid(paths: ServerPaths) -> int | None:
    """The pid in the pid file if that process is alive."""
    try:
        pid = int(paths.pid.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def start(
    settings: Settings,
    *,
    port: int = DEFAULT_PORT,
    backend_store_uri: str | None = None,
    foreground: bool = False,
    timeout: float = 120.0,
) -> str:
    """Start the server (unless one answers already) and return its URL once it answers.

    On its first start the user store is empty and MLflow creates ``admin`` with the password in
    ``SANDBOX_ADMIN_PASSWORD``; without it the start is refused.

    Raises:
        ConfigError: no admin password for a first start, or a non-loopback store URI scheme.
        PrerequisiteError: the server did not answer within ``timeout`` (its log is named).
    """
    paths = server_paths(settings)
    url = server_url(port)
    if answering(url):
        return url
    paths.root.mkdir(parents=True, exist_ok=True)
    first_start = not (paths.root / "auth.db").exists() and backend_store_uri is None
    password = os.environ.get(ADMIN_PASSWORD_VARIABLE)
    if first_start and not password:
        raise ConfigError(
            f"the server's first start creates the user 'admin': set {ADMIN_PASSWORD_VARIABLE} "
            "(at least 12 characters) and run `sandbox server start` again"
        )
    if backend_store_uri is not None and not backend_store_uri.startswith(
        ("sqlite:///", "postgresql://", "postgresql+psycopg2://")
    ):
        raise ConfigError(
            f"unsupported backend store {backend_store_uri.split(':', 1)[0]}; "
            "use sqlite:///... or postgresql://..."
        )
    store_uri = backend_store_uri or paths.sqlite_uri("mlflow.db")
    auth_uri = backend_store_uri if backend_store_uri is not None else paths.sqlite_uri("auth.db")
    write_private(
        paths.auth_ini,
        "[mlflow]\n"
        "default_permission = NO_PERMISSIONS\n"
        f"database_uri = {auth_uri}\n"
        "admin_username = admin\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "grant_default_workspace_access = false\n"
        "auth_cache_ttl_seconds = 60\n",
    )
    env = {
        **os.environ,
        "MLFLOW_AUTH_CONFIG_PATH": str(paths.auth_ini),
        "MLFLOW_FLASK_SERVER_SECRET_KEY": _secret(paths),
        "SANDBOX_SERVER_HOME": str(paths.root),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        # MLflow's own job runner (GenAI evaluation jobs, trace roll-ups: two huey consumers,
        # ~400 MB each, polling) serves nothing the sandbox uses.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    if password:
        env["MLFLOW_AUTH_ADMIN_PASSWORD"] = password
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [
        str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--app-name",
        "sandbox",
        "--enable-workspaces",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        store_uri,
        "--artifacts-destination",
        str(paths.artifacts),
        "--workers",
        "1",
    ]
    if foreground:
        os.execve(command[0], command, env)
    log = paths.log.open("ab")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    paths.pid.write_text(str(process.pid), encoding="utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answering(url, timeout=1.0):
            return url
        if process.poll() is not None:
            break
        time.sleep(0.5)
    stop(settings)
    raise PrerequisiteError(
        f"the tracking server did not start within {timeout:.0f} s; see {paths.log}"
    )


def stop(settings: Settings, timeout: float = 30.0) -> bool:
    """Stop the server started from this home; ``False`` if none was running."""
    paths = server_paths(settings)
    pid = running_pid(paths)
    if pid is None:
        paths.pid.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running_pid(paths) is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    if running_pid(paths) is not None:
        os.killpg(pid, signal.SIGKILL)
    paths.pid.unlink(missing_ok=True)
    return True


def status(settings: Settings, port: int = DEFAULT_PORT) -> dict[str, object]:
    """Whether the server answers, its pid and where its files are."""
    paths = server_paths(settings)
    url = server_url(port)
    return {
        "url": url,
        "answering": answering(url),
        "pid": running_pid(paths),
        "home": str(paths.root),
        "log": str(paths.log),
    }
