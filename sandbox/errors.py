"""The sandbox's exception tree: every error a user can act on is a SandboxError.

The CLI prints ``str(error)`` on one line and exits non-zero; no traceback is shown for these.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class for errors a user can act on; the message says what happened and what to do."""

    exit_code: int = 1


class ConfigError(SandboxError):
    """A setting, experiment parameter or override is unknown or invalid."""

    exit_code = 2


class UnknownNameError(ConfigError):
    """A use case, experiment or other registered name does not exist."""


class PrerequisiteError(SandboxError):
    """Something the run needs is missing (data set, model, server, GPU).

    The message names the fix.
    """

    exit_code = 3


class DataError(SandboxError):
    """A data file is corrupt, unreadable or does not match its recorded checksum."""

    exit_code = 4


class AccessDenied(SandboxError):
    """The current identity's role does not allow the requested action."""

    exit_code = 5


class AuditIntegrityError(SandboxError):
    """The audit log's hash chain is broken: an entry was altered, removed or reordered."""

    exit_code = 6


class PrivacyViolation(SandboxError):
    """Personal data would have left the redaction boundary; the write was refused."""

    exit_code = 7


class WorkflowError(SandboxError):
    """A review step out of order, by the wrong person, or on a changed run or report."""

    exit_code = 8


QUOTA_FIELDS = ("tenant", "resource", "used", "limit", "resets_at")
"""The attributes of QuotaExceeded a server answer carries beside its message."""


class QuotaExceeded(SandboxError):
    """A tenant's quota (tokens, GPU-seconds, concurrent requests or jobs) would be exceeded.

    The message names the tenant, the resource, used and limit, when it resets and who can raise
    it. The fields are also attributes so callers (the model gateway) can answer e.g. HTTP 429.
    """

    exit_code = 10

    def __init__(
        self,
        message: str,
        *,
        tenant: str = "",
        resource: str = "",
        used: float = 0.0,
        limit: float = 0.0,
        resets_at: str | None = None,
    ) -> None:
        super().__init__(message)
        self.tenant = tenant
        self.resource = resource
        self.used = used
        self.limit = limit
        self.resets_at = resets_at
