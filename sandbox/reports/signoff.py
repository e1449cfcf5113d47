"""The review workflow: draft -> submitted -> validated -> approved or rejected, with hashes.

Each step records who, when, a comment, and the sha256 of what it signs: the run (its RunRecord
artifact plus the parameters, metrics and tags of the parent and child runs, except the tags
that reviews and reports write) and the report body. The rules of who may take which step live
in :mod:`sandbox.workflow`. Against a sandbox server the server keeps the review state and
applies every step as the caller it authenticated; without one, state lives in one JSON file per
run under ``<home>/reviews/<tenant>/``. Every step is in the audit log and in MLflow tags, and
approval promotes the chosen model in MLflow's Model Registry (alias ``champion``). A later
change of the run or the report body invalidates the approval.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from sandbox import tracking
from sandbox.audit import open_audit
from sandbox.config import Settings, load_settings
from sandbox.errors import AuditIntegrityError, ConfigError, WorkflowError
from sandbox.experiment import ModelResult, RunRecord
from sandbox.identity import Action
from sandbox.reports.body import body_of, load_record, render_body, report_dir, sha256_text
from sandbox.workflow import (
    CHAMPION_ALIAS,
    Review,
    Step,
    StepRequest,
    audit_details,
    check_action,
    check_comment,
    check_step,
    promotion_tags,
    signoff_tags,
    take_step,
)

if TYPE_CHECKING:
    from sandbox.server.client import ControlPlane

__all__ = [
    "CHAMPION_ALIAS",
    "Review",
    "ReviewCheck",
    "Step",
    "apply_review_step",
    "champion_run_id",
    "champion_version",
    "check_report_files",
    "check_review",
    "load_review",
    "registered_model_name",
    "review_status",
    "run_fingerprint",
]

_EXCLUDED_TAG_PREFIXES = ("signoff.", "report.", "mlflow.")


class ReviewCheck(BaseModel):
    """Whether what a review signed is still what the run and report are."""

    valid: bool
    reason: str = ""
    run_sha256_now: str
    body_sha256_now: str


def _review_path(settings: Settings, run_id: str) -> Path:
    return (
        settings.home
        / "reviews"
        / settings.identity.tenant
        / f"{tracking.checked_run_id(run_id)}.json"
    )


def _control_plane(settings: Settings) -> ControlPlane | None:
    """The server that keeps review state, or ``None`` for a sandbox without one."""
    if settings.server_url is None:
        return None
    from sandbox.server.client import ControlPlane, Credentials

    return ControlPlane(Credentials.from_environment(settings.server_url))


def load_review(settings: Settings, run_id: str) -> Review | None:
    """A run's review state: the server's, or the file under ``<home>/reviews`` without one."""
    plane = _control_plane(settings)
    if plane is not None:
        return plane.get_review(tracking.checked_run_id(run_id))
    path = _review_path(settings, run_id)
    if not path.is_file():
        return None
    try:
        return Review.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(
            f"review file {path} is damaged ({exc}); restore it from backup"
        ) from None


def _save_review(settings: Settings, review: Review) -> None:
    path = _review_path(settings, review.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".review-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(review.model_dump_json(indent=2))
    os.replace(tmp, path)


def run_fingerprint(settings: Settings, record: RunRecord) -> str:
    """sha256 over the run record artifact and the MLflow data of the parent and child runs."""
    client = tracking.configure(settings)
    record_bytes = tracking.download_artifact(settings, record.run_id, "run_record.json")
    parts: dict[str, object] = {
        "run_record": hashlib.sha256(record_bytes.read_bytes()).hexdigest(),
        "runs": {},
    }
    for run_id in [record.run_id, *(m.run_id for m in record.models)]:
        run = client.get_run(run_id)
        parts["runs"][run_id] = {  # type: ignore[index]
            "params": dict(sorted(run.data.params.items())),
            "metrics": dict(sorted(run.data.metrics.items())),
            "tags": {
                k: v
                for k, v in sorted(run.data.tags.items())
                if not k.startswith(_EXCLUDED_TAG_PREFIXES)
            },
        }
    canonical = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_review(
    settings: Settings, review: Review, record: RunRecord, body: str | None = None
) -> ReviewCheck:
    """Recompute the run and report-body hashes and compare them with what was signed."""
    run_now = run_fingerprint(settings, record)
    if body is None:
        compare = load_record(settings, review.compare_run_id) if review.compare_run_id else None
        body = render_body(settings, record, compare)
    body_now = sha256_text(body)
    reasons = []
    if review.run_sha256 and run_now != review.run_sha256:
        reasons.append("the run changed after it was signed (record, parameters, metrics or tags)")
    if review.body_sha256 and body_now != review.body_sha256:
        reasons.append("the report body changed after it was signed")
    return ReviewCheck(
        valid=not reasons,
        reason="; ".join(reasons),
        run_sha256_now=run_now,
        body_sha256_now=body_now,
    )


def check_report_files(settings: Settings, review: Review) -> list[str]:
    """Reports on disk or in MLflow whose body no longer matches the signed hash."""
    problems = []
    local = report_dir(settings, review.run_id) / "report.html"
    candidates = [("local copy " + str(local), local)] if local.is_file() else []
    try:
        logged = tracking.download_artifact(settings, review.run_id, "report/report.html")
        candidates.append(("MLflow artifact report/report.html", logged))
    except Exception:  # noqa: BLE001 - no logged HTML report is not a mismatch
        pass
    for label, path in candidates:
        try:
            body = body_of(path.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{label}: unreadable ({exc})")
            continue
        if sha256_text(body) != review.body_sha256:
            problems.append(f"{label}: body differs from the signed report")
    return problems


def registered_model_name(record: RunRecord) -> str:
    return _model_name(record.identity.tenant, record.use_case, record.experiment)


def _model_name(tenant: str, use_case: str, experiment: str) -> str:
    return f"{tenant}.{use_case}.{experiment}"


def champion_version(
    settings: Settings, tenant: str, use_case: str, experiment: str
) -> tuple[str, str, str, str] | None:
    """The approved champion of one experiment of a tenant: ``(registered model, version,
    parent run, model run name)``, or ``None`` when there is none."""
    client = tracking.configure(settings)
    name = _model_name(tenant, use_case, experiment)
    try:
        version = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except Exception:  # noqa: BLE001 - no registered model or no alias yet
        return None
    if not version.run_id:
        return None
    run = client.get_run(version.run_id)
    parent = run.data.tags.get("mlflow.parentRunId", version.run_id)
    if settings.server_url is not None:  # an alias is only a champion if its run was approved
        review = load_review(settings, parent)
        if review is None or review.state != "approved":
            return None
    return name, str(version.version), parent, run.data.tags.get("mlflow.runName", "")


def champion_run_id(settings: Settings, record: RunRecord) -> str | None:
    """The parent run of the approved champion of this experiment, if there is one."""
    found = champion_version(settings, record.identity.tenant, record.use_case, record.experiment)
    return None if found is None else found[2]


def apply_review_step(
    run_id: str,
    action: str,
    *,
    comment: str,
    model_role: str | None = None,
    settings: Settings | None = None,
) -> Review:
    """Apply one review step to a run, after every check; returns the new review state.

    The rules are :mod:`sandbox.workflow`'s. Against a sandbox server the server applies them to
    the caller it authenticated and keeps the state, the run's sign-off tags, the registration of
    an approved model and the audit entry; this side computes what the step signs (hashes of the
    run and the report body) and checks, before a later step, that they still hold.

    Raises:
        WorkflowError: out-of-order step, self-validation, one person taking two steps, or a
            run/report changed since it was submitted.
        AccessDenied: the acting role may not take this step.
    """
    from sandbox.privacy.guard import WriteGuard

    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.READ_RUNS)
    check_action(action)
    check_comment(comment)
    record = load_record(settings, run_id)
    review = load_review(settings, record.run_id) or Review(
        run_id=record.run_id, tenant=identity.tenant, developer=record.identity.user
    )
    check_step(review, action, user=identity.user, role=identity.role)  # fail before hashing
    # before anything keeps the comment (loading the analyzer takes seconds: after the rules)
    WriteGuard(settings).check_payload({"comment": comment}, "review comment")
    request = StepRequest(run_id=record.run_id, action=action, comment=comment)
    if action == "submit":
        role = model_role or (
            "challenger"
            if any(m.role == "challenger" for m in record.models)
            else record.models[0].role
        )
        if not any(m.role == role for m in record.models):
            known = ", ".join(m.role for m in record.models)
            raise ConfigError(
                f"run {record.run_id} has no model with role '{role}'; known: {known}"
            )
        champion = champion_run_id(settings, record)
        compare_id = champion if champion != record.run_id else None
        compare = load_record(settings, compare_id) if compare_id else None
        request.model_role = role
        request.compare_run_id = compare_id
        request.run_sha256 = run_fingerprint(settings, record)
        request.body_sha256 = sha256_text(render_body(settings, record, compare))
    else:
        check = check_review(settings, review, record)
        if not check.valid:
            raise WorkflowError(
                f"cannot {action} run {record.run_id}: {check.reason} since it was submitted; "
                "the developer must resubmit (a new run or `sandbox review RUN submit`)"
            )
    model = record.model(review.model_role) if action == "approve" else None
    if model is not None:
        _check_model_files(settings, record, model)

    plane = _control_plane(settings)
    if plane is not None:
        return plane.review_step(
            request,
            registered_model=registered_model_name(record) if model else None,
            model_uri=model.model_uri if model else None,
            model_run_id=model.run_id if model else None,
            model_sha256=model.model_sha256 if model else None,
        )
    audit = open_audit(settings)
    review = take_step(review, request, identity, audit.head())
    if model is not None:
        _promote(settings, record, review, model)
    _save_review(settings, review)
    client = tracking.configure(settings)
    for key, value in signoff_tags(review).items():
        client.set_tag(record.run_id, key, value)
    audit.append(identity, f"review.{action}", record.run_id, audit_details(review))
    return review


def _check_model_files(settings: Settings, record: RunRecord, model: ModelResult) -> None:
    """The model an approval registers must be the one the run recorded, byte for byte."""
    if not model.model_sha256:
        raise WorkflowError(
            f"the run record of {record.run_id} holds no hash of the {model.role} model's files "
            "(recorded since schema 1.3); rerun the experiment before approving it"
        )
    stored = tracking.model_sha256(settings, model.model_uri)
    if stored != model.model_sha256:
        raise AuditIntegrityError(
            f"the {model.role} model's files of run {record.run_id} changed since the run "
            f"(sha256 {stored[:16]}…, recorded {model.model_sha256[:16]}…); it is not registered"
        )


def _promote(settings: Settings, record: RunRecord, review: Review, model: ModelResult) -> None:
    """Register the approved model and point the ``champion`` alias at it (no server)."""
    import mlflow

    client = tracking.configure(settings)
    name = registered_model_name(record)
    version = mlflow.register_model(
        model.model_uri, name, tags=promotion_tags(review, model.model_sha256)
    )
    client.set_registered_model_alias(name, CHAMPION_ALIAS, version.version)
    review.registered_model = name
    review.model_version = str(version.version)


def review_status(
    run_id: str, settings: Settings | None = None
) -> tuple[Review, ReviewCheck | None, list[str]]:
    """The review of a run, whether its hashes still hold, and report files that differ."""
    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    record = load_record(settings, run_id)
    review = load_review(settings, record.run_id)
    if review is None:
        return (
            Review(
                run_id=record.run_id,
                tenant=settings.identity.tenant,
                developer=record.identity.user,
            ),
            None,
            [],
        )
    if not review.run_sha256:
        return review, None, []
    return review, check_review(settings, review, record), check_report_files(settings, review)
