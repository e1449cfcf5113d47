"""What the workbench (and any other front end) needs beyond running experiments: a per-user
sign-in that one process can hold for many users, runs launched through the job queue so that
they outlive the page that started them, the compute and quota picture, a redaction preview,
the review steps a role may take, existing reports and the bank's champions.

Re-exported by :mod:`sandbox`; front ends import it from there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.config import PROJECT_ROOT, Settings, load_params, load_settings
from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError
from sandbox.identity import Action, Identity, Role

__all__ = [
    "ChampionInfo",
    "ComputeStatus",
    "LaunchedRun",
    "SignedIn",
    "acting_as",
    "champions",
    "compute_status",
    "existing_report",
    "gateway_chat",
    "launch_run",
    "launched_run",
    "launched_runs",
    "model_statuses",
    "parameter_problems",
    "record_incident",
    "RedactionPreview",
    "redact_preview",
    "review_steps_for",
    "sign_in",
]


@dataclass(frozen=True)
class SignedIn:
    """A user signed in to the sandbox server: who the server says they are, and their sign-in
    (kept in memory only, never printed)."""

    url: str
    username: str
    password: str = field(repr=False)
    identity: Identity = field(compare=False)
    at: float = field(default_factory=time.time, compare=False)

    @property
    def role(self) -> Role:
        return self.identity.role


def sign_in(username: str, password: str, *, url: str | None = None) -> SignedIn:
    """Check a user's sign-in with the sandbox server (the same users as the tracking server).

    Args:
        username: The user's name on the server.
        password: Their password.
        url: The server (default: the configured one, ``MLFLOW_TRACKING_URI``).

    Raises:
        PrerequisiteError: no server is configured, or it does not answer.
        AccessDenied: wrong name or password, or the administrator (who acts in no bank).
    """
    from sandbox.server.client import ControlPlane, Credentials

    url = (url or load_settings().server_url or "").rstrip("/")
    if not url:
        raise PrerequisiteError(
            "no sandbox server is configured to sign in to: start the workbench with `make ui` "
            "(it starts the demo server), or set MLFLOW_TRACKING_URI to the bank's server"
        )
    if not username.strip() or not password:
        raise AccessDenied("enter a user name and a password")
    me = ControlPlane(Credentials(url, username.strip(), password), timeout=15).whoami()
    if me.tenant is None:
        raise AccessDenied(
            f"'{me.user}' administers the sandbox and acts in no bank; sign in as a bank's user"
        )
    identity = Identity(user=me.user, tenant=me.tenant, role=Role(me.role))
    return SignedIn(url=url, username=username.strip(), password=password, identity=identity)


@contextmanager
def acting_as(user: SignedIn) -> Iterator[Settings]:
    """Act as a signed-in user in this thread: every call to the server (MLflow's included)
    signs in as them. Yields the user's Settings to pass on."""
    from sandbox.server.client import Credentials
    from sandbox.server.client import acting_as as _acting

    with _acting(Credentials(user.url, user.username, user.password)):
        yield load_settings(tracking_uri=user.url)


# --- runs launched through the job queue -------------------------------------------------------


@dataclass(frozen=True)
class LaunchedRun:
    """A run launched through the job queue, as its page shows it."""

    job_id: int
    experiment: str
    """``use_case/experiment``"""
    state: str
    """queued, running, succeeded, failed or cancelled (the job queue's states)."""
    submitted: float
    started: float | None
    finished: float | None
    reason: str
    """Why it failed or was cancelled (the queue's reason, else the run's last error line)."""
    stages: dict[str, tuple[float, float]]
    """Progress per stage: ``{stage: (completed, total)}`` in the order they started."""
    log_tail: list[str]
    run_id: str | None
    """The MLflow run, once the run has finished."""
    waiting_for: str = ""
    """Why a queued run waits (another job of the bank runs, quota...)."""

    @property
    def done(self) -> bool:
        return self.state in {"succeeded", "failed", "cancelled"}


def _launch_dir(settings: Settings) -> Path:
    return settings.home / "usage" / "launches"


def launch_run(
    use_case: str,
    experiment: str,
    overrides: list[str] | None = None,
    *,
    settings: Settings | None = None,
    user: SignedIn | None = None,
    device: str | None = None,
) -> int:
    """Check an experiment's parameters, then queue its run and start a runner for it; returns
    the job id. The run goes on when the caller's page, session or process goes away.

    Args:
        use_case: Registered use case.
        experiment: One of its experiments.
        overrides: ``key.sub=value`` parameter overrides.
        settings: Who is launching (default: from the environment).
        user: The signed-in user the runner acts as (a workbench session); default: the
            process's own MLflow sign-in variables.
        device: ``auto``, ``cpu`` or ``cuda`` for this run (default: the settings').

    Raises:
        ConfigError: a parameter is unknown or invalid (the message names it), before anything
            is queued.
        AccessDenied: the role may not run experiments.
    """
    from sandbox.compute.queue import open_queue
    from sandbox.registry import get_experiment

    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.RUN_EXPERIMENT)
    exp = get_experiment(use_case, experiment)
    overrides = [o.strip() for o in overrides or [] if o.strip()]
    load_params(exp.params_model, exp.default_config, overrides, label=exp.qualified_name)
    token = uuid.uuid4().hex
    folder = _launch_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "sandbox.cli", "run", use_case, "-e", experiment]
    for item in overrides:
        command += ["--set", item]
    if device is not None:
        if device not in {"auto", "cpu", "cuda"}:
            raise ConfigError(f"unknown device '{device}'; choose auto, cpu or cuda")
        command += ["--device", device]
    command += [
        "--record-out",
        str(folder / f"{token}.json"),
        "--progress-out",
        str(folder / f"{token}.progress.jsonl"),
    ]
    queue = open_queue(settings)
    job_id = queue.submit(identity.tenant, identity.user, command, cwd=PROJECT_ROOT)
    _start_runner(settings, user)
    return job_id


def _start_runner(settings: Settings, user: SignedIn | None) -> None:
    """A detached ``sandbox jobs run-next`` with the user's sign-in in its own environment (the
    only place a password may sit: the runner's process, never this one's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    env["SANDBOX_HOME"] = str(settings.home)
    if user is not None:
        env.update(
            MLFLOW_TRACKING_URI=user.url,
            MLFLOW_TRACKING_USERNAME=user.username,
            MLFLOW_TRACKING_PASSWORD=user.password,
        )
    else:
        env.update({k: v for k, v in os.environ.items() if k.startswith("MLFLOW_TRACKING_")})
    logs = settings.home / "usage" / "launches"
    with open(logs / "runners.log", "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "sandbox.cli", "jobs", "run-next"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _option(command: list[str], name: str) -> str | None:
    try:
        return command[command.index(name) + 1]
    except (ValueError, IndexError):
        return None


def _read_progress(path: Path | None) -> dict[str, tuple[float, float]]:
    stages: dict[str, tuple[float, float]] = {}
    if path is None or not path.is_file():
        return stages
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            stages[str(item["stage"])] = (float(item["completed"]), float(item["total"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line being written
    return stages


def _tail(path: Path, lines: int) -> list[str]:
    if not path.is_file():
        return []
    text = path.read_bytes()[-20_000:].decode("utf-8", errors="replace")
    # progress bars redraw with carriage returns: keep each line's last state
    found = [part.split("\r")[-1].rstrip() for part in text.splitlines()]
    return [line for line in found if line.strip()][-lines:]


def _launched(settings: Settings, job: Any, waiting: dict[int, str]) -> LaunchedRun | None:
    command = list(job.command)
    if "sandbox.cli" not in command or "run" not in command or "--record-out" not in command:
        return None
    record_out = _option(command, "--record-out")
    progress_out = _option(command, "--progress-out")
    use_case = command[command.index("run") + 1]
    experiment = _option(command, "-e") or "?"
    record = Path(record_out) if record_out else None
    progress = Path(progress_out) if progress_out else None
    run_id = None
    if record is not None and record.is_file():
        try:
            run_id = json.loads(record.read_text(encoding="utf-8")).get("run_id")
        except ValueError:
            run_id = None
    log = _tail(settings.home / "usage" / "jobs" / f"{job.id}.log", 12)
    reason = job.reason
    if job.state == "failed" and not reason:
        reason = next((ln for ln in reversed(log) if "error" in ln.lower()), "")
    return LaunchedRun(
        job_id=job.id,
        experiment=f"{use_case}/{experiment}",
        state=job.state,
        submitted=job.submitted,
        started=job.started,
        finished=job.finished,
        reason=reason,
        stages=_read_progress(progress),
        log_tail=log,
        run_id=run_id,
        waiting_for=waiting.get(job.id, ""),
    )


def launched_runs(limit: int = 20, *, settings: Settings | None = None) -> list[LaunchedRun]:
    """The runs the bank launched through the queue, newest first."""
    from sandbox.compute.queue import open_queue

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    queue = open_queue(settings)
    jobs = queue.list(limit=limit * 3)
    waiting = queue.waiting_reasons() if any(j.state == "queued" for j in jobs) else {}
    found = [_launched(settings, job, waiting) for job in jobs]
    return [run for run in found if run is not None][:limit]


def launched_run(job_id: int, *, settings: Settings | None = None) -> LaunchedRun:
    """One launched run's state, progress, log tail and MLflow run id."""
    from sandbox.compute.queue import open_queue

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    queue = open_queue(settings)
    job = queue.get(job_id)
    waiting = queue.waiting_reasons() if job.state == "queued" else {}
    run = _launched(settings, job, waiting)
    if run is None:
        raise ConfigError(f"job {job_id} is not an experiment run launched from the workbench")
    return run


# --- compute ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComputeStatus:
    """What runs where, and the bank's use of its quota today (Hong Kong day)."""

    device: str
    """``cuda`` or ``cpu``: what runs use here."""
    devices: list[dict[str, Any]]
    """CUDA devices (name, memory, utilisation); empty on a CPU machine."""
    device_problem: str
    queued: int
    running: int
    usage: dict[str, float]
    """tokens, requests, gpu_seconds used today."""
    limits: dict[str, float]
    """tokens_per_day, gpu_seconds_per_day, concurrent_jobs, concurrent_requests."""


def tenant_usage(settings: Settings, tenant: str) -> tuple[dict[str, float], dict[str, float]]:
    """One tenant's use today and its limits (the ledger and quotas of the server, if any)."""
    from sandbox.compute.quotas import load_quotas
    from sandbox.compute.usage import open_ledger

    used = open_ledger(settings).summary().get(tenant, {})
    quota = load_quotas(settings).for_tenant(tenant)
    usage = {k: float(used.get(k, 0.0)) for k in ("tokens", "requests", "gpu_seconds")}
    limits = {
        "tokens_per_day": float(quota.tokens_per_day),
        "gpu_seconds_per_day": float(quota.gpu_seconds_per_day),
        "concurrent_jobs": float(quota.concurrent_jobs),
        "concurrent_requests": float(quota.concurrent_requests),
    }
    return usage, limits


def compute_status(*, settings: Settings | None = None) -> ComputeStatus:
    """Device, queue and quota use of the caller's bank."""
    from dataclasses import asdict

    from sandbox.compute.devices import list_devices, select_device
    from sandbox.compute.queue import open_queue

    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.READ_RUNS)
    devices = [asdict(d) for d in list_devices()]
    try:
        device, problem = select_device(settings.device), ""
    except PrerequisiteError as exc:
        device, problem = "-", str(exc)
    jobs = open_queue(settings).list(limit=200)
    usage, limits = tenant_usage(settings, identity.tenant)
    return ComputeStatus(
        device=device,
        devices=devices,
        device_problem=problem,
        queued=sum(j.state == "queued" for j in jobs),
        running=sum(j.state == "running" for j in jobs),
        usage=usage,
        limits=limits,
    )


# --- privacy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedactionPreview:
    """One text as the guard sees it: the spans found (type, score) and what replaces them."""

    text: str
    redacted: str
    spans: list[dict[str, Any]]
    """``{type, start, end, score, replacement}`` per detection, in text order."""


def redact_preview(
    text: str, operator: str = "pseudonymise", *, settings: Settings | None = None
) -> RedactionPreview:
    """Redact one text as the raw-zone guard would (audited as ``workbench``): ``pseudonymise``
    (vault pseudonyms), ``mask`` (entity type) or ``hash`` (keyed hash)."""
    from sandbox.privacy.redactor import Redactor

    if len(text) > 20_000:
        raise ConfigError("paste at most 20,000 characters at a time")
    redaction = Redactor(settings or load_settings(), operator=operator).redact(
        text, source="workbench"
    )
    spans = sorted(redaction.explain(), key=lambda s: (s["start"], s["end"]))
    return RedactionPreview(text=text, redacted=redaction.text, spans=spans)


# --- review and reports ----------------------------------------------------------------------


def review_steps_for(state: str, role: Role) -> list[str]:
    """The sign-off steps a role may take on a review in ``state`` (the workflow's rules; who
    developed the run and who already signed are checked when the step is taken)."""
    from sandbox.workflow import TRANSITIONS

    return [
        action
        for action, (sources, _, roles) in TRANSITIONS.items()
        if state in sources and role in roles
    ]


def existing_report(run_id: str, *, settings: Settings | None = None) -> dict[str, Path]:
    """The report files already written for a run (``html``, ``pdf``), without rebuilding."""
    from sandbox.reports.body import report_dir

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    folder = report_dir(settings, run_id)
    found = {kind: folder / f"report.{kind}" for kind in ("html", "pdf")}
    return {kind: path for kind, path in found.items() if path.is_file()}


@dataclass(frozen=True)
class ChampionInfo:
    """The approved champion of one experiment of the bank."""

    experiment: str
    registered_model: str
    version: str
    run_id: str
    model: str
    """The model (child run) that was approved."""
    approved_by: str


def champions(*, settings: Settings | None = None) -> list[ChampionInfo]:
    """The bank's approved champions, one per experiment that has one."""
    from sandbox.registry import get_experiment, use_cases
    from sandbox.reports.signoff import champion_version, load_review

    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.READ_RUNS)
    found = []
    for use_case, names in use_cases().items():
        for name in names:
            exp = get_experiment(use_case, name)
            hit = champion_version(settings, identity.tenant, exp.use_case, exp.name)
            if hit is None:
                continue
            name_, version, parent, model = hit
            review = load_review(settings, parent)
            approver = (
                next((s.user for s in reversed(review.steps) if s.action == "approve"), "-")
                if review
                else "-"
            )
            found.append(
                ChampionInfo(
                    experiment=f"{use_case}/{name}",
                    registered_model=name_,
                    version=version,
                    run_id=parent,
                    model=model,
                    approved_by=approver,
                )
            )
    return found


# --- models ----------------------------------------------------------------------------------


def model_statuses(*, settings: Settings | None = None, probe_endpoints: bool = True) -> list[Any]:
    """Every catalogue model (and the built-in embeddings) with whether it is usable here:
    ``name, provider, where, usable, reason, default``."""
    from sandbox.models.catalog import model_statuses as _statuses

    return _statuses(settings or load_settings(), probe_endpoints=probe_endpoints)


def gateway_chat(
    model: str,
    messages: list[dict[str, str]],
    *,
    max_new_tokens: int = 96,
    deterministic: bool = True,
    settings: Settings | None = None,
) -> Any:
    """One chat call through the model gateway (personal data pseudonymised before the model
    sees it, audited, counted against the bank's quota). Returns the gateway's reply: ``text``,
    ``sent``, ``model``, token counts, ``latency_s`` and ``redactions``."""
    from sandbox.models.base import GenerationConfig
    from sandbox.models.gateway import Gateway, GatewayPolicy

    gateway = Gateway(
        settings or load_settings(), model, policy=GatewayPolicy(deterministic=deterministic)
    )
    return gateway.chat(messages, GenerationConfig(max_new_tokens=max_new_tokens))


# --- parameters and incidents ----------------------------------------------------------------


def parameter_problems(
    use_case: str, experiment: str, overrides: list[str]
) -> list[tuple[str, str]]:
    """What is wrong with an experiment's parameter overrides, one ``(dotted field, message)``
    each (field ``""`` for a rule across fields, such as a test period longer than the
    simulation); empty when the run may start."""
    from sandbox.config import param_problems
    from sandbox.registry import get_experiment

    exp = get_experiment(use_case, experiment)
    return param_problems(exp.params_model, exp.default_config, overrides, label=exp.qualified_name)


def record_incident(where: str, error: BaseException, *, settings: Settings | None = None) -> str:
    """Record an unexpected error of a front end: the traceback goes to
    ``<home>/logs/workbench.log`` (the operator's side, never the browser), an audit entry names
    the error's type and place; returns the reference to quote to support."""
    import traceback

    reference = uuid.uuid4().hex[:10]
    settings = settings or load_settings()
    folder = settings.home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    trace = "".join(traceback.format_exception(error))
    with open(folder / "workbench.log", "a", encoding="utf-8") as log:
        log.write(f"--- {stamp} reference {reference} in {where}\n{trace}\n")
    try:
        from sandbox.audit import open_audit

        open_audit(settings).append(
            settings.identity,
            "workbench.error",
            where,
            {"reference": reference, "error": type(error).__name__},
        )
    except Exception:  # noqa: BLE001 - the log line above is the record when audit is down
        pass
    return reference
