"""GenAI regulatory sandbox for Hong Kong banks: the public API.

The CLI, the Streamlit app and use cases import from here only. Everything not listed in
``__all__`` is internal and may change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.audit import AuditEntry, AuditHead, AuditLog, open_audit
from sandbox.config import Settings, load_params, load_settings
from sandbox.conversation import (
    AgentAction,
    AgentReply,
    ChatTurn,
    Conversation,
    ConversationalAgent,
    read_conversations,
    write_replies,
)
from sandbox.errors import (
    AccessDenied,
    AuditIntegrityError,
    ConfigError,
    DataError,
    PrerequisiteError,
    PrivacyViolation,
    SandboxError,
    UnknownNameError,
    WorkflowError,
)
from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.thresholds import Finding, Severity, Threshold, Verdict
from sandbox.evaluation.tiering import RiskFacts
from sandbox.identity import Action, Identity, Role
from sandbox.registry import experiment, get_experiment, use_cases
from sandbox.signing import BundleCheck
from sandbox.tasks import TaskKind
from sandbox.tracking import RunSummary
from sandbox.workbench import (
    ChampionInfo,
    ComputeStatus,
    LaunchedRun,
    RedactionPreview,
    SignedIn,
    acting_as,
    champions,
    compute_status,
    existing_report,
    gateway_chat,
    launch_run,
    launched_run,
    launched_runs,
    model_statuses,
    parameter_problems,
    record_incident,
    redact_preview,
    review_steps_for,
    sign_in,
)

if TYPE_CHECKING:  # imported on first use (numpy, pandas, scikit-learn: seconds at start-up)
    from sandbox.experiment import (
        Candidate,
        DataFingerprint,
        Experiment,
        ExperimentParams,
        Governance,
        ModelProvenance,
        ModelResult,
        PreparedData,
        ProgressCallback,
        RunContext,
        RunRecord,
        Scores,
        Wording,
    )
    from sandbox.runner import run_experiment

_LAZY = {
    **dict.fromkeys(
        (
            "Candidate",
            "DataFingerprint",
            "Experiment",
            "ExperimentParams",
            "Governance",
            "ModelProvenance",
            "ModelResult",
            "PreparedData",
            "ProgressCallback",
            "RunContext",
            "RunRecord",
            "Scores",
            "Wording",
        ),
        "sandbox.experiment",
    ),
    "run_experiment": "sandbox.runner",
}


def __getattr__(name: str) -> Any:
    """The public names whose modules load the numeric stack, imported when first used, so
    that ``import sandbox`` (and every CLI command) starts in about a second."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sandbox' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"


def recent_runs(
    limit: int = 20, use_case: str | None = None, settings: Settings | None = None
) -> list[RunSummary]:
    """The acting tenant's most recent parent runs, newest first."""
    from sandbox import tracking
    from sandbox.runner import fail_abandoned_runs

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    fail_abandoned_runs(settings)  # runs whose process was killed show as FAILED, not RUNNING
    return tracking.recent_runs(settings, limit=limit, use_case=use_case)


def load_run_record(run_id: str, settings: Settings | None = None) -> RunRecord:
    """The RunRecord of a parent run, read back from MLflow."""
    from sandbox import tracking

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    from sandbox.experiment import RunRecord

    return RunRecord.model_validate(tracking.download_run_record(settings, run_id))


def artifact_path(run_id: str, path: str, settings: Settings | None = None) -> Path:
    """A local copy of one artifact of a run (e.g. ``figures/pr_curve.png``)."""
    from sandbox import tracking

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    return tracking.download_artifact(settings, run_id, path)


def verify_audit_log(settings: Settings | None = None) -> tuple[str, int, AuditHead | None]:
    """Verify the audit log (keyed chain and anchored head): where it is, how many entries, and
    its head. Raises ``AuditIntegrityError`` naming what is wrong."""
    settings = settings or load_settings()
    settings.identity.require(Action.VERIFY_AUDIT)
    log = open_audit(settings)
    count = log.verify()
    return log.location, count, log.head()


def audit_entries(settings: Settings | None = None) -> list[AuditEntry]:
    """The audit entries of the caller's tenant, oldest first (the server decides what a user
    may see: an HKMA reviewer's granted tenants, everything for the administrator)."""
    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.VERIFY_AUDIT)
    log = open_audit(settings)
    if settings.server_url is not None:
        return list(log.entries())
    return list(log.entries(None if identity.role is Role.ADMIN else identity.tenant))


def audit_head(settings: Settings | None = None) -> AuditHead | None:
    """The audit log's anchored head (``None`` before the first entry)."""
    settings = settings or load_settings()
    return open_audit(settings).head()


def export_bundle(
    run_id: str, out: Path | None = None, *, settings: Settings | None = None
) -> tuple[Path, dict[str, Any]]:
    """Write the signed evidence bundle of a run (report, RunRecord, sign-off state, audit
    entries, model and data hashes); returns its path and manifest (with the signer)."""
    from sandbox.reports.bundle import export_bundle as _export

    return _export(run_id, out, settings=settings)


def verify_bundle(path: Path, *, key: str | None = None) -> BundleCheck:
    """Check an evidence bundle offline (no server, no stores); ``key`` is the signer's expected
    fingerprint. The result's ``problems`` name every member that differs."""
    from sandbox.reports.bundle import verify_bundle as _verify

    return _verify(path, key=key)


def bundle_signer(settings: Settings | None = None) -> tuple[str, str]:
    """Who signs this user's evidence bundles, and the key's fingerprint to publish."""
    from sandbox.reports.bundle import signer_public_key

    return signer_public_key(settings)


def build_report(run_id: str, *, compare: str | None = None, fmt: str = "both", settings=None):
    """Build the model-risk review report of a run; see ``sandbox.reports.build_report``."""
    from sandbox.reports import build_report as _build

    return _build(run_id, compare=compare, fmt=fmt, settings=settings)


def review_step(
    run_id: str,
    action: str,
    *,
    comment: str,
    model_role: str | None = None,
    settings: Settings | None = None,
    rebuild_report: bool = True,
) -> Any:
    """Take one sign-off step (submit, validate, approve, reject) on a run as the signed-in
    user; then rebuild the run's report to show it, unless ``rebuild_report`` is False."""
    from sandbox.reports import review_step as _step

    return _step(
        run_id,
        action,
        comment=comment,
        model_role=model_role,
        settings=settings,
        rebuild_report=rebuild_report,
    )


def champion_run_id(run_id: str, settings: Settings | None = None) -> str | None:
    """The parent run of the approved champion of the same experiment as ``run_id``, if any."""
    from sandbox.reports.body import load_record
    from sandbox.reports.signoff import champion_run_id as _champion

    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    return _champion(settings, load_record(settings, run_id))


def review_status(run_id: str, settings: Settings | None = None):
    """A run's review state, whether its signed hashes still hold, and changed report files."""
    from sandbox.reports import review_status as _status

    return _status(run_id, settings=settings)


def open_vault(settings: Settings | None = None):
    """The acting bank's pseudonym vault (``pseudonyms``, ``request_reveal``, ``approve_reveal``,
    ``reveal_requests``, ``reveal``): the sandbox server's when the sandbox talks to one, which
    applies the two-person rule to the user it authenticated; else the one in the sandbox home."""
    from sandbox.privacy.vault import open_vault as _open

    return _open(settings or load_settings())


def conversational_experiments() -> list[str]:
    """Registered conversational experiments as ``use_case/experiment``."""
    found = []
    for use_case, names in use_cases().items():
        for name in names:
            if get_experiment(use_case, name).task is TaskKind.CONVERSATIONAL:
                found.append(f"{use_case}/{name}")
    return found


def conversational_agent(
    experiment: str | None = None,
    *,
    model: str | None = None,
    provider: str | None = None,
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
) -> ConversationalAgent:
    """The deployable agent of a conversational experiment, fitted and ready to ``reply``.

    Args:
        experiment: ``use_case/experiment``; optional when exactly one is registered.
        model: Catalogue model name (``sandbox models list``); default: the experiment's.
        provider: ``embedded``, ``hf-local`` or ``openai-compatible``: with ``model``, checks
            that the model is served by it; alone, picks the catalogue's first model of it.
        settings: Who is calling; read from the environment when omitted.
        progress: Receives ``(stage, completed, total)`` while the agent works.

    Raises:
        UnknownNameError: no such conversational experiment, model or provider.
        ConfigError: ``model`` and ``provider`` disagree.
    """
    from sandbox.compute import select_device
    from sandbox.experiment import RunContext, no_progress

    settings = settings or load_settings()
    settings.identity.require(Action.CALL_MODEL)
    known = conversational_experiments()
    if experiment is None:
        if len(known) != 1:
            raise UnknownNameError(
                "choose a conversational experiment with --experiment: " + ", ".join(known)
                if known
                else "no conversational experiment is registered"
            )
        experiment = known[0]
    if experiment not in known:
        raise UnknownNameError(
            f"unknown conversational experiment '{experiment}'; known: {', '.join(known) or '-'}"
        )
    use_case, name = experiment.split("/", 1)
    exp = get_experiment(use_case, name)
    if exp.agent is None:
        raise PrerequisiteError(f"{experiment} declares no agent factory")
    model = _resolve_model(settings, model, provider)
    params = load_params(exp.params_model, exp.default_config, (), label=exp.qualified_name)
    ctx = RunContext(
        identity=settings.identity,
        cache_dir=settings.tenant_cache_dir,
        data_dir=settings.resolved_data_dir,
        device=select_device(settings.device),
        progress=progress or no_progress,
        settings=settings,
    )
    return exp.agent(params, ctx, model)


def _resolve_model(settings: Settings, model: str | None, provider: str | None) -> str | None:
    if provider is None:
        return model
    from sandbox.models.catalog import load_catalog

    catalog = load_catalog(settings)
    if model is not None:
        name, spec = catalog.spec(model)
        if spec.provider != provider:
            raise ConfigError(f"model '{name}' is served by {spec.provider}, not {provider}")
        return name
    for name, spec in catalog.models.items():
        if spec.provider == provider:
            return name
    known = sorted({spec.provider for spec in catalog.models.values()})
    raise UnknownNameError(
        f"no catalogue model uses provider '{provider}'; providers in the catalogue: "
        f"{', '.join(known)} (add one to the catalogue file, see `sandbox models list`)"
    )


def fetch_datasets(
    name: str | None = None, *, force: bool = False, settings: Settings | None = None
) -> list[Path]:
    """Download, verify and extract one packaged data set, or all of them."""
    from sandbox.datasets import fetch_dataset, get_dataset, registered_datasets

    settings = settings or load_settings()
    specs = [get_dataset(name)] if name else list(registered_datasets().values())
    paths: list[Path] = []
    for spec in specs:
        paths.extend(fetch_dataset(spec, settings.resolved_data_dir, force=force))
    return paths


__all__ = [
    "ChampionInfo",
    "ComputeStatus",
    "LaunchedRun",
    "RedactionPreview",
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
    "redact_preview",
    "review_steps_for",
    "sign_in",
    "AccessDenied",
    "Action",
    "AgentAction",
    "AgentReply",
    "ChatTurn",
    "Conversation",
    "ConversationalAgent",
    "ReportSection",
    "TaskKind",
    "Wording",
    "champion_run_id",
    "conversational_agent",
    "conversational_experiments",
    "read_conversations",
    "write_replies",
    "AuditEntry",
    "AuditHead",
    "AuditIntegrityError",
    "AuditLog",
    "Candidate",
    "ConfigError",
    "DataError",
    "DataFingerprint",
    "Experiment",
    "ExperimentParams",
    "Finding",
    "Identity",
    "ModelProvenance",
    "ModelResult",
    "PreparedData",
    "PrerequisiteError",
    "PrivacyViolation",
    "ProgressCallback",
    "Role",
    "RunContext",
    "RunRecord",
    "RunSummary",
    "SandboxError",
    "Scores",
    "Settings",
    "Severity",
    "Threshold",
    "UnknownNameError",
    "Verdict",
    "Evaluation",
    "Governance",
    "RiskFacts",
    "WorkflowError",
    "artifact_path",
    "audit_entries",
    "audit_head",
    "BundleCheck",
    "bundle_signer",
    "export_bundle",
    "verify_bundle",
    "build_report",
    "review_status",
    "review_step",
    "experiment",
    "fetch_datasets",
    "get_experiment",
    "load_params",
    "load_run_record",
    "load_settings",
    "open_vault",
    "recent_runs",
    "run_experiment",
    "use_cases",
    "verify_audit_log",
]
