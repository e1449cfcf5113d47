"""Where the administrator's configuration comes from: model catalogue and endpoint allowlist
(``models``) and quotas (``quotas``).

Against a sandbox server it is the server's copy, set only by the administrator
(``sandbox admin config set``); a client's own ``<home>/config/`` files are then ignored, so
pointing ``SANDBOX_HOME`` elsewhere changes nothing. Without a server (one user, local store)
it is ``<home>/config/<file>``.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.config import Settings
from sandbox.errors import ConfigError

ADMIN_FILES = {"quotas": "quotas.yaml", "models": "models.yaml"}
SERVER_SOURCE = Path("<sandbox server>") / "config"


def local_config_path(settings: Settings, name: str) -> Path:
    return settings.home / "config" / ADMIN_FILES[name]


def read_admin_config(settings: Settings, name: str) -> tuple[str | None, Path]:
    """The text of one admin configuration file (``None`` when unset: the built-in defaults)
    and where it is said to come from in messages."""
    if name not in ADMIN_FILES:
        raise ConfigError(f"unknown configuration '{name}'; known: {', '.join(ADMIN_FILES)}")
    if settings.server_url is not None:
        from sandbox.server.client import ControlPlane, Credentials

        plane = ControlPlane(Credentials.from_environment(settings.server_url))
        return plane.get_config(name), SERVER_SOURCE / ADMIN_FILES[name]
    path = local_config_path(settings, name)
    if not path.is_file():
        return None, path
    try:
        return path.read_text(encoding="utf-8"), path
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
