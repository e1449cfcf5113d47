"""Per-tenant quotas (tokens per day, concurrent requests and jobs, GPU-seconds per day).

Admins set them in ``<home>/config/quotas.yaml``::

    default:
      tokens_per_day: 2000000
    tenants:
      bank-a:
        gpu_seconds_per_day: 57600

A tenant's entry overrides the default's keys; a missing file means the built-in defaults.
Unknown keys and bad values are ConfigErrors that name the key and the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.config import Settings
from sandbox.errors import ConfigError

_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")  # the same slug rule as Identity.tenant


def require_tenant_name(tenant: str) -> str:
    """Return ``tenant`` if it is a valid tenant name (a lowercase slug), else raise ConfigError."""
    if not isinstance(tenant, str) or not _TENANT.match(tenant):
        raise ConfigError(
            f"'{tenant}' is not a tenant name: use a lowercase slug of letters, digits and '-' "
            "(e.g. 'bank-a')"
        )
    return tenant


class TenantQuota(BaseModel, extra="forbid", frozen=True):
    """What one tenant may use; days are Hong Kong calendar days (reset at midnight HKT)."""

    tokens_per_day: int = Field(
        2_000_000,
        ge=0,
        description="Prompt + completion tokens through the gateway per day; a demo of every "
        "use case on the embedded models needs several hundred thousand (embedding the "
        "knowledge base and the conduct suite, few-shot scam scoring, the red team)",
    )
    """Prompt plus completion tokens through the model gateway."""
    concurrent_requests: int = Field(4, ge=0)
    """Gateway requests in flight at once."""
    gpu_seconds_per_day: float = Field(28_800, ge=0)
    """Wall seconds x GPUs of jobs and served requests (28,800 = 8 GPU-hours)."""
    concurrent_jobs: int = Field(2, ge=0)
    """Jobs of the local queue running at once."""


class QuotaConfig(BaseModel):
    """The parsed quotas file: the default quota and each configured tenant's effective quota."""

    model_config = ConfigDict(frozen=True)

    path: Path
    default: TenantQuota
    tenants: dict[str, TenantQuota]

    def for_tenant(self, tenant: str) -> TenantQuota:
        """The tenant's quota: its own entry, else the default."""
        return self.tenants.get(tenant, self.default)


def quotas_path(settings: Settings) -> Path:
    """Where the quotas come from: ``<home>/config/quotas.yaml``, or the server's copy."""
    from sandbox.admin_config import SERVER_SOURCE, local_config_path

    if settings.server_url is not None:
        return SERVER_SOURCE / "quotas.yaml"
    return local_config_path(settings, "quotas")


def load_quotas(settings: Settings) -> QuotaConfig:
    """Read and validate the quotas file (a missing file gives the defaults for everyone).

    Raises:
        ConfigError: The file is not YAML, not a mapping, or holds an unknown key or bad value.
    """
    from sandbox.admin_config import read_admin_config

    text, path = read_admin_config(settings, "quotas")
    return parse_quotas(text, path)


def parse_quotas(text: str | None, path: Path) -> QuotaConfig:
    """Validate quotas YAML (``None``: the defaults for everyone); ``path`` names its source."""
    if text is None:
        return QuotaConfig(path=path, default=TenantQuota(), tenants={})
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"quotas file {path} is not valid YAML: {exc}") from None
    loaded = {} if loaded is None else loaded
    if not isinstance(loaded, dict):
        raise ConfigError(f"quotas file {path} must hold a mapping with 'default' and 'tenants'")
    unknown = sorted(set(loaded) - {"default", "tenants"})
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}' in quotas file {path}; known: default, tenants"
        )
    default_values = _mapping(loaded.get("default"), "default", path)
    default = _validate(default_values, "default", path)
    tenants: dict[str, TenantQuota] = {}
    for name, entry in _mapping(loaded.get("tenants"), "tenants", path).items():
        if not isinstance(name, str) or not _TENANT.match(name):
            raise ConfigError(
                f"'tenants.{name}' in quotas file {path} is not a tenant name: use a lowercase "
                "slug of letters, digits and '-' (e.g. 'bank-a')"
            )
        values = _mapping(entry, f"tenants.{name}", path)
        tenants[name] = _validate({**default_values, **values}, f"tenants.{name}", path)
    return QuotaConfig(path=path, default=default, tenants=tenants)


def load_quota(settings: Settings, tenant: str | None = None) -> TenantQuota:
    """The effective quota of ``tenant`` (default: the acting identity's tenant)."""
    return load_quotas(settings).for_tenant(tenant or settings.identity.tenant)


def _mapping(value: Any, key: str, path: Path) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"'{key}' in quotas file {path} must be a mapping of quota keys")
    return value


def _validate(values: dict[str, Any], key: str, path: Path) -> TenantQuota:
    try:
        return TenantQuota.model_validate(values)
    except ValidationError as exc:
        known = ", ".join(TenantQuota.model_fields)
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key '{key}.{field}' (known: {known})")
            else:
                problems.append(f"'{key}.{field}': {err['msg']}")
        raise ConfigError(f"quotas file {path}: " + "; ".join(problems)) from None
