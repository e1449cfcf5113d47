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


def _forge_chain(lines: list[str], key: bytes | None, change: dict | None = None) -> list[str]:
    """Recompute every hash and link (HMAC under ``key``, or plain SHA-256 without one) after
    applying ``change`` to entry 1: what someone who rewrites the whole log would do."""
    import hashlib
    import hmac

    out, previous = [], "0" * 64
    for index, line in enumerate(lines):
        entry = json.loads(line)
        if index == 1 and change:
            entry.update(change)
        entry["prev_hash"] = previous
        payload = {k: v for k, v in entry.items() if k != "hash"}
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        entry["hash"] = (
            hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
            if key
            else hashlib.sha256(canonical.encode()).hexdigest()
        )
        previous = entry["hash"]
        out.append(json.dumps(entry))
    return out


def test_full_rewrite_recomputed_without_the_key_breaks_verification(tmp_path: Path) -> None:
    log = _log_with_entries(tmp_path)
    _rewrite(log, lambda lines: _forge_chain(lines, None, {"user": "mallory"}))
    with pytest.raises(AuditIntegrityError, match="entry 0: its content does not match"):
        log.verify()
    guessed = _log_with_entries(tmp_path / "guess")
    _rewrite(guessed, lambda lines: _forge_chain(lines, b"k" * 32, {"user": "mallory"}))
    with pytest.raises(AuditIntegrityError, match="keyed hash"):
        guessed.verify()


def test_full_rewrite_even_with_the_key_breaks_the_anchor(tmp_path: Path) -> None:
    """Someone who stole the key and recomputes the chain still cannot match the anchored head."""
    log = _log_with_entries(tmp_path)
    key = bytes.fromhex(log.key_path.read_text())
    _rewrite(log, lambda lines: _forge_chain(lines, key, {"user": "mallory"}))
    with pytest.raises(AuditIntegrityError, match="anchored head"):
        log.verify()


@pytest.mark.parametrize("keep", [0, 1, 3])
def test_tail_truncation_breaks_verification(tmp_path: Path, keep: int) -> None:
    log = _log_with_entries(tmp_path)
    _rewrite(log, lambda lines: lines[:keep])
    if keep == 0:
        log.path.write_text("")
    with pytest.raises(AuditIntegrityError, match="truncated|anchored head"):
        log.verify()
    with pytest.raises(AuditIntegrityError):  # and nothing is appended to a cut log
        log.append(ALICE, "run.finished", "run-x")


def test_swapping_two_entries_or_deleting_the_log_or_anchor_breaks_verification(
    tmp_path: Path,
) -> None:
    swapped = _log_with_entries(tmp_path / "swap")
    _rewrite(swapped, lambda lines: [lines[0], lines[2], lines[1], lines[3]])
    with pytest.raises(AuditIntegrityError, match="line 2|entry 2"):
        swapped.verify()
    deleted = _log_with_entries(tmp_path / "deleted")
    deleted.path.unlink()
    with pytest.raises(AuditIntegrityError):
        deleted.append(ALICE, "run.finished", "run-x")
    unanchored = _log_with_entries(tmp_path / "anchor")
    (unanchored.path.parent / "audit.head").unlink()
    with pytest.raises(AuditIntegrityError, match="anchor is missing"):
        unanchored.verify()
    keyless = _log_with_entries(tmp_path / "key")
    keyless.key_path.unlink()
    with pytest.raises(AuditIntegrityError, match="audit key"):
        keyless.verify()
    with pytest.raises(AuditIntegrityError, match="audit key"):
        keyless.append(ALICE, "run.finished", "run-x")


def test_key_is_private_and_head_is_anchored(tmp_path: Path) -> None:
    log = _log_with_entries(tmp_path)
    assert log.key_path.stat().st_mode & 0o777 == 0o600
    last = list(log.entries())[-1]
    assert log.head() is not None
    assert (log.head().seq, log.head().hash) == (last.seq, last.hash)


def test_partial_last_line_is_set_aside_and_recorded_on_the_next_append(tmp_path: Path) -> None:
    log = _log_with_entries(tmp_path)
    with open(log.path, "a") as handle:  # a crash in the middle of writing entry 4
        handle.write('{"seq": 4, "timestamp": "2026-')
    assert log.has_partial_tail()
    assert log.verify() == 4  # the acknowledged entries still verify
    entry = log.append(ALICE, "run.finished", "run-after-crash")
    entries = list(log.entries())
    assert [e.action for e in entries[-2:]] == ["audit.recovered", "run.finished"]
    assert entries[-2].details["bytes"] == len('{"seq": 4, "timestamp": "2026-')
    assert (tmp_path / entries[-2].details["saved_as"]).read_text().startswith('{"seq": 4')
    assert entry.seq == 5 and log.verify() == 6 and not log.has_partial_tail()


def test_crash_between_append_and_anchor_still_verifies(tmp_path: Path) -> None:
    """An entry fsync'd before its anchor was written is keyed, so it is accepted."""
    log = _log_with_entries(tmp_path)
    head = log.head()
    log.append(ALICE, "run.finished", "run-4")
    log.anchor.write(head)  # as if the process died before anchoring entry 4
    assert log.verify() == 5
    assert log.append(ALICE, "run.finished", "run-5").seq == 5


def test_garbage_line_is_an_integrity_error(tmp_path: Path) -> None:
    log = _log_with_entries(tmp_path)
    with open(log.path, "a") as handle:
        handle.write("not json\n")
    with pytest.raises(AuditIntegrityError):
        log.verify()


def test_empty_log_verifies_with_zero_entries(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "none.jsonl").verify() == 0


def test_a_log_from_before_keys_is_archived_and_the_new_log_starts_from_it(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "audit.jsonl"
    lines, previous = [], "0" * 64
    for seq in range(3):  # the unkeyed format of schema 1
        payload = {
            "seq": seq,
            "timestamp": "2026-11-01T00:00:00+00:00",
            "tenant": "demo-bank",
            "user": "alice",
            "role": "data_scientist",
            "action": "run.finished",
            "target": f"run-{seq}",
            "details": {},
            "prev_hash": previous,
        }
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        previous = hashlib.sha256(canonical.encode()).hexdigest()
        lines.append(json.dumps({**payload, "hash": previous}))
    path.write_text("\n".join(lines) + "\n")
    log = AuditLog(path)
    log.append(ALICE, "run.finished", "run-3")
    first, second = list(log.entries())
    assert first.action == "audit.legacy_archived"
    assert first.details["entries"] == 3 and first.details["last_hash"] == previous
    assert (tmp_path / first.details["archived_as"]).read_text().splitlines() == lines
    assert second.target == "run-3" and log.verify() == 2


def test_a_broken_log_from_before_keys_is_not_archived(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"seq": 0}\n')
    with pytest.raises(AuditIntegrityError, match="unkeyed chain breaks at line 1"):
        AuditLog(path).append(ALICE, "run.finished", "run-0")
    assert path.read_text() == '{"seq": 0}\n'


def test_run_ids_are_checked_before_they_become_paths() -> None:
    from sandbox.errors import UnknownNameError
    from sandbox.tracking import checked_run_id

    assert checked_run_id("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef"
    for bad in ("../../etc/passwd", "0123456789abcdef0123456789abcde/", "RUN", ""):
        with pytest.raises(UnknownNameError, match="not a run id"):
            checked_run_id(bad)
