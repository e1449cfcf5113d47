"""Everything that talks to MLflow: experiments per tenant and use case, runs, queries.

``mlruns/`` is touched only through MLflow's APIs, so a tracking server can replace the local
SQLite store by setting ``SANDBOX_TRACKING_URI``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.config import PROJECT_ROOT, Settings, load_settings
from sandbox.errors import ConfigError, PrerequisiteError, UnknownNameError

if TYPE_CHECKING:
    from sandbox.experiment import Experiment
    from sandbox.identity import Identity

TAG_TENANT = "sandbox.tenant"
TAG_USER = "sandbox.user"
TAG_ROLE = "sandbox.role"
TAG_USE_CASE = "sandbox.use_case"
TAG_EXPERIMENT = "sandbox.experiment"
TAG_KIND = "sandbox.kind"  # "parent" or "model"
TAG_MODEL_ROLE = "role"


def identity_tags(identity: Identity, exp: Experiment) -> dict[str, str]:
    """Tags that every run (parent and child) carries: who ran what, for which tenant."""
    return {
        TAG_TENANT: identity.tenant,
        TAG_USER: identity.user,
        TAG_ROLE: identity.role.value,
        TAG_USE_CASE: exp.use_case,
        TAG_EXPERIMENT: exp.name,
    }


def experiment_name(tenant: str, use_case: str) -> str:
    """The MLflow experiment that holds every run of one tenant's use case."""
    return f"{tenant}/{use_case}"


def configure(settings: Settings):
    """Point MLflow at the sandbox's store (creating ``mlruns/``) and return a client."""
    import mlflow

    if settings.server_url is not None:
        # Each bank's objects live in its workspace on the server; the variable also reaches
        # child processes (demo workers, `mlflow run`). The server refuses any other workspace.
        tenant = settings.identity.tenant
        os.environ["MLFLOW_WORKSPACE"] = tenant
        mlflow.set_workspace(tenant)
    elif settings.tracking_uri is None:
        settings.mlruns_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.resolved_tracking_uri)
    return mlflow.MlflowClient(settings.resolved_tracking_uri)


def ensure_experiment(settings: Settings, use_case: str) -> str:
    """Return the id of the tenant's experiment for ``use_case``, creating it if needed."""
    client = configure(settings)
    identity = settings.identity
    name = experiment_name(identity.tenant, use_case)
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        if existing.lifecycle_stage == "deleted":
            raise ConfigError(
                f"MLflow experiment '{name}' was deleted; restore it with "
                f"`mlflow experiments restore --experiment-id {existing.experiment_id}`"
            )
        return existing.experiment_id
    # A server keeps artifacts itself (proxied per workspace); a local store under mlruns/.
    location = (
        None
        if settings.server_url is not None
        else (settings.artifact_root / identity.tenant / use_case).as_uri()
    )
    try:
        return client.create_experiment(
            name,
            artifact_location=location,
            tags={TAG_TENANT: identity.tenant, TAG_USE_CASE: use_case},
        )
    except Exception:  # noqa: BLE001 - another process (a parallel demo worker) created it first
        created = client.get_experiment_by_name(name)
        if created is None:
            raise
        return created.experiment_id


def _same_uri(a: str, b: str) -> bool:
    def norm(uri: str) -> str:
        if uri.startswith("sqlite:///"):
            return "sqlite:///" + str(Path(uri[len("sqlite:///") :]).resolve())
        return uri.rstrip("/")

    return norm(a) == norm(b)


def run_id_from_mlflow_project(settings: Settings, use_case: str) -> str | None:
    """The run that ``mlflow run`` created for this entry point, checked to be in our store.

    MLflow Projects pass ``MLFLOW_RUN_ID`` and ``MLFLOW_TRACKING_URI`` to the entry point; the
    runner reuses that run as the parent instead of starting a conflicting one.
    """
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not run_id:
        return None
    env_uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if env_uri and not _same_uri(env_uri, settings.resolved_tracking_uri):
        raise ConfigError(
            f"`mlflow run` created run {run_id} in {env_uri}, but the sandbox store is "
            f"{settings.resolved_tracking_uri}; run `mlflow run` inside the set-up environment "
            f"(`source .venv/bin/activate`) or export MLFLOW_TRACKING_URI="
            f"{settings.resolved_tracking_uri}"
        )
    client = configure(settings)
    run = client.get_run(run_id)
    expected = experiment_name(settings.identity.tenant, use_case)
    actual = client.get_experiment(run.info.experiment_id).name
    if actual != expected:
        raise ConfigError(
            f"`mlflow run` created run {run_id} in experiment '{actual}', not in the tenant's "
            f"experiment '{expected}'; add `--experiment-name {expected}`"
        )
    return run_id


@dataclass(frozen=True)
class RunSummary:
    """One parent run as shown by ``sandbox runs`` and the UI."""

    run_id: str
    use_case: str
    experiment: str
    status: str
    started: str
    user: str
    metrics: dict[str, float]
    failure: str = ""
    """Why a FAILED run failed (the error, or that its process was killed)."""


_RUN_ID = re.compile(r"[0-9a-f]{32}")


def checked_run_id(run_id: str) -> str:
    """An MLflow run id (32 lowercase hex digits) before it becomes part of a file path.

    Raises:
        UnknownNameError: anything else (a path, a traversal, a made-up id).
    """
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise UnknownNameError(f"'{str(run_id)[:80]}' is not a run id (32 hex digits)")
    return run_id


def tenant_experiment_ids(settings: Settings, use_case: str | None = None) -> list[str]:
    """Ids of the acting tenant's MLflow experiments (of one use case when given)."""
    client = configure(settings)
    tenant = settings.identity.tenant
    return [
        exp.experiment_id
        for exp in client.search_experiments(filter_string=f"name LIKE '{tenant}/%'")
        if exp.tags.get(TAG_TENANT) == tenant
        and (use_case is None or exp.tags.get(TAG_USE_CASE) == use_case)
    ]


def recent_runs(
    settings: Settings, limit: int = 20, use_case: str | None = None
) -> list[RunSummary]:
    """The tenant's most recent parent runs, newest first."""
    client = configure(settings)
    experiment_ids = tenant_experiment_ids(settings, use_case)
    if not experiment_ids:
        return []
    runs = client.search_runs(
        experiment_ids,
        filter_string=f"tags.`{TAG_KIND}` = 'parent'",
        order_by=["attributes.start_time DESC"],
        max_results=limit,
    )
    summaries = []
    for run in runs:
        started = run.info.start_time
        summaries.append(
            RunSummary(
                run_id=run.info.run_id,
                use_case=run.data.tags.get(TAG_USE_CASE, "?"),
                experiment=run.data.tags.get(TAG_EXPERIMENT, "?"),
                status=run.info.status,
                started=_format_ms(started),
                user=run.data.tags.get(TAG_USER, "?"),
                metrics=dict(run.data.metrics),
                failure=run.data.tags.get("sandbox.failure", ""),
            )
        )
    return summaries


def _format_ms(ms: int | None) -> str:
    from datetime import UTC, datetime

    if not ms:
        return "?"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def download_artifact(settings: Settings, run_id: str, path: str) -> Path:
    """A local copy of one artifact of a run of the acting tenant.

    Raises:
        UnknownNameError: the run does not exist, belongs to another tenant, or lacks the artifact.
    """
    import mlflow

    client = configure(settings)
    try:
        run = client.get_run(run_id)
    except Exception:  # MLflow raises several types for an unknown run id
        raise UnknownNameError(f"no run '{run_id}' in {settings.resolved_tracking_uri}") from None
    if run.data.tags.get(TAG_TENANT) != settings.identity.tenant:
        raise UnknownNameError(f"no run '{run_id}' for tenant '{settings.identity.tenant}'")
    try:
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path)
    except Exception:
        raise UnknownNameError(f"run '{run_id}' has no artifact '{path}'") from None
    return Path(local)


def download_run_record(settings: Settings, run_id: str) -> dict[str, Any]:
    """The RunRecord JSON logged with a parent run."""
    import json

    path = download_artifact(settings, run_id, "run_record.json")
    return json.loads(path.read_text(encoding="utf-8"))


class SandboxExperimentProvider:
    """MLflow default-experiment plugin: ``mlflow run use_cases/<name>`` lands in the tenant's
    experiment for that use case, so the acceptance command needs no ``--experiment-name``.

    MLflow asks registered providers for a default experiment whenever none was given; this one
    answers only for ``mlflow run`` of a directory under the project's ``use_cases/`` and only
    when MLflow's tracking URI is the sandbox's store.
    """

    def _use_case(self) -> str | None:
        argv = sys.argv
        if len(argv) < 3 or Path(argv[0]).name != "mlflow" or argv[1] != "run":
            return None
        target = next((a for a in argv[2:] if not a.startswith("-")), None)
        if target is None:
            return None
        path = Path(target).resolve()
        if path.parent != PROJECT_ROOT / "use_cases" or not (path / "MLproject").is_file():
            return None
        return path.name

    def in_context(self) -> bool:
        import mlflow

        if self._use_case() is None:
            return False
        try:
            settings = load_settings()
        except ConfigError:
            return False
        return _same_uri(mlflow.get_tracking_uri(), settings.resolved_tracking_uri)

    def get_experiment_id(self) -> str:
        use_case = self._use_case()
        if use_case is None:  # pragma: no cover - MLflow calls in_context first
            raise PrerequisiteError("not inside `mlflow run use_cases/<name>`")
        return ensure_experiment(load_settings(), use_case)


def tree_sha256(path: Path) -> str:
    """One sha256 over a file, or over a folder's files (relative path and content hash of each,
    in sorted order), so any changed, added or removed file changes it."""
    import hashlib

    from sandbox.datasets import sha256_file

    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path).as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def model_sha256(settings: Settings, model_uri: str) -> str:
    """The sha256 of a logged model's files as stored now (see :func:`tree_sha256`).

    Raises:
        UnknownNameError: the model cannot be read.
    """
    import tempfile

    import mlflow

    configure(settings)
    with tempfile.TemporaryDirectory(prefix="sandbox-model-") as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp)
        except Exception:
            raise UnknownNameError(f"cannot read the model files at {model_uri}") from None
        return tree_sha256(Path(local))
