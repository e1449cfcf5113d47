"""The server's usage ledger and job queue routes: one ledger and one queue for every bank.

Every limit comes from the server's own quotas (``sandbox admin config set quotas``); a member
acts for its own bank only (``tenant`` in a request must be the caller's), an administrator sees
and cancels every bank's jobs, an HKMA reviewer reads the usage of the banks it is granted and
runs nothing. A runner claims only the caller's own jobs: the job runs with the runner's
sign-in, so it could never act as a colleague or another bank.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.compute.queue import JobQueue, RunnerInfo
from sandbox.compute.quotas import load_quotas
from sandbox.compute.usage import RESOURCES, SLOT_KINDS, UsageLedger
from sandbox.config import Settings
from sandbox.errors import AccessDenied
from sandbox.identity import Action, Identity, Role
from sandbox.server.app import (
    API,
    RouteError,
    _caller,
    _caller_is_admin,
    _member,
    _server_home,
    _visible_tenants,
    server_audit,
)

_QUOTA_ATTR = {"tokens": "tokens_per_day", "gpu_seconds": "gpu_seconds_per_day"}
_SLOT_ATTR = {"requests": "concurrent_requests", "jobs": "concurrent_jobs"}
_MAX_DEVICES = 64


@cache
def _settings() -> Settings:
    return Settings(home=_server_home(), tracking_uri=None)


@cache
def _ledger() -> UsageLedger:
    """The server's ledger, opened once (each operation takes its own connection)."""
    return UsageLedger.for_settings(_settings())


def _own_tenant(body: dict[str, Any], identity: Identity) -> None:
    tenant = body.get("tenant")
    if tenant is not None and tenant != identity.tenant:
        raise RouteError(
            403, f"user '{identity.user}' of '{identity.tenant}' may not act for another tenant"
        )


def _member_who_may(action: Action) -> Identity:
    identity = _member()
    try:
        identity.require(action)
    except AccessDenied as exc:
        raise RouteError(403, str(exc)) from None
    return identity


def _runner_member() -> Identity:
    """A member who may run jobs (a data scientist)."""
    return _member_who_may(Action.RUN_EXPERIMENT)


def _model_user() -> Identity:
    """A member whose model calls are charged (every role but the HKMA reviewer)."""
    return _member_who_may(Action.CALL_MODEL)


def _resource(body: dict[str, Any], *, limited: bool) -> str:
    resource = body.get("resource")
    known = tuple(_QUOTA_ATTR) if limited else RESOURCES
    if resource not in known:
        raise RouteError(400, f"field 'resource' must be one of {', '.join(known)}")
    return str(resource)


def _amount(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RouteError(400, f"field '{name}' must be a finite number")
    if value < 0:
        raise RouteError(400, f"field '{name}' must be >= 0")
    return float(value)


def _int(body: dict[str, Any], name: str, *, low: int = 0, high: int = 2**31) -> int:
    value = body.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RouteError(400, f"field '{name}' must be a whole number from {low} to {high}")
    return value


def _limit(tenant: str, resource: str) -> float:
    return float(getattr(load_quotas(_settings()).for_tenant(tenant), _QUOTA_ATTR[resource]))


def _model(body: dict[str, Any]) -> str:
    model = body.get("model", "")
    if not isinstance(model, str) or len(model) > 200:
        raise RouteError(400, "field 'model' must be a name of at most 200 characters")
    return model


# -- usage ----------------------------------------------------------------------------------------
def usage_record(body: dict[str, Any]) -> dict[str, Any]:
    identity = _model_user()
    _own_tenant(body, identity)
    resource = _resource(body, limited=False)
    _ledger().record(
        identity.tenant,
        resource,  # type: ignore[arg-type]
        _amount(body, "amount"),
        user=identity.user,
        model=_model(body),
    )
    return {}


def usage_check(body: dict[str, Any]) -> dict[str, Any]:
    identity = _model_user()
    _own_tenant(body, identity)
    resource = _resource(body, limited=True)
    limit = _limit(identity.tenant, resource)
    _ledger().check(identity.tenant, resource, needed=_amount(body, "needed"), limit=limit)  # type: ignore[arg-type]
    return {}


def usage_consume(body: dict[str, Any]) -> dict[str, Any]:
    identity = _model_user()
    _own_tenant(body, identity)
    resource = _resource(body, limited=True)
    used = _ledger().consume(
        identity.tenant,
        resource,  # type: ignore[arg-type]
        _amount(body, "amount"),
        limit=_limit(identity.tenant, resource),
        user=identity.user,
        model=_model(body),
    )
    return {"used": used}


def usage_acquire(body: dict[str, Any]) -> dict[str, Any]:
    identity = _model_user()
    _own_tenant(body, identity)
    kind = body.get("kind")
    if kind not in SLOT_KINDS:
        raise RouteError(400, f"field 'kind' must be one of {', '.join(SLOT_KINDS)}")
    proc_start = body.get("proc_start")
    if proc_start is not None and not isinstance(proc_start, str):
        raise RouteError(400, "field 'proc_start' must be a string")
    quota = load_quotas(_settings()).for_tenant(identity.tenant)
    lease = _ledger().acquire(
        identity.tenant,
        kind,
        int(getattr(quota, _SLOT_ATTR[kind])),
        pid=_int(body, "pid", low=1),
        proc_start=proc_start,
    )
    return {"lease": asdict(lease)}


def usage_release(body: dict[str, Any]) -> dict[str, Any]:
    identity = _model_user()
    _ledger().release(_int(body, "lease", low=1), tenant=identity.tenant)
    return {}


def usage_summary(body: dict[str, Any]) -> dict[str, Any]:
    day_text = body.get("day")
    try:
        day = date.fromisoformat(day_text) if isinstance(day_text, str) else None
    except ValueError:
        raise RouteError(400, "field 'day' must be a date (YYYY-MM-DD)") from None
    tenants = _visible_tenants(None)  # None: every bank, for an administrator
    usage = _ledger().summary(day)
    return {"usage": {t: u for t, u in usage.items() if tenants is None or t in tenants}}


def usage_leases(body: dict[str, Any]) -> dict[str, Any]:
    tenants = _visible_tenants(None)  # None: every bank, for an administrator
    leases = [asdict(x) for x in _ledger().active_leases()]
    return {"leases": [x for x in leases if tenants is None or x["tenant"] in tenants]}


# -- jobs -----------------------------------------------------------------------------------------
def _queue(identity: Identity, device_count: int = 0) -> JobQueue:
    return JobQueue(_settings(), identity=identity, audit=server_audit(), device_count=device_count)


def _acting(job_id: int | None = None) -> Identity:
    """A member, or an administrator acting on one job (audited in that job's bank)."""
    if not _caller_is_admin():
        return _member()
    tenant = "sandbox"
    if job_id is not None:
        lookup = _queue(Identity(user=_caller(), tenant="sandbox", role=Role.ADMIN))
        tenant = lookup.get(job_id).tenant
    return Identity(user=_caller(), tenant=tenant, role=Role.ADMIN)


def _job_id(body: dict[str, Any]) -> int:
    return _int(body, "job", low=1)


def jobs_submit(body: dict[str, Any]) -> dict[str, Any]:
    identity = _runner_member()
    _own_tenant(body, identity)
    if body.get("user") not in (None, identity.user):
        raise RouteError(403, f"user '{identity.user}' may submit jobs only as themself")
    command = body.get("command")
    if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
        raise RouteError(400, "field 'command' must be a list of strings")
    cwd = body.get("cwd")
    if not isinstance(cwd, str) or not cwd.startswith("/"):
        raise RouteError(400, "field 'cwd' must be an absolute path on the runner's machine")
    queue = _queue(identity, _int(body, "device_count", high=_MAX_DEVICES))
    job_id = queue.submit(
        identity.tenant,
        identity.user,
        command,
        _int(body, "gpus", high=_MAX_DEVICES),
        _amount(body, "gpu_seconds_estimate"),
        cwd=Path(cwd),
    )
    return {"job": job_id}


def jobs_get(body: dict[str, Any]) -> dict[str, Any]:
    job_id = _job_id(body)
    return {"job": asdict(_queue(_acting(job_id)).get(job_id))}


def jobs_list(body: dict[str, Any]) -> dict[str, Any]:
    limit = _int(body, "limit", low=1, high=1000) if "limit" in body else 50
    return {"jobs": [asdict(job) for job in _queue(_acting()).list(limit)]}


def jobs_waiting(body: dict[str, Any]) -> dict[str, Any]:
    queue = _queue(_acting(), _int(body, "device_count", high=_MAX_DEVICES))
    reasons = queue.waiting_reasons()
    if not _caller_is_admin():
        mine = {job.id for job in queue.list(1000)}
        reasons = {k: v for k, v in reasons.items() if k in mine}
    return {"reasons": {str(k): v for k, v in reasons.items()}}


def jobs_cancel(body: dict[str, Any]) -> dict[str, Any]:
    job_id = _job_id(body)
    return {"job": asdict(_queue(_acting(job_id)).cancel(job_id))}


def jobs_claim(body: dict[str, Any]) -> dict[str, Any]:
    identity = _runner_member()
    runner = body.get("runner")
    if not isinstance(runner, dict):
        raise RouteError(400, "field 'runner' must describe the runner process")
    start = runner.get("start")
    host = runner.get("host")
    if (start is not None and not isinstance(start, str)) or not isinstance(host, str):
        raise RouteError(400, "field 'runner' needs pid, start and host")
    info = RunnerInfo(pid=_int(runner, "pid", low=1), start=start, host=host[:255])
    queue = _queue(identity, _int(body, "device_count", high=_MAX_DEVICES))
    claim = queue.claim(runner=info, user=identity.user)
    return {"claim": None if claim is None else asdict(claim)}


def _own_running_job(identity: Identity, job_id: int) -> JobQueue:
    queue = _queue(identity)
    if queue.get(job_id).user != identity.user:
        raise RouteError(403, f"job {job_id} is run and reported by the user who submitted it")
    return queue


def jobs_cancel_requested(body: dict[str, Any]) -> dict[str, Any]:
    identity = _runner_member()
    job_id = _job_id(body)
    return {"cancel": _own_running_job(identity, job_id).cancel_requested(job_id)}


def jobs_finish(body: dict[str, Any]) -> dict[str, Any]:
    identity = _runner_member()
    job_id = _job_id(body)
    exit_code = body.get("exit_code")
    if exit_code is not None and (isinstance(exit_code, bool) or not isinstance(exit_code, int)):
        raise RouteError(400, "field 'exit_code' must be a whole number or null")
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise RouteError(400, "field 'reason' must be text")
    queue = _own_running_job(identity, job_id)
    job = queue.finish(job_id, exit_code, reason, _amount(body, "wall_seconds"))
    return {"job": asdict(job)}


ROUTES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    f"{API}/usage/record": ("POST", usage_record),
    f"{API}/usage/check": ("POST", usage_check),
    f"{API}/usage/consume": ("POST", usage_consume),
    f"{API}/usage/acquire": ("POST", usage_acquire),
    f"{API}/usage/release": ("POST", usage_release),
    f"{API}/usage/summary": ("GET", usage_summary),
    f"{API}/usage/leases": ("GET", usage_leases),
    f"{API}/jobs/submit": ("POST", jobs_submit),
    f"{API}/jobs/get": ("GET", jobs_get),
    f"{API}/jobs/list": ("GET", jobs_list),
    f"{API}/jobs/waiting": ("GET", jobs_waiting),
    f"{API}/jobs/cancel": ("POST", jobs_cancel),
    f"{API}/jobs/claim": ("POST", jobs_claim),
    f"{API}/jobs/cancel-requested": ("GET", jobs_cancel_requested),
    f"{API}/jobs/finish": ("POST", jobs_finish),
}
