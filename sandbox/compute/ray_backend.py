"""Submit sandbox jobs to a Ray cluster (several machines) through Ray's job submission API.

This is ``ray job submit`` from Python: GPU and CPU requests become the entrypoint's resources,
and the tenant and user go into the job's metadata. Only addresses on an allowlist (loopback by
default) are accepted, so jobs and data cannot be sent to an arbitrary cluster.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.audit import open_audit
from sandbox.compute.quotas import require_tenant_name
from sandbox.config import Settings
from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError

RAY_REQUIREMENT = "ray[default]==2.60.0"
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
SUBMITTED_BY = "hk-genai-sandbox"


@dataclass(frozen=True)
class RayJobInfo:
    """What Ray reports about a submitted job."""

    submission_id: str
    status: str
    """PENDING, RUNNING, STOPPED, SUCCEEDED or FAILED."""
    message: str
    metadata: dict[str, str]


def check_address(address: str, allowed_hosts: Iterable[str] | None = None) -> str:
    """Normalise ``address`` to the dashboard's http URL and check its host is allowed.

    Args:
        address: ``http(s)://host:port`` of the Ray dashboard (``host:port`` means http).
        allowed_hosts: Hosts jobs may go to; loopback only when None.

    Raises:
        AccessDenied: The host is not on the allowlist.
        ConfigError: The address is not a host and port.
    """
    url = address if "://" in address else f"http://{address}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"Ray address '{address}' must look like http://127.0.0.1:8265 (the dashboard)"
        )
    allowed = tuple(LOOPBACK_HOSTS if allowed_hosts is None else allowed_hosts)
    if parts.hostname not in allowed:
        raise AccessDenied(
            f"Ray cluster '{parts.hostname}' is not on the allowlist ({', '.join(allowed)}); "
            "an admin must approve the cluster and pass it in allowed_hosts"
        )
    return f"{parts.scheme}://{parts.netloc}"


def submit_ray_job(
    address: str,
    entrypoint: str,
    *,
    tenant: str,
    user: str,
    gpus: float,
    cpus: float,
    working_dir: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
    settings: Settings | None = None,
) -> str:
    """Submit ``entrypoint`` (a shell command) to the Ray cluster at ``address``.

    Args:
        address: The cluster's dashboard, e.g. ``http://127.0.0.1:8265``.
        entrypoint: Command the job runs, e.g. ``python -m sandbox.mlproject fraud``.
        tenant: Tenant charged, stored in the job's metadata.
        user: Submitting user, stored in the job's metadata.
        gpus: GPUs reserved for the entrypoint (``entrypoint_num_gpus``).
        cpus: CPUs reserved for the entrypoint (``entrypoint_num_cpus``).
        working_dir: Local folder uploaded as the job's working directory.
        allowed_hosts: Cluster hosts allowed; loopback only when None.
        settings: When given, the submission is audited under ``settings.identity``.

    Returns:
        Ray's submission id.

    Raises:
        PrerequisiteError: Ray is not installed, or no cluster answers at ``address``.
        AccessDenied: The address is not allowed.
        ConfigError: Bad tenant name or resource request.
    """
    url = check_address(address, allowed_hosts)
    require_tenant_name(tenant)
    if gpus < 0 or cpus < 0:
        raise ConfigError("gpus and cpus must be >= 0")
    client = _client(url)
    runtime_env: dict[str, Any] | None = {"working_dir": working_dir} if working_dir else None
    try:
        submission_id = client.submit_job(
            entrypoint=entrypoint,
            runtime_env=runtime_env,
            metadata={"tenant": tenant, "user": user, "submitted_by": SUBMITTED_BY},
            entrypoint_num_gpus=gpus,
            entrypoint_num_cpus=cpus,
        )
    except (ConnectionError, RuntimeError) as exc:
        raise PrerequisiteError(f"the Ray cluster at {url} refused the job: {exc}") from None
    if settings is not None:
        program, args_sha = _fingerprint(entrypoint)
        open_audit(settings).append(
            settings.identity,
            "ray_job.submitted",
            f"ray:{submission_id}",
            {
                "address": url,
                "job_tenant": tenant,
                "job_user": user,
                "program": program,
                "args_sha256": args_sha,
                "gpus": gpus,
                "cpus": cpus,
            },
        )
    return str(submission_id)


def ray_job_status(
    address: str, submission_id: str, *, allowed_hosts: Iterable[str] | None = None
) -> RayJobInfo:
    """Status, message and metadata of a submitted job.

    Raises:
        PrerequisiteError: Ray is not installed, no cluster answers, or the job is unknown.
    """
    url = check_address(address, allowed_hosts)
    client = _client(url)
    try:
        info = client.get_job_info(submission_id)
    except (ConnectionError, RuntimeError) as exc:
        raise PrerequisiteError(f"cannot read Ray job '{submission_id}' at {url}: {exc}") from None
    return RayJobInfo(
        submission_id=submission_id,
        status=str(getattr(info.status, "value", info.status)),
        message=info.message or "",
        metadata=dict(info.metadata or {}),
    )


def stop_ray_job(
    address: str, submission_id: str, *, allowed_hosts: Iterable[str] | None = None
) -> bool:
    """Ask Ray to stop a job; True if it was running or pending."""
    url = check_address(address, allowed_hosts)
    try:
        return bool(_client(url).stop_job(submission_id))
    except (ConnectionError, RuntimeError) as exc:
        raise PrerequisiteError(f"cannot stop Ray job '{submission_id}' at {url}: {exc}") from None


def _client(url: str) -> Any:
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        raise PrerequisiteError(
            f'Ray is not installed; install it with: pip install "{RAY_REQUIREMENT}"'
        ) from None
    try:
        return JobSubmissionClient(url)
    except (ConnectionError, RuntimeError) as exc:
        raise PrerequisiteError(
            f"no Ray cluster answers at {url} ({exc}); start one with `ray start --head "
            "--dashboard-host=127.0.0.1` or check the address"
        ) from None


def _fingerprint(entrypoint: str) -> tuple[str, str]:
    try:
        parts = shlex.split(entrypoint)
    except ValueError:
        parts = entrypoint.split()
    program = parts[0].rsplit("/", 1)[-1] if parts else ""
    return program, hashlib.sha256(entrypoint.encode("utf-8")).hexdigest()
