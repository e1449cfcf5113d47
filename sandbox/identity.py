"""Who is acting: a user within a tenant (bank) holding one role, and what each role may do.

Authentication comes later; the identity is taken from settings today, but every action already
checks it and every RunRecord and audit entry records it.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from sandbox.errors import AccessDenied

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class Role(StrEnum):
    """Roles of DESIGN.md section 6."""

    DATA_SCIENTIST = "data_scientist"
    VALIDATOR = "validator"
    COMPLIANCE_OFFICER = "compliance_officer"
    HKMA_REVIEWER = "hkma_reviewer"
    ADMIN = "admin"


class Action(StrEnum):
    """Actions that are permission-checked."""

    RUN_EXPERIMENT = "run_experiment"
    READ_RUNS = "read_runs"
    VERIFY_AUDIT = "verify_audit"
    REDACT = "redact"
    REIDENTIFY = "reidentify"
    CALL_MODEL = "call_model"


_PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.RUN_EXPERIMENT: frozenset({Role.DATA_SCIENTIST, Role.ADMIN}),
    Action.READ_RUNS: frozenset(Role),
    Action.VERIFY_AUDIT: frozenset(Role),
    Action.REDACT: frozenset(
        {Role.DATA_SCIENTIST, Role.VALIDATOR, Role.COMPLIANCE_OFFICER, Role.ADMIN}
    ),
    # The HKMA reviewer reads signed reports and audit; they do not run models.
    Action.CALL_MODEL: frozenset(
        {Role.DATA_SCIENTIST, Role.VALIDATOR, Role.COMPLIANCE_OFFICER, Role.ADMIN}
    ),
    # Re-identification reveals raw personal data: compliance officers and admins only.
    Action.REIDENTIFY: frozenset({Role.COMPLIANCE_OFFICER, Role.ADMIN}),
}


class Identity(BaseModel):
    """The acting user, their tenant (bank) and role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str
    tenant: str
    role: Role

    @field_validator("tenant")
    @classmethod
    def _tenant_is_slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                "tenant must be a lowercase slug of letters, digits and '-' (e.g. 'demo-bank')"
            )
        return value

    @field_validator("user")
    @classmethod
    def _user_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("user must not be blank")
        return value

    def can(self, action: Action) -> bool:
        """Whether this identity's role allows ``action``."""
        return self.role in _PERMISSIONS[action]

    def require(self, action: Action) -> None:
        """Raise AccessDenied unless this identity's role allows ``action``."""
        if not self.can(action):
            allowed = ", ".join(sorted(r.value for r in _PERMISSIONS[action]))
            raise AccessDenied(
                f"user '{self.user}' with role '{self.role.value}' may not {action.value}; "
                f"allowed roles: {allowed}"
            )
