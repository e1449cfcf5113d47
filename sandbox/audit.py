"""The append-only, hash-chained audit log that every feature writes to.

Each line is one JSON entry holding the previous entry's hash; ``verify`` recomputes the chain
and reports the first entry that was altered, removed or reordered.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from sandbox.errors import AuditIntegrityError, DataError
from sandbox.identity import Identity

GENESIS_HASH = "0" * 64


class AuditEntry(BaseModel):
    """One audited action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    timestamp: str
    tenant: str
    user: str
    role: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def _entry_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditLog:
    """A JSON-lines audit log at ``path``; appends are serialised with an exclusive file lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(
        self,
        identity: Identity,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry chained to the last one and return it.

        ``details`` must not hold personal data: pass identifiers, hashes and counts.
        """
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last = self._last_entry()
                payload: dict[str, Any] = {
                    "seq": 0 if last is None else last.seq + 1,
                    "timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
                    "tenant": identity.tenant,
                    "user": identity.user,
                    "role": identity.role.value,
                    "action": action,
                    "target": target,
                    "details": details or {},
                    "prev_hash": GENESIS_HASH if last is None else last.hash,
                }
                entry = AuditEntry(**payload, hash=_entry_hash(payload))
                handle.write(entry.model_dump_json() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return entry

    def entries(self) -> Iterator[AuditEntry]:
        """Yield every entry in file order; a line that is not a valid entry is a DataError."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield AuditEntry.model_validate_json(line)
                except ValueError:
                    raise DataError(
                        f"audit log {self.path} line {number} is not a valid audit entry"
                    ) from None

    def verify(self) -> int:
        """Check the hash chain end to end and return the number of entries.

        Raises:
            AuditIntegrityError: naming the first entry whose content, order or link is wrong.
        """
        previous = GENESIS_HASH
        count = 0
        try:
            for index, entry in enumerate(self.entries()):
                payload = entry.model_dump(exclude={"hash"})
                if entry.seq != index:
                    raise AuditIntegrityError(
                        f"audit log broken at line {index + 1}: sequence {entry.seq}, "
                        f"expected {index} (an entry was removed or reordered)"
                    )
                if entry.prev_hash != previous:
                    raise AuditIntegrityError(
                        f"audit log broken at entry {entry.seq}: it does not chain to the entry "
                        "before it (an entry was removed, inserted or altered)"
                    )
                if _entry_hash(payload) != entry.hash:
                    raise AuditIntegrityError(
                        f"audit log broken at entry {entry.seq}: its content does not match "
                        "its hash (the entry was altered)"
                    )
                previous = entry.hash
                count += 1
        except DataError as exc:
            raise AuditIntegrityError(str(exc)) from None
        return count

    def _last_entry(self) -> AuditEntry | None:
        """Read only the file's tail, so appends stay cheap as the log grows."""
        if not self.path.exists():
            return None
        with open(self.path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            end = handle.tell()
            block = b""
            lines: list[bytes] = []
            position = end
            while position > 0:
                step = min(4096, position)
                position -= step
                handle.seek(position)
                block = handle.read(step) + block
                lines = [line for line in block.splitlines() if line.strip()]
                if len(lines) >= 2 or (lines and position == 0):
                    break
        if not lines:
            return None
        try:
            return AuditEntry.model_validate_json(lines[-1])
        except ValueError:
            raise AuditIntegrityError(
                f"the last line of audit log {self.path} is not a valid entry; "
                "run `sandbox audit verify` and restore the log from backup"
            ) from None
