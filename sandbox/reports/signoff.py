"""The review workflow: draft -> submitted -> validated -> approved or rejected, with hashes.

Each step records who, when, a comment, and the sha256 of what it signs: the run (its RunRecord
artifact plus the parameters, metrics and tags of the parent and child runs, except the tags
that reviews and reports write) and the report body. State lives in one JSON file per run under
``<home>/reviews/<tenant>/``, every step is in the audit log and in MLflow tags, and approval
promotes the chosen model in MLflow's Model Registry (alias ``champion``). A later change of the
run or the report body invalidates the approval.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox import tracking
from sandbox.audit import open_audit
from sandbox.config import Settings, load_settings
from sandbox.errors import AccessDenied, AuditIntegrityError, ConfigError, WorkflowError
from sandbox.experiment import RunRecord
from sandbox.identity import Action, Role
from sandbox.reports.body import body_of, load_record, render_body, report_dir, sha256_text

State = Literal["draft", "submitted", "validated", "approved", "rejected"]
StepName = Literal["submit", "validate", "approve", "reject"]
CHAMPION_ALIAS = "champion"
_EXCLUDED_TAG_PREFIXES = ("signoff.", "report.", "mlflow.")

# action -> (states it may start from, state it leads to, roles allowed)
_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, frozenset[Role]]] = {
    "submit": (("draft", "rejected"), "submitted", frozenset({Role.DATA_SCIENTIST, Role.ADMIN})),
    "validate": (("submitted",), "validated", frozenset({Role.VALIDATOR})),
    "approve": (("validated",), "approved", frozenset({Role.COMPLIANCE_OFFICER})),
    "reject": (("validated",), "rejected", frozenset({Role.COMPLIANCE_OFFICER})),
}
_NEXT_STEP = {
    "draft": "the developer submits it (sandbox review RUN submit)",
    "rejected": "the developer resubmits it after addressing the comments",
    "submitted": "a model validator validates it (sandbox review RUN validate)",
    "validated": "a compliance officer approves or rejects it",
    "approved": "nothing: it is approved; a new run needs its own review",
}


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: StepName
    user: str
    role: str
    at: str
    comment: str
    run_sha256: str
    body_sha256: str
    audit_head: str = ""
    """The audit log's head ``seq:hash`` the signer acted on (the step's own entry follows it)."""


class Review(BaseModel):
    """The durable review state of one run."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    tenant: str
    developer: str
    state: State = "draft"
    model_role: str = ""
    compare_run_id: str | None = None
    run_sha256: str = ""
    body_sha256: str = ""
    steps: list[Step] = Field(default_factory=list)
    registered_model: str | None = None
    model_version: str | None = None


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


def load_review(settings: Settings, run_id: str) -> Review | None:
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
    return f"{record.identity.tenant}.{record.use_case}.{record.experiment}"


def champion_run_id(settings: Settings, record: RunRecord) -> str | None:
    """The parent run of the approved champion of this experiment, if there is one."""
    client = tracking.configure(settings)
    try:
        version = client.get_model_version_by_alias(registered_model_name(record), CHAMPION_ALIAS)
    except Exception:  # noqa: BLE001 - no registered model or no alias yet
        return None
    if not version.run_id:
        return None
    run = client.get_run(version.run_id)
    return run.data.tags.get("mlflow.parentRunId", version.run_id)


def apply_review_step(
    run_id: str,
    action: str,
    *,
    comment: str,
    model_role: str | None = None,
    settings: Settings | None = None,
) -> Review:
    """Apply one review step to a run, after every check; returns the new review state.

    Raises:
        WorkflowError: out-of-order step, self-validation, or a run/report changed since it
            was submitted.
        AccessDenied: the acting role may not take this step.
    """
    from sandbox.privacy.guard import WriteGuard

    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.READ_RUNS)
    if action not in _TRANSITIONS:
        raise ConfigError(
            f"unknown review step '{action}'; choose submit, validate, approve, reject"
        )
    if not comment.strip():
        raise ConfigError('a review step needs a comment (--comment "...")')
    WriteGuard(settings).check_payload({"comment": comment}, "review comment")
    record = load_record(settings, run_id)
    review = load_review(settings, record.run_id) or Review(
        run_id=record.run_id, tenant=identity.tenant, developer=record.identity.user
    )
    sources, target, roles = _TRANSITIONS[action]
    if identity.role not in roles:
        raise AccessDenied(
            f"user '{identity.user}' with role '{identity.role.value}' may not {action} a review; "
            f"allowed roles: {', '.join(sorted(r.value for r in roles))}"
        )
    if review.state not in sources:
        raise WorkflowError(
            f"cannot {action} run {record.run_id}: it is '{review.state}'; next: "
            + _NEXT_STEP[review.state].replace("RUN", record.run_id)
        )
    if action in ("validate", "approve", "reject") and identity.user == review.developer:
        raise WorkflowError(
            f"'{identity.user}' developed run {record.run_id} and may not {action} it: validation "
            "must be independent of development (HKMA-AI-2)"
        )
    if action in ("validate", "approve", "reject"):
        # Each step of one sign-off cycle (from the last submit) needs a different person.
        last_submit = max(
            (i for i, s in enumerate(review.steps) if s.action == "submit"), default=0
        )
        taken = next((s for s in review.steps[last_submit:] if s.user == identity.user), None)
        if taken is not None:
            raise WorkflowError(
                f"'{identity.user}' already took the '{taken.action}' step of run {record.run_id} "
                f"and may not {action} it: each sign-off step needs a different person (HKMA-AI-2)"
            )

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
        review.model_role = role
        review.compare_run_id = champion if champion != record.run_id else None
        compare = load_record(settings, review.compare_run_id) if review.compare_run_id else None
        review.run_sha256 = run_fingerprint(settings, record)
        review.body_sha256 = sha256_text(render_body(settings, record, compare))
        review.registered_model = None
        review.model_version = None
    else:
        check = check_review(settings, review, record)
        if not check.valid:
            raise WorkflowError(
                f"cannot {action} run {record.run_id}: {check.reason} since it was submitted; "
                "the developer must resubmit (a new run or `sandbox review RUN submit`)"
            )

    now = datetime.now(UTC).isoformat(timespec="seconds")
    audit = open_audit(settings)
    head = audit.head()
    review.steps.append(
        Step(
            audit_head="" if head is None else f"{head.seq}:{head.hash}",
            action=action,  # type: ignore[arg-type]
            user=identity.user,
            role=identity.role.value,
            at=now,
            comment=comment.strip(),
            run_sha256=review.run_sha256,
            body_sha256=review.body_sha256,
        )
    )
    review.state = target  # type: ignore[assignment]
    if action == "approve":
        _promote(settings, record, review)
    _save_review(settings, review)
    client = tracking.configure(settings)
    client.set_tag(record.run_id, "signoff.state", review.state)
    client.set_tag(record.run_id, f"signoff.{action}.by", identity.user)
    client.set_tag(record.run_id, f"signoff.{action}.at", now)
    client.set_tag(record.run_id, f"signoff.{action}.comment", comment.strip()[:4000])
    client.set_tag(record.run_id, "signoff.run_sha256", review.run_sha256)
    client.set_tag(record.run_id, "signoff.body_sha256", review.body_sha256)
    audit.append(
        identity,
        f"review.{action}",
        record.run_id,
        {
            "state": review.state,
            "model_role": review.model_role,
            "run_sha256": review.run_sha256,
            "body_sha256": review.body_sha256,
            "registered_model": review.registered_model,
            "model_version": review.model_version,
        },
    )
    return review


def _promote(settings: Settings, record: RunRecord, review: Review) -> None:
    """Register the approved model and point the ``champion`` alias at it."""
    import mlflow

    client = tracking.configure(settings)
    model = record.model(review.model_role)
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
    name = registered_model_name(record)
    version = mlflow.register_model(
        model.model_uri,
        name,
        tags={
            "sandbox.parent_run_id": record.run_id,
            "sandbox.role": model.role,
            "signoff.approved_by": settings.identity.user,
            "signoff.run_sha256": review.run_sha256,
            "signoff.body_sha256": review.body_sha256,
            "sandbox.model_sha256": model.model_sha256,
        },
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
