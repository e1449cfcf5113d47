"""Backup and restore of the sandbox server's stores (operator commands on the server's machine).

A backup is one ``.tar.gz``: consistent copies of the SQLite stores (MLflow tracking, users,
control plane, taken with SQLite's online backup while the server runs), the audit log (copied
under its lock), the audit, bundle-signing and session keys, the auth config, the artifact
store and each bank's vault (its database and its key, wrapped: the key-encryption key is not in
the backup and must be kept apart), with ``MANIFEST.json`` holding the sha256 of every file.
``restore`` checks every hash, refuses to overwrite a server that is running or a home that
already holds stores (unless ``force``), puts the files back and verifies the restored audit
log against its anchored head.
Stores in PostgreSQL are backed up with PostgreSQL's own tools (``pg_dump``); the backup says so.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sandbox.config import Settings
from sandbox.datasets import sha256_file
from sandbox.errors import ConfigError, DataError
from sandbox.server.process import running_pid, server_paths

FORMAT = "sandbox-server-backup/1"
DATABASES = ("mlflow.db", "auth.db", "control.db")
FILES = ("audit.key", "signing.key", "secret.key", "basic_auth.ini")
AUDIT_LOG = "audit/audit.jsonl"


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its WAL included)."""
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def backup(settings: Settings, out: Path) -> dict[str, object]:
    """Write a backup of the server home of ``settings`` to ``out``; returns its manifest.

    Raises:
        ConfigError: there is no server home here, or its stores are in PostgreSQL.
    """
    import fcntl

    root = server_paths(settings).root
    if not (root / "auth.db").exists() and not (root / "control.db").exists():
        raise ConfigError(
            f"no sandbox server home at {root}; start one with `sandbox server start`"
        )
    ini = (
        (root / "basic_auth.ini").read_text(encoding="utf-8")
        if (root / "basic_auth.ini").exists()
        else ""
    )
    if "postgresql" in ini:
        raise ConfigError(
            "this server keeps its stores in PostgreSQL: back them up with pg_dump (and the "
            f"folder {root} for keys, audit log and artifacts)"
        )
    with tempfile.TemporaryDirectory(prefix="sandbox-backup-") as tmp:
        stage = Path(tmp)
        for name in DATABASES:
            if (root / name).exists():
                _copy_sqlite(root / name, stage / name)
        for name in FILES:
            if (root / name).exists():
                shutil.copy2(root / name, stage / name)
        log = root / AUDIT_LOG
        if log.exists():
            (stage / "audit").mkdir()
            with open(log, "rb") as handle:  # no append in between
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    (stage / AUDIT_LOG).write_bytes(handle.read())
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        if (root / "artifacts").exists():
            shutil.copytree(root / "artifacts", stage / "artifacts")
        for vault in sorted((root / "vault").glob("*/")):  # each bank's vault: wrapped key + db
            (stage / "vault" / vault.name).mkdir(parents=True)
            if (vault / "vault.db").exists():
                _copy_sqlite(vault / "vault.db", stage / "vault" / vault.name / "vault.db")
            if (vault / "vault.key.wrapped").exists():
                shutil.copy2(vault / "vault.key.wrapped", stage / "vault" / vault.name)
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest: dict[str, object] = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "server_home": str(root),
            "files": {p.relative_to(stage).as_posix(): sha256_file(p) for p in files},
        }
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode("utf-8")
            info = tarfile.TarInfo("MANIFEST.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            for path in files:
                archive.add(path, arcname=path.relative_to(stage).as_posix())
        partial.replace(out)
        out.chmod(0o600)  # it holds the keys
    return manifest


def restore(settings: Settings, archive_path: Path, *, force: bool = False) -> dict[str, object]:
    """Restore a backup into the server home of ``settings``; returns its manifest.

    Raises:
        ConfigError: the server is running, or the home holds stores and ``force`` is false.
        DataError: the archive is not a backup, or a file's hash differs (named).
        AuditIntegrityError: the restored audit log does not verify.
    """
    from sandbox.audit import AuditLog
    from sandbox.server.control import ControlAnchor, ControlStore

    paths = server_paths(settings)
    root = paths.root
    if running_pid(paths) is not None:
        raise ConfigError("stop the server first: `sandbox server stop`")
    if any((root / name).exists() for name in DATABASES) and not force:
        raise ConfigError(f"{root} already holds server stores; pass --force to replace them")
    with tempfile.TemporaryDirectory(prefix="sandbox-restore-") as tmp:
        stage = Path(tmp)
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                archive.extractall(stage, filter="data")
            manifest = json.loads((stage / "MANIFEST.json").read_text(encoding="utf-8"))
        except (OSError, tarfile.TarError, ValueError, KeyError):
            raise DataError(f"{archive_path} is not a sandbox server backup") from None
        if manifest.get("format") != FORMAT:
            raise DataError(f"{archive_path} is not a sandbox server backup ({FORMAT})")
        listed: dict[str, str] = manifest["files"]
        for name, expected in sorted(listed.items()):
            path = stage / name
            if not path.is_file() or sha256_file(path) != expected:
                raise DataError(f"the backup's {name} is missing or changed (sha256 differs)")
        root.mkdir(parents=True, exist_ok=True)
        for name in listed:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):  # a stale WAL would be replayed over the restore
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copy2(stage / name, target)
    log = root / AUDIT_LOG
    if log.exists():
        AuditLog(
            log,
            key_path=root / "audit.key",
            anchor=ControlAnchor(ControlStore(root / "control.db")),
        ).verify()
    return manifest
