"""One way to open the compute SQLite database: WAL journal, busy timeout, explicit transactions.

A connection is opened per operation, so the ledger and the queue are safe to use from several
threads and processes at once; writers serialise on SQLite's lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.errors import DataError

BUSY_TIMEOUT_S = 30.0


@contextmanager
def connect(path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """Open ``path`` (creating its folder), yield a connection and close it.

    With ``write=True`` the block runs inside ``BEGIN IMMEDIATE`` and commits on success, so a
    read-check-write sequence is atomic across processes; an exception rolls it back.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise DataError(f"cannot open the compute database {path}: {exc}") from None
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if write:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            yield conn
    except sqlite3.DatabaseError as exc:
        raise DataError(
            f"the compute database {path} could not be used ({exc}); if it is corrupt, move it "
            "aside (usage history is lost) and retry"
        ) from None
    finally:
        conn.close()


def init_schema(path: Path, schema: str) -> None:
    """Switch ``path`` to WAL and create the tables in ``schema`` if missing."""
    with connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(schema)
