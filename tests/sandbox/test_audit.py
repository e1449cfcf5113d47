import json
from pathlib import Path

import pytest

from sandbox.audit import AuditLog
from sandbox.errors import AuditIntegrityError
from sandbox.identity import Identity, Role

ALICE = Identity(user="alice", tenant="demo-bank", role=Role.DATA_SCIENTIST)


def _log_with_entries(tmp_path: Path, n: int = 4) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append(ALICE, "run.finished", f"run-{i}", {"i": i})
    return log


def test_entries_chain_and_record_identity(tmp_path: Path) -> None:
    log = _log_with_entries(tmp_path)
    entries = list(log.entries())
    assert [e.seq for e in entries] == [0, 1, 2, 3]
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:], strict=False))
    assert {(e.user, e.tenant, e.role) for e in entries} == {
        ("alice", "demo-bank", "data_scientist")
    }
    assert log.verify() == 4


def _rewrite(log: AuditLog, mutate) -> None:
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join(mutate(lines)) + "\n")


@pytest.mark.parametrize(
    "field, value",
    [("user", "mallory"), ("target", "run-x"), ("details", {"i": 99}), ("role", "admin")],
)
def test_altering_any_field_of_any_entry_breaks_verification(
    tmp_path: Path, field: str, value: object
) -> None:
    for index in range(4):
        log = _log_with_entries(tmp_path / f"{field}{index}")

        def alter(lines: list[str], index: int = index) -> list[str]:
            entry = json.loads(lines[index])
            entry[field] = value
            lines[index] = json.dumps(entry)
            return lines

        _rewrite(log, alter)
        with pytest.raises(AuditIntegrityError, match=f"entry {index}"):
            log.verify()


def test_removing_or_reordering_entries_breaks_verification(tmp_path: Path) -> None:
    removed = _log_with_entries(tmp_path / "a")
    _rewrite(removed, lambda lines: lines[:1] + lines[2:])
    with pytest.raises(AuditIntegrityError):
        removed.verify()
    swapped = _log_with_entries(tmp_path / "b")
    _rewrite(swapped, lambda lines: [lines[1], lines[0], *lines[2:]])
    with pytest.raises(AuditIntegrityError):
        swapped.verify()


def test_rehashing_an_altered_entry_still_breaks_the_chain(tmp_path: Path) -> None:
    import hashlib

    log = _log_with_entries(tmp_path)

    def forge(lines: list[str]) -> list[str]:
        entry = json.loads(lines[1])
        entry["user"] = "mallory"
        payload = {k: v for k, v in entry.items() if k != "hash"}
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        entry["hash"] = hashlib.sha256(canonical.encode()).hexdigest()
        lines[1] = json.dumps(entry)
        return lines

    _rewrite(log, forge)
    with pytest.raises(AuditIntegrityError, match="entry 2"):
        log.verify()


def test_garbage_line_is_an_integrity_error(tmp_path: Path) -> None:
    log = _log_with_entries(tmp_path)
    with open(log.path, "a") as handle:
        handle.write("not json\n")
    with pytest.raises(AuditIntegrityError):
        log.verify()


def test_empty_log_verifies_with_zero_entries(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "none.jsonl").verify() == 0
