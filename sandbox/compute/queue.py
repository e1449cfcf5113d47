"""A local job queue for one machine: per-tenant quotas and fair-share ordering.

Jobs wait in the compute database (``<home>/usage/usage.db``); ``run_next`` starts the job of the
tenant that used the fewest GPU-seconds today among those under their ``concurrent_jobs`` and
``gpu_seconds_per_day`` quotas, runs it as a subprocess with CUDA_VISIBLE_DEVICES set to free
devices, and charges wall seconds x GPUs to the usage ledger. It is not a cluster scheduler: for
several machines submit to Ray (``sandbox.compute.ray_backend``) or MLflow Projects on Kubernetes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sandbox.audit import AuditTrail, open_audit
from sandbox.compute._process import process_alive, process_start
from sandbox.compute._sqlite import connect, init_schema
from sandbox.compute.devices import cuda_device_count, physical_device_ids
from sandbox.compute.quotas import QuotaConfig, load_quotas, require_tenant_name
from sandbox.compute.usage import UsageLedger, usage_db_path
from sandbox.config import Settings
from sandbox.errors import (
    AccessDenied,
    ConfigError,
    PrerequisiteError,
    QuotaExceeded,
    UnknownNameError,
)
from sandbox.identity import Action, Identity, Role

if TYPE_CHECKING:
    from sandbox.server.compute_client import RemoteJobQueue

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
_KILL_GRACE_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    program TEXT NOT NULL,
    args_sha256 TEXT NOT NULL,
    command TEXT NOT NULL,
    cwd TEXT NOT NULL,
    gpus INTEGER NOT NULL,
    gpu_seconds_estimate REAL NOT NULL,
    state TEXT NOT NULL,
    submitted REAL NOT NULL,
    started REAL,
    finished REAL,
    exit_code INTEGER,
    devices TEXT NOT NULL DEFAULT '',
    gpu_seconds REAL NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    runner_pid INTEGER,
    runner_start TEXT,
    runner_host TEXT,
    child_pid INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, submitted);
"""


@dataclass(frozen=True)
class Job:
    """One queued, running or finished job."""

    id: int
    tenant: str
    user: str
    program: str
    """The command's program name only (arguments may hold personal data)."""
    args_sha256: str
    command: list[str]
    gpus: int
    gpu_seconds_estimate: float
    state: JobState
    submitted: float
    started: float | None
    finished: float | None
    exit_code: int | None
    devices: str
    """CUDA_VISIBLE_DEVICES the job ran with ('' for none)."""
    gpu_seconds: float
    """Charged to the ledger: wall seconds x GPUs."""
    reason: str
    """Why it failed or was cancelled, when it did."""

    @classmethod
    def _from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            id=row["id"],
            tenant=row["tenant"],
            user=row["user"],
            program=row["program"],
            args_sha256=row["args_sha256"],
            command=json.loads(row["command"]),
            gpus=row["gpus"],
            gpu_seconds_estimate=row["gpu_seconds_estimate"],
            state=row["state"],
            submitted=row["submitted"],
            started=row["started"],
            finished=row["finished"],
            exit_code=row["exit_code"],
            devices=row["devices"],
            gpu_seconds=row["gpu_seconds"],
            reason=row["reason"],
        )


@dataclass(frozen=True)
class RunnerInfo:
    """The process that runs a claimed job (orphaned jobs are failed when it dies)."""

    pid: int
    start: str | None
    host: str

    @classmethod
    def this_process(cls) -> RunnerInfo:
        return cls(pid=os.getpid(), start=process_start(os.getpid()), host=socket.gethostname())


@dataclass(frozen=True)
class JobClaim:
    """A job handed to a runner: the job, the role it was submitted under, where it runs and
    how long it may run before its tenant's GPU-seconds run out (None: no limit)."""

    job: Job
    role: str
    cwd: str
    timeout_s: float | None


@dataclass(frozen=True)
class JobOutcome:
    exit_code: int | None
    reason: str
    wall_seconds: float


class JobInterrupted(Exception):
    """The runner itself was interrupted (e.g. Ctrl-C); the job was stopped."""

    def __init__(self, wall_seconds: float) -> None:
        super().__init__("the runner was interrupted")
        self.reason = "the runner was interrupted; resubmit the job"
        self.wall_seconds = wall_seconds


_CANCEL_POLL_S = 2.0


def execute_job(
    claim: JobClaim,
    env: dict[str, str],
    logs_dir: Path,
    *,
    on_child: Callable[[int], None],
    cancel_requested: Callable[[], bool],
) -> JobOutcome:
    """Run a claimed job as a subprocess in its own session, logging to ``<logs_dir>/<id>.log``;
    stop it when its owner cancels (polled) or its GPU-seconds run out.

    Raises:
        JobInterrupted: The runner was interrupted; the job's process group was stopped.
    """
    job = claim.job
    env = {**env, "CUDA_VISIBLE_DEVICES": job.devices}
    logs_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(logs_dir / f"{job.id}.log", "ab") as log:
        try:
            child = subprocess.Popen(
                job.command,
                cwd=claim.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            reason = f"could not start '{job.program}': {exc.strerror or exc}"
            return JobOutcome(None, reason, time.monotonic() - started)
        try:
            on_child(child.pid)
            deadline = None if claim.timeout_s is None else started + claim.timeout_s
            while True:
                if cancel_requested():
                    return JobOutcome(_stop(child), "", time.monotonic() - started)
                wait = _CANCEL_POLL_S
                if deadline is not None:
                    wait = min(wait, max(deadline - time.monotonic(), 0.0))
                try:
                    code = child.wait(timeout=wait)
                    return JobOutcome(code, "", time.monotonic() - started)
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() >= deadline:
                        reason = "stopped: the tenant's gpu_seconds_per_day quota was reached"
                        return JobOutcome(_stop(child), reason, time.monotonic() - started)
        except BaseException as exc:  # e.g. Ctrl-C: the job is in its own session
            _stop(child)
            raise JobInterrupted(time.monotonic() - started) from exc


def run_claim(
    claim: JobClaim,
    env: dict[str, str],
    logs_dir: Path,
    *,
    on_child: Callable[[int], None],
    cancel_requested: Callable[[], bool],
    finish: Callable[[int, int | None, str, float], Job],
) -> Job:
    """Execute a claimed job (see :func:`execute_job`) and record how it ended with ``finish``
    (``job id, exit code, reason, wall seconds``), also when the runner itself is interrupted,
    which is then raised again."""
    try:
        outcome = execute_job(
            claim, env, logs_dir, on_child=on_child, cancel_requested=cancel_requested
        )
    except JobInterrupted as interrupted:
        finish(claim.job.id, None, interrupted.reason, interrupted.wall_seconds)
        raise interrupted.__cause__ or interrupted from None
    return finish(claim.job.id, outcome.exit_code, outcome.reason, outcome.wall_seconds)


class JobQueue:
    """The job queue of one sandbox home; actions are checked against and audited under the
    acting identity.

    Without a server it is the queue of the local home; the sandbox server keeps the one queue
    of every bank in its own home and answers clients through :class:`RemoteJobQueue`.

    Args:
        settings: Where the database, quotas file and job logs live.
        device_count: CUDA devices to hand out; defaults to what torch sees (0 on CPU).
        identity: Who is acting (default: ``settings.identity``).
        audit: Where actions are audited (default: ``settings``' audit log).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        device_count: int | None = None,
        identity: Identity | None = None,
        audit: AuditTrail | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity or settings.identity
        self.path = usage_db_path(settings)
        self.ledger = UsageLedger.for_settings(settings)
        self.audit = audit or open_audit(settings)
        self.logs_dir = settings.home / "usage" / "jobs"
        self._device_count = device_count
        init_schema(self.path, _SCHEMA)
        _add_missing_columns(self.path)

    @property
    def device_count(self) -> int:
        """CUDA devices this queue hands out."""
        if self._device_count is None:
            self._device_count = cuda_device_count()
        return self._device_count

    def submit(
        self,
        tenant: str,
        user: str,
        command: list[str],
        gpus: int = 0,
        gpu_seconds_estimate: float = 0.0,
        *,
        cwd: Path | None = None,
    ) -> int:
        """Queue ``command`` for ``user`` of ``tenant`` and return the job id.

        Args:
            tenant: Tenant charged; must be the acting tenant unless the actor is an admin.
            user: User the job runs as (exported as SANDBOX_USER to the job).
            command: Program and arguments, run without a shell.
            gpus: CUDA devices the job needs (0 for a CPU job).
            gpu_seconds_estimate: Expected wall seconds x GPUs, reserved against the daily quota
                while the job runs.
            cwd: Working directory of the job (default: the current one).

        Raises:
            AccessDenied: The actor may not run jobs, or not for this tenant.
            PrerequisiteError: The job needs more GPUs than this machine has.
            QuotaExceeded: The tenant's quota could never allow this job.
        """
        identity = self._identity_for(require_tenant_name(tenant))
        if not command or not all(isinstance(part, str) and part for part in command):
            raise ConfigError("a job needs a command: a program and its arguments (python x.py)")
        if gpus < 0 or gpu_seconds_estimate < 0:
            raise ConfigError("gpus and gpu_seconds_estimate must be >= 0")
        if gpus > self.device_count:
            raise PrerequisiteError(
                f"the job asks for {gpus} GPU(s) but this machine has {self.device_count}; "
                "submit with --gpus 0, run the queue on a GPU node, or submit to a Ray cluster "
                "(see docs/compute.md)"
            )
        quotas = load_quotas(self.settings)
        quota = quotas.for_tenant(tenant)
        if quota.concurrent_jobs == 0:
            raise QuotaExceeded(
                f"tenant '{tenant}' may run 0 concurrent jobs; ask an admin to raise "
                f"'concurrent_jobs' under tenants.{tenant} in {quotas.path}",
                tenant=tenant,
                resource="concurrent_jobs",
                limit=0,
            )
        if gpus and gpu_seconds_estimate > quota.gpu_seconds_per_day:
            raise QuotaExceeded(
                f"the job's estimate of {gpu_seconds_estimate:,.0f} GPU-seconds is more than "
                f"tenant '{tenant}' may use in a day ({quota.gpu_seconds_per_day:,.0f}); split "
                f"the job, or ask an admin to raise 'gpu_seconds_per_day' under tenants.{tenant} "
                f"in {quotas.path}",
                tenant=tenant,
                resource="gpu_seconds",
                used=0.0,
                limit=quota.gpu_seconds_per_day,
            )
        program = Path(command[0]).name
        args_sha = _args_sha256(command)
        with connect(self.path, write=True) as conn:
            cursor = conn.execute(
                "INSERT INTO jobs (tenant, user, role, program, args_sha256, command, cwd, gpus, "
                "gpu_seconds_estimate, state, submitted) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                (
                    tenant,
                    user,
                    identity.role.value,
                    program,
                    args_sha,
                    json.dumps(command),
                    str(cwd or Path.cwd()),
                    int(gpus),
                    float(gpu_seconds_estimate),
                    time.time(),
                ),
            )
            job_id = int(cursor.lastrowid or 0)
        self.audit.append(
            identity,
            "job.submitted",
            f"job:{job_id}",
            {
                "job_tenant": tenant,
                "job_user": user,
                "program": program,
                "args_sha256": args_sha,
                "gpus": gpus,
                "gpu_seconds_estimate": gpu_seconds_estimate,
            },
        )
        return job_id

    def get(self, job_id: int) -> Job:
        """One job, if the acting identity may see it.

        Raises:
            UnknownNameError: No such job.
            AccessDenied: The job belongs to another tenant and the actor is not an admin.
        """
        with connect(self.path) as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise UnknownNameError(f"no job {job_id}; see `sandbox jobs list`")
        self._require_owner(row["tenant"], job_id)
        return Job._from_row(row)

    def list(self, limit: int = 50) -> list[Job]:
        """The acting tenant's jobs (an admin sees every tenant's), newest first."""
        identity = self.identity
        sql, params = "SELECT * FROM jobs", ()
        if identity.role is not Role.ADMIN:
            sql, params = sql + " WHERE tenant = ?", (identity.tenant,)
        with connect(self.path) as conn:
            rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [Job._from_row(row) for row in rows]

    def next_job(self) -> Job | None:
        """The job ``run_next`` would start now, or None when no queued job may start."""
        self.device_count  # noqa: B018  (detect devices before taking the lock)
        with connect(self.path, write=True) as conn:
            job, _ = self._pick(conn)
        return job

    def waiting_reasons(self) -> dict[int, str]:
        """Why each queued job that cannot start now is waiting (job id -> reason)."""
        self.device_count  # noqa: B018  (detect devices before taking the lock)
        with connect(self.path, write=True) as conn:
            _, reasons = self._pick(conn)
        return reasons

    def run_next(self) -> Job | None:
        """Start the fair-share choice, wait for it, charge its GPU-seconds and return it.

        A GPU job is stopped when it would pass its tenant's ``gpu_seconds_per_day``.

        Returns:
            The finished job, or None when no queued job may start now.
        """
        claim = self.claim(runner=RunnerInfo.this_process())
        if claim is None:
            return None
        job = claim.job
        quota = load_quotas(self.settings).for_tenant(job.tenant)
        env = job_environment(os.environ, same_tenant=job.tenant == self.identity.tenant)
        env.update(
            {
                "SANDBOX_HOME": str(self.settings.home),
                "SANDBOX_TENANT": job.tenant,
                "SANDBOX_USER": job.user,
                "SANDBOX_ROLE": claim.role,
            }
        )
        try:
            with self.ledger.slot(job.tenant, "jobs", quota.concurrent_jobs):
                return run_claim(
                    claim,
                    env,
                    self.logs_dir,
                    on_child=lambda pid: self._set(job.id, child_pid=pid),
                    cancel_requested=lambda: self._cancel_requested(job.id),
                    finish=self.finish,
                )
        except QuotaExceeded:  # no slot free: the job waits again
            self._set(job.id, state="queued", started=None, devices="", runner_pid=None)
            raise

    def claim(self, *, runner: RunnerInfo, user: str | None = None) -> JobClaim | None:
        """Take the fair-share choice among the jobs the acting identity may run (its tenant's,
        and only ``user``'s when given; an admin's: every tenant's) and mark it running.

        Returns:
            The claimed job with what its runner needs, or None when no queued job may start.
        """
        identity = self.identity
        identity.require(Action.RUN_EXPERIMENT)
        self.device_count  # noqa: B018  (detect devices before taking the lock)
        only = None if identity.role is Role.ADMIN else identity.tenant
        with connect(self.path, write=True) as conn:
            job, _ = self._pick(conn, tenant=only, user=user)
            if job is None:
                return None
            devices = sorted(self._free_devices(conn))[: job.gpus]
            visible = ",".join(physical_device_ids(devices))
            conn.execute(
                "UPDATE jobs SET state = 'running', started = ?, devices = ?, runner_pid = ?, "
                "runner_start = ?, runner_host = ? WHERE id = ?",
                (time.time(), visible, runner.pid, runner.start, runner.host, job.id),
            )
            row = conn.execute("SELECT role, cwd FROM jobs WHERE id = ?", (job.id,)).fetchone()
        self.audit.append(
            identity,
            "job.started",
            f"job:{job.id}",
            {"job_tenant": job.tenant, "gpus": job.gpus, "devices": visible},
        )
        quota = load_quotas(self.settings).for_tenant(job.tenant)
        budget = self._gpu_seconds_left(job, quota.gpu_seconds_per_day)
        return JobClaim(
            job=self._get_unchecked(job.id),
            role=row["role"],
            cwd=row["cwd"],
            timeout_s=budget / job.gpus if job.gpus and budget is not None else None,
        )

    def finish(self, job_id: int, exit_code: int | None, reason: str, wall_seconds: float) -> Job:
        """Record how a claimed job ended: its state, the GPU-seconds charged (wall seconds x
        GPUs) and an audit entry. A job asked to stop while running ends as cancelled.

        Raises:
            UnknownNameError / AccessDenied: as ``get``.
            ConfigError: The job is not running.
        """
        job = self.get(job_id)
        if job.state != "running":
            raise ConfigError(f"job {job_id} is {job.state}, not running; nothing to finish")
        if not math.isfinite(wall_seconds) or wall_seconds < 0:
            raise ConfigError("wall_seconds must be a finite number >= 0")
        gpu_seconds = wall_seconds * job.gpus
        if gpu_seconds > 0:
            self.ledger.record(
                job.tenant, "gpu_seconds", gpu_seconds, user=job.user, model=f"job:{job.id}"
            )
        cancelled = self._cancel_requested(job.id)
        state: JobState = "cancelled" if cancelled else "succeeded" if exit_code == 0 else "failed"
        if cancelled:
            reason = "cancelled while running"
        elif state == "failed" and not reason:
            reason = f"exit code {exit_code}"
        with connect(self.path, write=True) as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, finished = ?, exit_code = ?, gpu_seconds = ?, "
                "reason = ?, child_pid = NULL WHERE id = ?",
                (state, time.time(), exit_code, gpu_seconds, reason[:500], job.id),
            )
        self.audit.append(
            self.identity,
            "job.finished",
            f"job:{job.id}",
            {
                "job_tenant": job.tenant,
                "state": state,
                "exit_code": exit_code,
                "wall_seconds": round(wall_seconds, 3),
                "gpu_seconds": round(gpu_seconds, 3),
            },
        )
        return self._get_unchecked(job.id)

    def cancel_requested(self, job_id: int) -> bool:
        """Whether the job's owner asked a running job to stop (its runner polls this)."""
        self.get(job_id)
        return self._cancel_requested(job_id)

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued job, or stop a running one (SIGTERM to its process group here; a
        runner elsewhere sees the request when it next asks).

        Only those who may run jobs in the owner tenant, or an admin, may cancel.

        Raises:
            UnknownNameError: No such job.
            AccessDenied: Another tenant's job and the actor is not an admin.
            ConfigError: The job already finished.
        """
        identity = self.identity
        identity.require(Action.RUN_EXPERIMENT)  # reading a job is not enough to stop it
        with connect(self.path, write=True) as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise UnknownNameError(f"no job {job_id}; see `sandbox jobs list`")
            self._require_owner(row["tenant"], job_id)
            if row["state"] == "queued":
                conn.execute(
                    "UPDATE jobs SET state = 'cancelled', finished = ?, reason = ? WHERE id = ?",
                    (time.time(), f"cancelled by {identity.user}", job_id),
                )
            elif row["state"] == "running":
                conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
            else:
                raise ConfigError(
                    f"job {job_id} already finished ({row['state']}); only queued or running "
                    "jobs can be cancelled"
                )
        if row["state"] == "running" and row["child_pid"]:
            _signal_group(row["child_pid"], signal.SIGTERM)  # the runner records the outcome
        self.audit.append(
            identity,
            "job.cancelled",
            f"job:{job_id}",
            {"job_tenant": row["tenant"], "was": row["state"]},
        )
        return self._get_unchecked(job_id)

    def _identity_for(self, tenant: str) -> Identity:
        identity = self.identity
        identity.require(Action.RUN_EXPERIMENT)
        if tenant != identity.tenant and identity.role is not Role.ADMIN:
            raise AccessDenied(
                f"user '{identity.user}' of tenant '{identity.tenant}' may not submit jobs for "
                f"tenant '{tenant}'; only admins may"
            )
        return identity

    def _require_owner(self, tenant: str, job_id: int) -> None:
        identity = self.identity
        if tenant != identity.tenant and identity.role is not Role.ADMIN:
            raise AccessDenied(
                f"job {job_id} belongs to another tenant; only its tenant or an admin may act on it"
            )

    def _get_unchecked(self, job_id: int) -> Job:
        with connect(self.path) as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job._from_row(row)

    def _cancel_requested(self, job_id: int) -> bool:
        with connect(self.path) as conn:
            row = conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,))
            return bool(row.fetchone()[0])

    def _set(self, job_id: int, **values: Any) -> None:
        columns = ", ".join(f"{key} = ?" for key in values)
        with connect(self.path, write=True) as conn:
            conn.execute(f"UPDATE jobs SET {columns} WHERE id = ?", (*values.values(), job_id))

    def _free_devices(self, conn: sqlite3.Connection) -> set[int]:
        """Indices of this process's devices not handed to a running job."""
        taken: set[str] = set()
        for (devices,) in conn.execute("SELECT devices FROM jobs WHERE state = 'running'"):
            taken.update(d for d in devices.split(",") if d)
        all_indices = list(range(self.device_count))
        ids = physical_device_ids(all_indices)
        return {index for index, dev in zip(all_indices, ids, strict=True) if dev not in taken}

    def _gpu_seconds_left(self, job: Job, limit: float) -> float | None:
        """GPU-seconds the tenant may still use today, others' running reservations deducted."""
        if not job.gpus:
            return None
        used = self.ledger.used_today(job.tenant, "gpu_seconds")
        with connect(self.path) as conn:
            (reserved,) = conn.execute(
                "SELECT COALESCE(SUM(gpu_seconds_estimate), 0) FROM jobs "
                "WHERE state = 'running' AND tenant = ? AND id != ?",
                (job.tenant, job.id),
            ).fetchone()
        return max(limit - used - float(reserved), 0.0)

    def _pick(
        self, conn: sqlite3.Connection, tenant: str | None = None, user: str | None = None
    ) -> tuple[Job | None, dict[int, str]]:
        """Fair-share choice among queued jobs (of one ``tenant``, and one ``user``, when
        given), plus why the others wait. Runs in a write tx."""
        self._repair_orphans(conn)
        quotas: QuotaConfig = load_quotas(self.settings)
        used = {t: u["gpu_seconds"] for t, u in self.ledger.summary().items()}
        running: dict[str, int] = {}
        reserved: dict[str, float] = {}
        for row in conn.execute(
            "SELECT tenant, gpu_seconds_estimate FROM jobs WHERE state = 'running'"
        ):
            running[row["tenant"]] = running.get(row["tenant"], 0) + 1
            reserved[row["tenant"]] = reserved.get(row["tenant"], 0.0) + row[1]
        free = len(self._free_devices(conn))
        eligible: list[tuple[float, float, int, Job]] = []
        reasons: dict[int, str] = {}
        for row in conn.execute("SELECT * FROM jobs WHERE state = 'queued' ORDER BY id"):
            job = Job._from_row(row)
            if tenant is not None and job.tenant != tenant:
                continue  # another bank's job: only its bank (or an admin) runs it
            if user is not None and job.user != user:
                continue  # a colleague's job runs under the colleague's sign-in
            quota = quotas.for_tenant(job.tenant)
            load = used.get(job.tenant, 0.0) + reserved.get(job.tenant, 0.0)
            if running.get(job.tenant, 0) >= quota.concurrent_jobs:
                reasons[job.id] = (
                    f"tenant '{job.tenant}' is at its concurrent_jobs quota "
                    f"({running.get(job.tenant, 0)}/{quota.concurrent_jobs})"
                )
            elif job.gpus and load + job.gpu_seconds_estimate > quota.gpu_seconds_per_day:
                reasons[job.id] = (
                    f"tenant '{job.tenant}' would pass its gpu_seconds_per_day quota "
                    f"({load:,.0f} used or reserved + {job.gpu_seconds_estimate:,.0f} > "
                    f"{quota.gpu_seconds_per_day:,.0f}); it resets at midnight HKT"
                )
            elif job.gpus > free:
                reasons[job.id] = f"needs {job.gpus} GPU(s), {free} free"
            else:
                eligible.append((load, job.submitted, job.id, job))
        if not eligible:
            return None, reasons
        eligible.sort(key=lambda item: item[:3])
        chosen = eligible[0][3]
        for _, _, job_id, _job in eligible[1:]:
            reasons[job_id] = f"waiting for its fair share (job {chosen.id} goes first)"
        return chosen, reasons

    def _repair_orphans(self, conn: sqlite3.Connection) -> None:
        """Mark running jobs whose runner process (on this host) died as failed, freeing their
        devices."""
        rows = conn.execute(
            "SELECT id, runner_pid, runner_start, runner_host FROM jobs WHERE state = 'running'"
        ).fetchall()
        host = socket.gethostname()
        for row in rows:
            if row["runner_pid"] is None or row["runner_host"] not in (None, host):
                continue
            if process_alive(row["runner_pid"], row["runner_start"]):
                continue
            conn.execute(
                "UPDATE jobs SET state = 'failed', finished = ?, reason = ? WHERE id = ?",
                (time.time(), "the runner process died; resubmit the job", row["id"]),
            )


# What a job inherits from the runner's environment: the machine (paths, locale), the offline
# and threading switches, and where data and caches live. Nothing else - not the runner's
# credentials, tokens or endpoint keys - unless the job is of the runner's own bank, which then
# also gets the tracking server's address and the runner's sign-in.
JOB_ENV_ALLOWLIST = (
    "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH",
    "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "MLFLOW_DISABLE_TELEMETRY",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS",
    "TOKENIZERS_PARALLELISM", "RAY_USAGE_STATS_ENABLED", "SANDBOX_DATA_DIR", "SANDBOX_CACHE_DIR",
    "SANDBOX_DEVICE", "SANDBOX_VAULT_KEK_FILE",
)  # fmt: skip
SAME_TENANT_ENV = (
    "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_WORKSPACE", "SANDBOX_TRACKING_URI",
)  # fmt: skip


def job_environment(source: Mapping[str, str], *, same_tenant: bool) -> dict[str, str]:
    """The environment a job starts with: the allowlisted variables of ``source`` only."""
    names = JOB_ENV_ALLOWLIST + (SAME_TENANT_ENV if same_tenant else ())
    return {name: source[name] for name in names if name in source}


def _args_sha256(command: list[str]) -> str:
    """A fingerprint of the arguments for the audit log, which must not hold them in clear."""
    return hashlib.sha256(json.dumps(command[1:]).encode("utf-8")).hexdigest()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the job's process group (its children too); a group already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop(child: subprocess.Popen[bytes]) -> int:
    """SIGTERM the job's process group, SIGKILL after a grace period; return the exit code."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            break
        try:
            return child.wait(timeout=_KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            continue
    return child.wait()


def _add_missing_columns(path: Path) -> None:
    """Bring a queue database written by an earlier version up to this schema."""
    with connect(path, write=True) as conn:
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(jobs)")}
        if "runner_host" not in columns:
            conn.execute("ALTER TABLE jobs ADD COLUMN runner_host TEXT")


def open_queue(settings: Settings) -> JobQueue | RemoteJobQueue:
    """The job queue of the caller: the server's (one queue for every bank, the caller's jobs
    run here with the caller's sign-in) when the sandbox talks to one, else the local home's."""
    if settings.server_url is not None:
        from sandbox.server.client import Credentials
        from sandbox.server.compute_client import RemoteJobQueue

        return RemoteJobQueue(Credentials.from_environment(settings.server_url), settings.home)
    return JobQueue(settings)
