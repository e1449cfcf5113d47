"""The server's usage ledger and job queue, as one authenticated user.

The server keeps one ledger and one queue for every bank in its own home and decides every
limit from its own quotas; a client can neither read another bank's usage or jobs nor lower
what it has used by editing a file. Same methods as :class:`~sandbox.compute.usage.UsageLedger`
and :class:`~sandbox.compute.queue.JobQueue`; ``tenant``/``user``/``limit`` arguments are
checked against the caller or replaced by the server's quota, never trusted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sandbox.compute._process import process_start
from sandbox.compute.queue import (
    Job,
    JobClaim,
    RunnerInfo,
    job_environment,
    run_claim,
)
from sandbox.compute.usage import Lease, Resource, SlotKind
from sandbox.server.client import ControlPlane, Credentials


class RemoteUsageLedger:
    """The server's usage ledger for the caller's bank."""

    def __init__(self, credentials: Credentials) -> None:
        self.plane = ControlPlane(credentials)
        self.quotas_file = "the server's quotas (`sandbox admin config set quotas`)"

    def record(
        self, tenant: str, resource: Resource, amount: float, *, user: str, model: str = ""
    ) -> None:
        payload = {"tenant": tenant, "resource": resource, "amount": amount, "model": model}
        self.plane._call("POST", "usage/record", payload)

    def check(self, tenant: str, resource: Resource, *, needed: float, limit: float) -> None:
        """Raise QuotaExceeded if ``needed`` more would pass the server's quota (``limit`` is
        the caller's view of it; the server's own quotas decide)."""
        self.plane._call(
            "POST", "usage/check", {"tenant": tenant, "resource": resource, "needed": needed}
        )

    def consume(
        self,
        tenant: str,
        resource: Resource,
        amount: float,
        *,
        limit: float,
        user: str,
        model: str = "",
    ) -> float:
        payload = {"tenant": tenant, "resource": resource, "amount": amount, "model": model}
        return float(self.plane._call("POST", "usage/consume", payload)["used"])

    def used_today(self, tenant: str, resource: Resource) -> float:
        return float(self.summary().get(tenant, {}).get(resource, 0.0))

    @contextmanager
    def slot(self, tenant: str, kind: SlotKind, limit: int) -> Iterator[Lease]:
        pid = os.getpid()
        payload = {"tenant": tenant, "kind": kind, "pid": pid, "proc_start": process_start(pid)}
        lease = Lease(**self.plane._call("POST", "usage/acquire", payload)["lease"])
        try:
            yield lease
        finally:
            self.plane._call("POST", "usage/release", {"lease": lease.id})

    def summary(self, day: date | None = None) -> dict[str, dict[str, float]]:
        """The usage the server shows the caller (its bank's; an admin's: every bank's)."""
        payload = {"day": day.isoformat()} if day else None
        usage = self.plane._call("GET", "usage/summary", payload)["usage"]
        return {t: {r: float(v) for r, v in u.items()} for t, u in usage.items()}

    def active_leases(self) -> list[Lease]:
        return [Lease(**item) for item in self.plane._call("GET", "usage/leases")["leases"]]


def _job(item: dict[str, Any]) -> Job:
    return Job(**item)


class RemoteJobQueue:
    """The server's job queue for the caller: submit, list and cancel the bank's jobs, and run
    the caller's own queued jobs here (with the caller's sign-in: a runner never runs a
    colleague's or another bank's job), reporting each outcome back to the server.

    Args:
        credentials: The caller's sign-in.
        home: The local sandbox home (job logs go to ``<home>/usage/jobs``).
        device_count: CUDA devices of this machine (default: what torch sees).
    """

    def __init__(
        self, credentials: Credentials, home: Path, *, device_count: int | None = None
    ) -> None:
        self.plane = ControlPlane(credentials)
        self.home = home
        self.logs_dir = home / "usage" / "jobs"
        self._device_count = device_count

    @property
    def device_count(self) -> int:
        if self._device_count is None:
            from sandbox.compute.devices import cuda_device_count

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
        payload = {
            "tenant": tenant,
            "user": user,
            "command": command,
            "gpus": gpus,
            "gpu_seconds_estimate": gpu_seconds_estimate,
            "cwd": str(cwd or Path.cwd()),
            "device_count": self.device_count,
        }
        return int(self.plane._call("POST", "jobs/submit", payload)["job"])

    def get(self, job_id: int) -> Job:
        return _job(self.plane._call("GET", "jobs/get", {"job": job_id})["job"])

    def list(self, limit: int = 50) -> list[Job]:
        return [_job(j) for j in self.plane._call("GET", "jobs/list", {"limit": limit})["jobs"]]

    def waiting_reasons(self) -> dict[int, str]:
        body = self.plane._call("GET", "jobs/waiting", {"device_count": self.device_count})
        return {int(k): str(v) for k, v in body["reasons"].items()}

    def cancel(self, job_id: int) -> Job:
        return _job(self.plane._call("POST", "jobs/cancel", {"job": job_id})["job"])

    def run_next(self) -> Job | None:
        """Claim the caller's next job by fair share, run it here, report how it ended."""
        runner = RunnerInfo.this_process()
        body = self.plane._call(
            "POST", "jobs/claim", {"runner": asdict(runner), "device_count": self.device_count}
        )
        if body["claim"] is None:
            return None
        raw = body["claim"]
        claim = JobClaim(
            job=_job(raw["job"]), role=raw["role"], cwd=raw["cwd"], timeout_s=raw["timeout_s"]
        )
        env = job_environment(os.environ, same_tenant=True)  # the caller's own job
        env["SANDBOX_HOME"] = str(self.home)
        job_id = claim.job.id
        return run_claim(
            claim,
            env,
            self.logs_dir,
            on_child=lambda pid: None,  # the server never signals it: this runner polls
            cancel_requested=lambda: bool(
                self.plane._call("GET", "jobs/cancel-requested", {"job": job_id})["cancel"]
            ),
            finish=self._finish,
        )

    def _finish(self, job_id: int, exit_code: int | None, reason: str, wall: float) -> Job:
        payload = {"job": job_id, "exit_code": exit_code, "reason": reason, "wall_seconds": wall}
        return _job(self.plane._call("POST", "jobs/finish", payload)["job"])
