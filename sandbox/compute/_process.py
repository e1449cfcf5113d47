"""Is a recorded process still the one that was recorded? (Leases and running jobs hold pids.)"""

from __future__ import annotations

import os
from pathlib import Path


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks from /proc, or None where there is no /proc."""
    stat = _proc_stat(pid)
    return None if stat is None else stat[1]


def process_alive(pid: int, start: str | None) -> bool:
    """Whether ``pid`` runs and, when ``start`` was recorded, is not a reused pid (Linux)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc: the signal check is all there is
    state, started = stat
    if state in ("Z", "X"):
        return False  # exited, not yet reaped
    return start is None or started == start


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of ``pid`` from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = raw.rpartition(")")[2].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]
