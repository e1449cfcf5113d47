"""The control plane's own store, inside the tracking server: tenants, members, review state.

Only the server process opens this database (``<server home>/control.db``); clients reach it
through the routes of :mod:`sandbox.server.app` with their MLflow credentials. A member is an
MLflow user bound to one tenant (bank) with one sandbox role; the admin is MLflow's admin user.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from sandbox.audit import AuditHead
from sandbox.errors import WorkflowError
from sandbox.identity import Identity, Role
from sandbox.workflow import Review

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    username TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants(name),
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    tenant TEXT NOT NULL REFERENCES tenants(name),
    run_id TEXT NOT NULL,
    steps INTEGER NOT NULL,
    review TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, run_id)
);
CREATE TABLE IF NOT EXISTS champions (
    tenant TEXT NOT NULL REFERENCES tenants(name),
    registered_model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, registered_model)
);
CREATE TABLE IF NOT EXISTS reviewer_grants (
    username TEXT NOT NULL REFERENCES members(username),
    tenant TEXT NOT NULL REFERENCES tenants(name),
    PRIMARY KEY (username, tenant)
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ControlStore:
    """Tenants, members and the HKMA reviewers' grants, in one SQLite file (WAL, FULL sync)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def add_tenant(self, name: str, created_by: str) -> None:
        with closing(self._connect()) as conn:
            conn.execute(
                "INSERT INTO tenants (name, created_at, created_by) VALUES (?, ?, ?)",
                (name, _now(), created_by),
            )

    def tenants(self) -> list[str]:
        with closing(self._connect()) as conn:
            return [row[0] for row in conn.execute("SELECT name FROM tenants ORDER BY name")]

    def has_tenant(self, name: str) -> bool:
        return name in self.tenants()

    def add_member(self, username: str, tenant: str, role: Role, created_by: str) -> None:
        with closing(self._connect()) as conn:
            conn.execute(
                "INSERT INTO members (username, tenant, role, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (username, tenant, role.value, _now(), created_by),
            )

    def grant_reviewer(self, username: str, tenant: str) -> None:
        with closing(self._connect()) as conn:
            conn.execute(
                "INSERT OR IGNORE INTO reviewer_grants (username, tenant) VALUES (?, ?)",
                (username, tenant),
            )

    def reviewer_tenants(self, username: str) -> list[str]:
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT tenant FROM reviewer_grants WHERE username = ? ORDER BY tenant",
                (username,),
            )
            return [row[0] for row in rows]

    def identity(self, username: str) -> Identity | None:
        """The member's identity, or ``None`` for a user who belongs to no tenant."""
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT tenant, role FROM members WHERE username = ?", (username,)
            ).fetchone()
        if row is None:
            return None
        return Identity(user=username, tenant=row[0], role=Role(row[1]))

    def members(self, tenant: str | None = None) -> list[Identity]:
        query = "SELECT username, tenant, role FROM members"
        args: tuple[str, ...] = ()
        if tenant is not None:
            query += " WHERE tenant = ?"
            args = (tenant,)
        with closing(self._connect()) as conn:
            rows = conn.execute(query + " ORDER BY tenant, username", args).fetchall()
        return [Identity(user=u, tenant=t, role=Role(r)) for u, t, r in rows]

    def review(self, tenant: str, run_id: str) -> Review | None:
        """The review state of one of ``tenant``'s runs (``None``: never submitted)."""
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT review FROM reviews WHERE tenant = ? AND run_id = ?", (tenant, run_id)
            ).fetchone()
        return None if row is None else Review.model_validate_json(row[0])

    def put_review(self, review: Review, *, previous_steps: int) -> None:
        """Store ``review`` if the stored one still has ``previous_steps`` steps (a step taken
        meanwhile by someone else is refused, never overwritten)."""
        values = (review.tenant, review.run_id, len(review.steps), review.model_dump_json(), _now())
        with closing(self._connect()) as conn:
            if previous_steps == 0:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO reviews (tenant, run_id, steps, review, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    values,
                )
            else:
                cursor = conn.execute(
                    "UPDATE reviews SET steps = ?, review = ?, updated_at = ? "
                    "WHERE tenant = ? AND run_id = ? AND steps = ?",
                    (*values[2:], review.tenant, review.run_id, previous_steps),
                )
        if cursor.rowcount != 1:
            raise WorkflowError(
                f"run {review.run_id}'s review changed while this step was taken; look at its "
                "state again (sandbox review RUN status) and retry"
            )

    def add_champion_model(self, tenant: str, name: str) -> None:
        """Record that the server created registered model ``name`` for an approval."""
        with closing(self._connect()) as conn:
            conn.execute(
                "INSERT OR IGNORE INTO champions (tenant, registered_model, created_at) "
                "VALUES (?, ?, ?)",
                (tenant, name, _now()),
            )

    def is_champion_model(self, tenant: str, name: str) -> bool:
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT 1 FROM champions WHERE tenant = ? AND registered_model = ?",
                (tenant, name),
            ).fetchone()
        return row is not None

    def audit_head(self) -> AuditHead | None:
        """The anchored head of the server's audit log (``None`` before the first entry)."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        return None if row is None else AuditHead(seq=row[0], hash=row[1])

    def set_audit_head(self, head: AuditHead) -> None:
        with closing(self._connect()) as conn:
            conn.execute(
                "INSERT INTO audit_head (id, seq, hash, updated_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
                "updated_at = excluded.updated_at",
                (head.seq, head.hash, _now()),
            )


class ControlAnchor:
    """The audit log's head, anchored in the control store (outside the log's folder)."""

    def __init__(self, store: ControlStore) -> None:
        self.store = store

    def read(self) -> AuditHead | None:
        return self.store.audit_head()

    def write(self, head: AuditHead) -> None:
        self.store.set_audit_head(head)
