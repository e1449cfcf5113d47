"""The append-only, keyed, hash-chained audit log that every feature writes to.

Each line is one JSON entry holding the previous entry's hash; an entry's hash is an HMAC-SHA256
of its content under a key only the log's owner holds (the sandbox server, or the sandbox home in
local mode), so nobody without the key can rewrite the log and recompute the chain. After each
durable append the head (last sequence number and hash) is written to an anchor outside the log:
the server's database, or ``audit.head`` beside a local log. ``verify`` recomputes the chain and
checks it against the anchor, so it fails for any change, removal, reordering, tail truncation or
full rewrite, and names the first entry that is wrong.

A crash in the middle of an append can leave a partial last line. Readers skip it; the next append
moves it aside (``audit.jsonl.partial-<time>``) and records an ``audit.recovered`` entry, so the
log never stays blocked and nothing acknowledged is lost (an append returns only after fsync).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from sandbox.errors import AuditIntegrityError, DataError
from sandbox.fileio import atomic_write, create_exclusive
from sandbox.identity import Identity

if TYPE_CHECKING:
    from sandbox.config import Settings

GENESIS_HASH = "0" * 64
KEY_BYTES = 32


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


class AuditHead(BaseModel):
    """The last entry of a log: what an anchor, a report and a sign-off record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    hash: str

    @property
    def short(self) -> str:
        return f"#{self.seq} {self.hash[:16]}"

    @property
    def ref(self) -> str:
        """``seq:hash``, as a sign-off step records the head it acted on."""
        return f"{self.seq}:{self.hash}"


class HeadAnchor(Protocol):
    """Where the head is kept outside the log (the server's database, or a file)."""

    def read(self) -> AuditHead | None: ...

    def write(self, head: AuditHead) -> None: ...


class FileAnchor:
    """The head in a small JSON file, replaced atomically (local mode)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> AuditHead | None:
        if not self.path.exists():
            return None
        try:
            return AuditHead.model_validate_json(self.path.read_text(encoding="utf-8"))
        except ValueError:
            raise AuditIntegrityError(
                f"the audit head anchor {self.path} is unreadable; restore it from backup"
            ) from None

    def write(self, head: AuditHead) -> None:
        atomic_write(self.path, head.model_dump_json().encode("utf-8"), mode=0o644)


def load_or_create_key(path: Path, *, create: bool, label: str = "audit key") -> bytes:
    """A 32-byte secret key at ``path`` (hex, mode 0600), created atomically when ``create`` is
    true: the audit HMAC key, and the Ed25519 seed that signs evidence bundles.

    Raises:
        AuditIntegrityError: the key is missing (and may not be created) or malformed.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise AuditIntegrityError(
                f"the {label} {path} is missing but what it protects exists; restore the key "
                "from backup (without it nothing it keyed can be verified)"
            )
        # atomic create-if-absent: a concurrent creator's key wins
        create_exclusive(path, secrets.token_hex(KEY_BYTES).encode("ascii"), mode=0o600)
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise AuditIntegrityError(f"the {label} {path} is malformed; restore it from backup")
    return key


def _entry_hash(key: bytes, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


class AuditLog:
    """A JSON-lines audit log at ``path``; appends are serialised with an exclusive file lock.

    Args:
        path: The log file.
        key_path: The HMAC key (default ``audit.key`` beside the log); created with the log.
        anchor: Where the head is kept (default :class:`FileAnchor` at ``audit.head`` beside it).
    """

    def __init__(
        self, path: Path, *, key_path: Path | None = None, anchor: HeadAnchor | None = None
    ) -> None:
        self.path = Path(path)
        self.key_path = Path(key_path) if key_path else self.path.with_name("audit.key")
        self.anchor: HeadAnchor = anchor or FileAnchor(self.path.with_name("audit.head"))

    @property
    def location(self) -> str:
        return str(self.path)

    def _key(self) -> bytes:
        empty = not self.path.exists() or self.path.stat().st_size == 0
        return load_or_create_key(self.key_path, create=empty and self.anchor.read() is None)

    def append(
        self,
        identity: Identity,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry chained to the last one, anchor the new head and return it.

        ``details`` must not hold personal data: pass identifiers, hashes and counts.

        Raises:
            AuditIntegrityError: the log's end does not match the anchored head (entries were
                removed or the log replaced); nothing is appended to a log that fails this check.
        """
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                legacy = self._archive_unkeyed_log(handle)
                key = self._key()
                recovered = self._set_aside_partial_tail(handle)
                last = self._checked_last_entry(key)
                if legacy is not None:
                    last = self._write(
                        handle, key, last, identity, "audit.legacy_archived", "", legacy
                    )
                if recovered is not None:
                    last = self._write(
                        handle, key, last, identity, "audit.recovered", "", recovered
                    )
                entry = self._write(handle, key, last, identity, action, target, details or {})
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return entry

    def _write(
        self,
        handle: Any,
        key: bytes,
        last: AuditEntry | None,
        identity: Identity,
        action: str,
        target: str,
        details: dict[str, Any],
    ) -> AuditEntry:
        payload: dict[str, Any] = {
            "seq": 0 if last is None else last.seq + 1,
            "timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
            "tenant": identity.tenant,
            "user": identity.user,
            "role": identity.role.value,
            "action": action,
            "target": target,
            "details": details,
            "prev_hash": GENESIS_HASH if last is None else last.hash,
        }
        entry = AuditEntry(**payload, hash=_entry_hash(key, payload))
        handle.write((entry.model_dump_json() + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
        self.anchor.write(AuditHead(seq=entry.seq, hash=entry.hash))
        return entry

    def head(self) -> AuditHead | None:
        """The anchored head (``None`` for an empty log)."""
        return self.anchor.read()

    def entries(self, tenant: str | None = None) -> Iterator[AuditEntry]:
        """Yield complete entries in file order (of one ``tenant`` when given); a complete line
        that is not a valid entry is a DataError. A partial last line from a crash is skipped."""
        for _, entry in self._numbered_entries():
            if tenant is None or entry.tenant == tenant:
                yield entry

    def _numbered_entries(self) -> Iterator[tuple[int, AuditEntry]]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    return  # a partial write from a crash; set aside at the next append
                if not raw.strip():
                    continue
                try:
                    yield number, AuditEntry.model_validate_json(raw)
                except ValueError:
                    raise DataError(
                        f"audit log {self.path} line {number} is not a valid audit entry"
                    ) from None

    def has_partial_tail(self) -> bool:
        """Whether the log ends in a partial line (a write interrupted by a crash)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        with open(self.path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"

    def verify(self) -> int:
        """Check keys, chain and anchor end to end and return the number of entries.

        Raises:
            AuditIntegrityError: naming the first entry whose content, order or link is wrong,
                or how the log's end differs from the anchored head.
        """
        anchored = self.anchor.read()
        if anchored is None and not any(True for _ in self._numbered_entries()):
            return 0
        if anchored is None:
            raise AuditIntegrityError(
                "the audit log holds entries but its head anchor is missing (the anchor was "
                "deleted or the log was put in place from elsewhere); restore both from backup"
            )
        key = load_or_create_key(self.key_path, create=False)
        previous = GENESIS_HASH
        count = 0
        seen_anchor = False
        try:
            for index, (_, entry) in enumerate(self._numbered_entries()):
                _check_entry(key, entry, index, previous)
                if entry.seq == anchored.seq:
                    if entry.hash != anchored.hash:
                        raise AuditIntegrityError(
                            f"audit log broken at entry {entry.seq}: it is not the anchored head "
                            "(the log was rewritten)"
                        )
                    seen_anchor = True
                previous = entry.hash
                count += 1
        except DataError as exc:
            raise AuditIntegrityError(str(exc)) from None
        if not seen_anchor:
            raise AuditIntegrityError(
                f"audit log truncated: it ends at entry {count - 1} but the anchored head is "
                f"entry {anchored.seq} (entries were removed from the end)"
            )
        return count

    # -- internals ------------------------------------------------------------------------------
    def _archive_unkeyed_log(self, handle: Any) -> dict[str, Any] | None:
        """A log written before audit keys (no key, no anchor) is verified with its old unkeyed
        chain, copied aside whole and emptied in place; the new keyed log starts with an entry
        naming the copy, its entry count, last hash and file sha256."""
        if self.key_path.exists() or self.anchor.read() is not None:
            return None
        handle.seek(0)
        content = handle.read()
        if not content.strip():
            return None
        previous, count = GENESIS_HASH, 0
        for index, raw in enumerate(content.splitlines()):
            try:
                entry = AuditEntry.model_validate_json(raw)
            except ValueError:
                entry = None
            canonical = json.dumps(
                None if entry is None else entry.model_dump(exclude={"hash"}),
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            if (
                entry is None
                or entry.seq != index
                or entry.prev_hash != previous
                or hashlib.sha256(canonical.encode("utf-8")).hexdigest() != entry.hash
            ):
                raise AuditIntegrityError(
                    f"audit log {self.path} has no key and no head anchor, and its unkeyed chain "
                    f"breaks at line {index + 1}; restore the log, its key and anchor from backup"
                )
            previous, count = entry.hash, count + 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.name}.unkeyed-{stamp}")
        atomic_write(aside, content, mode=0o600)
        handle.truncate(0)
        handle.flush()
        os.fsync(handle.fileno())
        return {
            "reason": "log written before keyed audit; archived whole",
            "archived_as": aside.name,
            "entries": count,
            "last_hash": previous,
            "sha256": hashlib.sha256(content).hexdigest(),
        }

    def _set_aside_partial_tail(self, handle: Any) -> dict[str, Any] | None:
        """Move a partial last line (crash mid-append) to a side file; details for the entry."""
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return None
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return None
        start = size
        while start > 0:
            step = min(4096, start)
            handle.seek(start - step)
            block = handle.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                start = start - step + cut + 1
                break
            start -= step
        handle.seek(start)
        fragment = handle.read()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.name}.partial-{stamp}")
        atomic_write(aside, fragment, mode=0o600)
        handle.truncate(start)
        handle.flush()
        os.fsync(handle.fileno())
        handle.seek(0, os.SEEK_END)
        return {
            "reason": "partial last line from an interrupted write",
            "bytes": len(fragment),
            "sha256": hashlib.sha256(fragment).hexdigest(),
            "saved_as": aside.name,
        }

    def _checked_last_entry(self, key: bytes) -> AuditEntry | None:
        """The last entry, after checking its key and that it is at or past the anchored head."""
        last = self._last_entry()
        anchored = self.anchor.read()
        if last is None and anchored is None:
            return None
        fix = "run `sandbox audit verify` and restore the log from backup"
        if last is None or anchored is None:
            what = "is empty" if last is None else "has no head anchor"
            raise AuditIntegrityError(f"audit log {self.path} {what}, but not both; {fix}")
        if not hmac.compare_digest(_entry_hash(key, last.model_dump(exclude={"hash"})), last.hash):
            raise AuditIntegrityError(f"the last entry of audit log {self.path} is altered; {fix}")
        if last.seq < anchored.seq or (last.seq == anchored.seq and last.hash != anchored.hash):
            raise AuditIntegrityError(
                f"audit log {self.path} ends at entry {last.seq}, which is not the anchored head "
                f"{anchored.short}; {fix}"
            )
        return last

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


def _check_entry(key: bytes, entry: AuditEntry, index: int, previous: str) -> None:
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
    expected = _entry_hash(key, entry.model_dump(exclude={"hash"}))
    if not hmac.compare_digest(expected, entry.hash):
        raise AuditIntegrityError(
            f"audit log broken at entry {entry.seq}: its content does not match "
            "its keyed hash (the entry was altered or written without the key)"
        )


class AuditTrail(Protocol):
    """What features need of an audit log, local or served."""

    @property
    def location(self) -> str: ...

    def append(
        self, identity: Identity, action: str, target: str, details: dict[str, Any] | None = None
    ) -> AuditEntry: ...

    def entries(self, tenant: str | None = None) -> Iterator[AuditEntry]: ...

    def verify(self) -> int: ...

    def head(self) -> AuditHead | None: ...


def open_audit(settings: Settings) -> AuditTrail:
    """The audit log for these settings: the sandbox server's (entries appended by the server
    with the authenticated caller as the actor) or, without a server, the local keyed log."""
    if settings.server_url is not None:
        from sandbox.server.client import Credentials, RemoteAuditLog

        return RemoteAuditLog(Credentials.from_environment(settings.server_url))
    return AuditLog(settings.audit_log_path)
