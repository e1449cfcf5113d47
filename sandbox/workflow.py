"""The sign-off state machine: the one place that decides who may take which review step, when.

draft -> submitted -> validated -> approved or rejected (a rejected run is resubmitted). Each
step needs its role, the right state, a person other than the run's developer (HKMA-AI-2) and,
within one sign-off cycle, a different person for every step. :func:`advance` applies a step to a
:class:`Review` as a pure function; the sandbox server calls it with the caller it authenticated
and keeps the result, and a sandbox without a server calls it the same way (see
:mod:`sandbox.reports.signoff`, which computes the hashes a step signs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import AccessDenied, ConfigError, WorkflowError
from sandbox.identity import Role

if TYPE_CHECKING:
    from sandbox.audit import AuditHead
    from sandbox.identity import Identity

State = Literal["draft", "submitted", "validated", "approved", "rejected"]
StepName = Literal["submit", "validate", "approve", "reject"]
CHAMPION_ALIAS = "champion"

# action -> (states it may start from, state it leads to, roles allowed)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, frozenset[Role]]] = {
    "submit": (("draft", "rejected"), "submitted", frozenset({Role.DATA_SCIENTIST, Role.ADMIN})),
    "validate": (("submitted",), "validated", frozenset({Role.VALIDATOR})),
    "approve": (("validated",), "approved", frozenset({Role.COMPLIANCE_OFFICER})),
    "reject": (("validated",), "rejected", frozenset({Role.COMPLIANCE_OFFICER})),
}
NEXT_STEP = {
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


class StepRequest(BaseModel):
    """One step as a signer asks for it. The model role, comparison run and hashes count only on
    ``submit``; later steps sign what was submitted."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    action: str
    comment: str
    model_role: str = ""
    compare_run_id: str | None = None
    run_sha256: str = ""
    body_sha256: str = ""


def check_action(action: str) -> None:
    """Refuse an unknown step name."""
    if action not in TRANSITIONS:
        raise ConfigError(
            f"unknown review step '{action}'; choose submit, validate, approve, reject"
        )


def check_comment(comment: str) -> str:
    """The step's comment, stripped; a blank one is refused."""
    if not comment.strip():
        raise ConfigError('a review step needs a comment (--comment "...")')
    return comment.strip()


def check_step(review: Review, action: str, *, user: str, role: Role) -> None:
    """Refuse a step this user may not take on this review now (nothing is changed).

    Raises:
        ConfigError: an unknown step.
        AccessDenied: the role may not take this step.
        WorkflowError: out of order, the developer signing their own run, or one person taking
            two steps of one sign-off cycle.
    """
    check_action(action)
    sources, _, roles = TRANSITIONS[action]
    if role not in roles:
        raise AccessDenied(
            f"user '{user}' with role '{role.value}' may not {action} a review; "
            f"allowed roles: {', '.join(sorted(r.value for r in roles))}"
        )
    if review.state not in sources:
        raise WorkflowError(
            f"cannot {action} run {review.run_id}: it is '{review.state}'; next: "
            + NEXT_STEP[review.state].replace("RUN", review.run_id)
        )
    if action == "submit":
        return
    if user == review.developer:
        raise WorkflowError(
            f"'{user}' developed run {review.run_id} and may not {action} it: validation "
            "must be independent of development (HKMA-AI-2)"
        )
    last_submit = max((i for i, s in enumerate(review.steps) if s.action == "submit"), default=0)
    taken = next((s for s in review.steps[last_submit:] if s.user == user), None)
    if taken is not None:
        raise WorkflowError(
            f"'{user}' already took the '{taken.action}' step of run {review.run_id} and may "
            f"not {action} it: each sign-off step needs a different person (HKMA-AI-2)"
        )


def advance(
    review: Review, request: StepRequest, *, user: str, role: Role, at: str, audit_head: str = ""
) -> Review:
    """The review after ``user`` takes ``request``'s step (a new object; ``review`` is kept).

    Raises what :func:`check_step` raises, and ConfigError for a blank comment or a submit
    without the hashes it signs.
    """
    if request.run_id != review.run_id:
        raise ConfigError(f"the step names run {request.run_id}, the review run {review.run_id}")
    check_step(review, request.action, user=user, role=role)
    comment = check_comment(request.comment)
    new = review.model_copy(deep=True)
    if request.action == "submit":
        if not (request.model_role and request.run_sha256 and request.body_sha256):
            raise ConfigError("a submit signs a model role, the run's hash and the report's hash")
        new.model_role = request.model_role
        new.compare_run_id = request.compare_run_id
        new.run_sha256 = request.run_sha256
        new.body_sha256 = request.body_sha256
        new.registered_model = None
        new.model_version = None
    new.steps.append(
        Step(
            action=request.action,  # type: ignore[arg-type]
            user=user,
            role=role.value,
            at=at,
            comment=comment,
            run_sha256=new.run_sha256,
            body_sha256=new.body_sha256,
            audit_head=audit_head,
        )
    )
    new.state = TRANSITIONS[request.action][1]  # type: ignore[assignment]
    return new


def take_step(
    review: Review, request: StepRequest, identity: Identity, head: AuditHead | None
) -> Review:
    """:func:`advance` now, as ``identity``, recording the audit ``head`` the step acts on."""
    return advance(
        review,
        request,
        user=identity.user,
        role=identity.role,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        audit_head="" if head is None else head.ref,
    )


def signoff_tags(review: Review) -> dict[str, str]:
    """The MLflow tags a step leaves on the run (excluded from the run's fingerprint)."""
    step = review.steps[-1]
    return {
        "signoff.state": review.state,
        f"signoff.{step.action}.by": step.user,
        f"signoff.{step.action}.at": step.at,
        f"signoff.{step.action}.comment": step.comment[:4000],
        "signoff.run_sha256": review.run_sha256,
        "signoff.body_sha256": review.body_sha256,
    }


def promotion_tags(review: Review, model_sha256: str) -> dict[str, str]:
    """Tags of the model version an approval registers."""
    return {
        "sandbox.parent_run_id": review.run_id,
        "sandbox.role": review.model_role,
        "signoff.approved_by": review.steps[-1].user,
        "signoff.run_sha256": review.run_sha256,
        "signoff.body_sha256": review.body_sha256,
        "sandbox.model_sha256": model_sha256,
    }


def audit_details(review: Review) -> dict[str, str | None]:
    """What the audit entry of a step records."""
    return {
        "state": review.state,
        "model_role": review.model_role,
        "run_sha256": review.run_sha256,
        "body_sha256": review.body_sha256,
        "registered_model": review.registered_model,
        "model_version": review.model_version,
    }
