"""Typed settings (where the sandbox lives, who is acting) and experiment-parameter loading.

Settings come from ``SANDBOX_*`` environment variables. Experiment parameters come from the
experiment's pydantic model, a YAML file (``--config``) and dotted ``--set a.b=value`` overrides;
unknown keys and bad values are ConfigErrors that name the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# PROJECT_ROOT lives in sandbox.environment (which imports nothing of ours) and is re-exported
# here, where most callers look for it.
from sandbox.environment import PROJECT_ROOT, apply_offline_defaults
from sandbox.errors import ConfigError
from sandbox.identity import Identity, Role

apply_offline_defaults()  # the sandbox never downloads models or data at run time

P = TypeVar("P", bound=BaseModel)


class Settings(BaseSettings):
    """Where the sandbox keeps its state and who is acting. Read from ``SANDBOX_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="forbid")

    home: Path = PROJECT_ROOT
    """Absolute directory holding mlruns/, extracted data, caches, the vault and the audit log."""
    data_dir: Path | None = None
    """Where extracted data sets live; defaults to ``<home>/data``."""
    cache_dir: Path | None = None
    """Derived, re-computable data (embedding cache); defaults to ``<home>/.cache``."""
    tracking_uri: str | None = None
    """MLflow tracking URI; defaults to ``sqlite:///<home>/mlruns/mlflow.db``."""
    tenant: str = "demo-bank"
    user: str = "demo-data-scientist"
    role: Role = Role.DATA_SCIENTIST
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @field_validator("home")
    @classmethod
    def _home_absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def server_url(self) -> str | None:
        """The sandbox server's URL when the sandbox talks to one (``MLFLOW_TRACKING_URI`` or
        ``SANDBOX_TRACKING_URI`` is an http(s) URL), else ``None`` (local store)."""
        for uri in (self.tracking_uri, os.environ.get("MLFLOW_TRACKING_URI")):
            if uri and uri.startswith(("http://", "https://")):
                return uri.rstrip("/")
        return None

    @property
    def identity(self) -> Identity:
        """The acting identity. Against a sandbox server it is what the server says for the
        caller's MLflow credentials (``SANDBOX_TENANT`` / ``_USER`` / ``_ROLE`` grant nothing);
        with a local store it comes from those settings. Invalid names raise ConfigError."""
        if self.server_url is not None:
            from sandbox.server.client import server_identity

            return server_identity(self.server_url)
        try:
            return Identity(user=self.user, tenant=self.tenant, role=self.role)
        except ValidationError as exc:
            raise ConfigError(
                "invalid identity settings: " + _describe_validation_error(exc, prefix="SANDBOX_")
            ) from None

    @property
    def mlruns_dir(self) -> Path:
        return self.home / "mlruns"

    @property
    def resolved_tracking_uri(self) -> str:
        return self.server_url or self.tracking_uri or f"sqlite:///{self.mlruns_dir / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.mlruns_dir / "artifacts"

    @property
    def resolved_data_dir(self) -> Path:
        return (self.data_dir or self.home / "data").expanduser().resolve()

    @property
    def resolved_cache_dir(self) -> Path:
        return (self.cache_dir or self.home / ".cache").expanduser().resolve()

    @property
    def tenant_cache_dir(self) -> Path:
        """Derived data of the acting tenant only (embedding and feature caches, red-team
        regressions): ``<cache_dir>/tenants/<tenant>``. Model weights stay in ``cache_dir``."""
        return self.resolved_cache_dir / "tenants" / self.identity.tenant

    @property
    def audit_log_path(self) -> Path:
        return self.home / "audit" / "audit.jsonl"

    @property
    def vault_dir(self) -> Path:
        """Per-tenant encrypted vaults live in ``<vault_dir>/<tenant>/``."""
        return self.home / "vault"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment plus keyword overrides, as ConfigError on bad values."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(
            "invalid settings: " + _describe_validation_error(exc, prefix="SANDBOX_")
        ) from None


def load_params(
    model: type[P],
    config_file: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    label: str = "experiment",
) -> P:
    """Validate experiment parameters: model defaults < YAML file < ``key.sub=value`` overrides.

    Args:
        model: The experiment's parameter model (declared with ``extra="forbid"``).
        config_file: Optional YAML mapping of parameters.
        overrides: Dotted assignments such as ``models.challenger.C=2.0``; values are parsed
            as YAML scalars, so ``true``, ``3`` and ``0.5`` get their natural types.
        label: Name used in error messages, e.g. ``fraud/transactions``.

    Raises:
        ConfigError: The file is missing or not a mapping, a key is unknown, or a value is invalid.
    """
    values = _collect(model, config_file, overrides, label)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid parameters for {label}: " + _describe_validation_error(exc)
        ) from None


def param_problems(
    model: type[BaseModel],
    config_file: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    label: str = "experiment",
) -> list[tuple[str, str]]:
    """What is wrong with these parameters, one ``(dotted field, message)`` per problem (the
    field is ``""`` for a rule across fields); empty when :func:`load_params` would accept
    them. A malformed override or an unknown key is one problem of that field."""
    try:
        values = _collect(model, config_file, overrides, label)
    except ConfigError as exc:
        key = next(
            (
                o.partition("=")[0].strip()
                for o in overrides
                if o.partition("=")[0].strip() and o.partition("=")[0].strip() in str(exc)
            ),
            "",
        )
        return [(key, str(exc))]
    try:
        model.model_validate(values)
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            message = _describe_validation_error(exc, only=err).removeprefix(f"'{key}': ")
            found.append((key, message))
        return found
    return []


def _collect(
    model: type[BaseModel],
    config_file: Path | None,
    overrides: list[str] | tuple[str, ...],
    label: str,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if config_file is not None:
        values = _read_yaml_mapping(Path(config_file))
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"override '{item}' must look like key=value (e.g. seed=7)")
        path = key.split(".")
        _check_known_path(model, path, label)
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        _assign(values, path, value)
    return values


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping of parameters at top level")
    return loaded


def _check_known_path(model: type[BaseModel], path: list[str], label: str) -> None:
    current: Any = model
    for depth, part in enumerate(path):
        fields = getattr(current, "model_fields", None)
        if fields is None:
            dotted = ".".join(path[:depth])
            raise ConfigError(f"parameter '{dotted}' of {label} has no sub-key '{part}'")
        if part not in fields:
            dotted = ".".join(path[: depth + 1])
            known = ", ".join(sorted(fields))
            raise ConfigError(f"unknown parameter '{dotted}' for {label}; known: {known}")
        current = fields[part].annotation


def _assign(values: dict[str, Any], path: list[str], value: Any) -> None:
    node = values
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def _describe_validation_error(exc: ValidationError, prefix: str = "", *, only: Any = None) -> str:
    parts = []
    for err in [only] if only is not None else exc.errors():
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        if not err["loc"]:  # a rule across fields: its message names them
            parts.append(msg)
            continue
        key = ".".join(str(p) for p in err["loc"])
        if prefix:
            key = prefix + key.upper()
        parts.append(f"'{key}': {msg}")
    return "; ".join(parts)
