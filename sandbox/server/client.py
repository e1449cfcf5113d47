"""Client of the sandbox server's control plane, authenticated the way MLflow clients are.

Credentials follow MLflow's conventions: ``MLFLOW_TRACKING_URI`` (the server),
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``. The identity (tenant and role) is
whatever the server says for those credentials; nothing a client sets can change it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError, SandboxError

if TYPE_CHECKING:
    from sandbox.audit import AuditEntry, AuditHead
    from sandbox.identity import Identity
    from sandbox.privacy.vault import RevealRequest, VaultEntry
    from sandbox.workflow import Review, StepRequest

API = "/api/sandbox/v1"


@dataclass(frozen=True)
class ServerIdentity:
    """Who the server says the caller is."""

    user: str
    role: str
    tenant: str | None
    tenants: list[str] = field(default_factory=list)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    password: str = field(repr=False)

    @classmethod
    def from_environment(cls, url: str | None = None) -> Credentials:
        """The sign-in of the session acting in this thread (:func:`acting_as`, e.g. a workbench
        user's), else MLflow's variables (``url`` instead of ``MLFLOW_TRACKING_URI`` when
        given); a clear error naming the missing ones."""
        acting = _ACTING.get()
        if acting is not None and (url is None or url.rstrip("/") == acting.url):
            return acting
        url = url or os.environ.get("MLFLOW_TRACKING_URI", "")
        username = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
        password = os.environ.get("MLFLOW_TRACKING_PASSWORD", "")
        missing = [
            name
            for name, value in (
                ("MLFLOW_TRACKING_URI", url),
                ("MLFLOW_TRACKING_USERNAME", username),
                ("MLFLOW_TRACKING_PASSWORD", password),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"set {', '.join(missing)} to sign in to the sandbox server "
                "(see README: 'Sign in'); start one with `sandbox server start`"
            )
        if not url.startswith(("http://", "https://")):
            raise ConfigError(
                f"MLFLOW_TRACKING_URI must be the sandbox server's http(s) URL; got '{url}'"
            )
        return cls(url.rstrip("/"), username, password)


_ACTING: ContextVar[Credentials | None] = ContextVar("sandbox_acting_credentials", default=None)


class _ActingHeaderProvider:
    """Adds the acting session's sign-in to MLflow's REST calls (MLflow's request-header plugin
    interface), so that one process can serve several signed-in users, each in its own thread,
    without putting anyone's password in the process environment."""

    def in_context(self) -> bool:
        return _ACTING.get() is not None

    def request_headers(self) -> dict[str, str]:
        import base64

        acting = _ACTING.get()
        if acting is None:
            return {}
        token = base64.b64encode(f"{acting.username}:{acting.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}


_registered = False


def _register_header_provider() -> None:
    global _registered
    if _registered:
        return
    from mlflow.tracking.request_header.registry import _request_header_provider_registry

    _request_header_provider_registry.register(_ActingHeaderProvider)
    _registered = True


@contextmanager
def acting_as(credentials: Credentials) -> Iterator[None]:
    """Act as ``credentials``' user in this thread (and the threads it starts with a copied
    context): every server call, MLflow's included, signs in as that user.

    Raises:
        ConfigError: MLflow's own sign-in variables are set in this process, which would
            override the acting user's on MLflow's calls.
    """
    clash = [n for n in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD") if n in os.environ]
    if clash:
        raise ConfigError(
            f"unset {' and '.join(clash)} before serving signed-in users from this process "
            "(each user signs in for themselves)"
        )
    _register_header_provider()
    token = _ACTING.set(credentials)
    try:
        yield
    finally:
        _ACTING.reset(token)


def _sandbox_error(kind: object) -> type[SandboxError]:
    """The :mod:`sandbox.errors` class the server named (ConfigError when it named none)."""
    from sandbox import errors

    found = getattr(errors, kind, None) if isinstance(kind, str) else None
    if isinstance(found, type) and issubclass(found, SandboxError):
        return found
    return ConfigError


class ControlPlane:
    """The control plane's routes, called as one authenticated user."""

    def __init__(self, credentials: Credentials | None = None, timeout: float = 30.0) -> None:
        self.credentials = credentials or Credentials.from_environment()
        self.timeout = timeout

    def _call(self, method: str, route: str, payload: dict[str, Any] | None = None) -> Any:
        import requests

        c = self.credentials
        try:
            response = requests.request(
                method,
                f"{c.url}{API}/{route}",
                auth=(c.username, c.password),
                json=payload if method != "GET" else None,
                params=payload if method == "GET" else None,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise PrerequisiteError(
                f"the sandbox server at {c.url} does not answer ({type(exc).__name__}); "
                "start it with `sandbox server start`"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = body.get("error") if isinstance(body, dict) else None
        if response.status_code == 401:
            raise AccessDenied(f"the server refused the credentials of '{c.username}'")
        if response.status_code == 403:
            raise AccessDenied(message or f"'{c.username}' may not call {route}")
        if response.status_code == 429 and isinstance(body, dict):
            from sandbox.errors import QUOTA_FIELDS, QuotaExceeded

            fields = {k: body[k] for k in QUOTA_FIELDS if k in body}
            raise QuotaExceeded(message or f"{route}: quota exceeded", **fields)
        if response.status_code == 409 and isinstance(body, dict):
            # the server's own refusal (a workflow rule, a failed integrity check): same class
            raise _sandbox_error(body.get("kind"))(message or f"{route} was refused")
        if response.status_code >= 400:
            error = ConfigError if response.status_code < 500 else SandboxError
            raise error(message or f"{route} failed with HTTP {response.status_code}")
        return body

    def whoami(self) -> ServerIdentity:
        body = self._call("GET", "whoami")
        return ServerIdentity(
            user=body["user"],
            role=body["role"],
            tenant=body.get("tenant"),
            tenants=list(body.get("tenants") or []),
        )

    def create_tenant(self, name: str) -> dict[str, Any]:
        return self._call("POST", "tenants/create", {"name": name})

    def list_tenants(self) -> list[dict[str, Any]]:
        return self._call("GET", "tenants/list")["tenants"]

    def create_user(self, username: str, password: str, tenant: str, role: str) -> dict[str, Any]:
        return self._call(
            "POST",
            "users/create",
            {"username": username, "password": password, "tenant": tenant, "role": role},
        )

    def grant_reviewer(self, username: str, tenant: str) -> dict[str, Any]:
        return self._call("POST", "reviewers/grant", {"username": username, "tenant": tenant})

    def get_config(self, name: str) -> str | None:
        """The administrator's configuration file ``name`` (quotas, models); None if unset."""
        return self._call("GET", "config/get", {"name": name})["yaml"]

    def set_config(self, name: str, text: str) -> dict[str, Any]:
        """Replace a configuration file (administrator only; validated by the server)."""
        return self._call("POST", "config/set", {"name": name, "yaml": text})

    def get_review(self, run_id: str, tenant: str | None = None) -> Review | None:
        """A run's review state as the server keeps it (``None``: never submitted)."""
        from sandbox.workflow import Review

        payload = {"run_id": run_id, **({"tenant": tenant} if tenant else {})}
        review = self._call("GET", "reviews/get", payload)["review"]
        return None if review is None else Review.model_validate(review)

    def review_step(
        self,
        request: StepRequest,
        *,
        registered_model: str | None = None,
        model_uri: str | None = None,
        model_run_id: str | None = None,
        model_sha256: str | None = None,
    ) -> Review:
        """Ask the server to take one review step as the caller; an approval names the model
        the server registers. Returns the review the server keeps."""
        from sandbox.workflow import Review

        payload: dict[str, Any] = {"request": request.model_dump()}
        if registered_model:
            payload["model"] = {
                "name": registered_model,
                "uri": model_uri,
                "run_id": model_run_id,
                "sha256": model_sha256,
            }
        return Review.model_validate(self._call("POST", "reviews/step", payload)["review"])

    def signing_key(self) -> str:
        """The server's bundle-signing public key (base64 of the raw Ed25519 key)."""
        return str(self._call("GET", "bundles/key")["public_key"])

    def sign_manifest(self, manifest: bytes) -> tuple[str, str]:
        """The server's signature of an evidence-bundle manifest: (signature, public key),
        both base64."""
        import base64

        body = self._call(
            "POST", "bundles/sign", {"manifest": base64.b64encode(manifest).decode("ascii")}
        )
        return str(body["signature"]), str(body["public_key"])


@lru_cache(maxsize=16)
def _identity_for(url: str, username: str, password: str) -> ServerIdentity:
    return ControlPlane(Credentials(url, username, password)).whoami()


def server_identity(url: str) -> Identity:
    """The caller's :class:`~sandbox.identity.Identity` at the server ``url``, from MLflow's
    credential variables (asked once per process and credentials).

    Raises:
        ConfigError: credentials are missing.
        AccessDenied: the server refuses them, or the caller is the administrator (who acts in no
            bank: sign in as a member of one).
    """
    from sandbox.identity import Identity, Role

    credentials = Credentials.from_environment(url)
    me = _identity_for(credentials.url, credentials.username, credentials.password)
    if me.tenant is None:
        raise AccessDenied(
            f"'{me.user}' administers the sandbox and acts in no bank; sign in as a bank's user"
        )
    return Identity(user=me.user, tenant=me.tenant, role=Role(me.role))


class RemoteAuditLog:
    """The server's audit log, as one authenticated user: the server appends each entry with the
    caller it authenticated as the actor, shows a user only their tenant's entries, and verifies
    the chain with its key against the head anchored in its database."""

    def __init__(self, credentials: Credentials) -> None:
        self.plane = ControlPlane(credentials)

    @property
    def location(self) -> str:
        return f"{self.plane.credentials.url} (sandbox server)"

    def append(
        self,
        identity: Identity,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append as the authenticated caller; ``identity`` must be who the server says it is."""
        from sandbox.audit import AuditEntry

        payload = {"action": action, "target": target, "details": details or {}}
        body = self.plane._call("POST", "audit/append", payload)
        entry = AuditEntry.model_validate(body["entry"])
        if (entry.user, entry.tenant) != (identity.user, identity.tenant):
            raise AccessDenied(
                f"the server recorded this action for '{entry.user}' in '{entry.tenant}', not "
                f"for '{identity.user}' in '{identity.tenant}'"
            )
        return entry

    def entries(self, tenant: str | None = None) -> Iterator[AuditEntry]:
        from sandbox.audit import AuditEntry

        body = self.plane._call("GET", "audit/entries", {"tenant": tenant} if tenant else None)
        for item in body["entries"]:
            yield AuditEntry.model_validate(item)

    def verify(self) -> int:
        # a failed check comes back as the server's AuditIntegrityError (HTTP 409, its class)
        return int(self.plane._call("POST", "audit/verify", {})["entries"])

    def head(self) -> AuditHead | None:
        from sandbox.audit import AuditHead

        head = self.plane._call("GET", "audit/head")["head"]
        return None if head is None else AuditHead.model_validate(head)


class RemoteVault:
    """The bank's pseudonym vault on the server, as one authenticated user: the server holds the
    keys and the entries, takes the bank from the caller it authenticated, and applies the vault's
    own rules (the ``redact`` role to add entries, the two-person rule to re-identify); every
    request and reveal lands in its audit log. Same methods as :class:`~sandbox.privacy.vault.Vault`
    (``identity`` arguments are checked against the caller, never trusted)."""

    def __init__(self, credentials: Credentials) -> None:
        self.plane = ControlPlane(credentials)

    def pseudonyms(self, items: list[tuple[Any, str]]) -> list[str]:
        body = self.plane._call("POST", "vault/pseudonyms", {"items": _vault_items(items)})
        return [str(t) for t in body["tokens"]]

    def pseudonym(self, entity_type: Any, value: str) -> str:
        return self.pseudonyms([(entity_type, value)])[0]

    def keyed_hashes(self, items: list[tuple[Any, str]], length: int = 10) -> list[str]:
        payload = {"items": _vault_items(items), "length": length}
        return [str(h) for h in self.plane._call("POST", "vault/hashes", payload)["hashes"]]

    def keyed_hash(self, entity_type: Any, value: str, length: int = 10) -> str:
        return self.keyed_hashes([(entity_type, value)], length)[0]

    def request_reveal(self, token: str, identity: Identity, reason: str) -> int:
        self._same(identity)
        body = self.plane._call("POST", "vault/request", {"token": token, "reason": reason})
        return int(body["request"])

    def approve_reveal(self, request_id: int, identity: Identity) -> RevealRequest:
        from sandbox.privacy.vault import RevealRequest

        self._same(identity)
        body = self.plane._call("POST", "vault/approve", {"request_id": int(request_id)})
        return RevealRequest(**body["request"])

    def reveal_requests(self) -> list[RevealRequest]:
        from sandbox.privacy.vault import RevealRequest

        return [RevealRequest(**r) for r in self.plane._call("GET", "vault/requests")["requests"]]

    def reveal(self, token: str, identity: Identity, request_id: int | None = None) -> VaultEntry:
        from sandbox.privacy.entities import EntityType
        from sandbox.privacy.vault import VaultEntry

        self._same(identity)
        payload: dict[str, Any] = {"token": token, "request_id": request_id}
        entry = self.plane._call("POST", "vault/reveal", payload)["entry"]
        return VaultEntry(
            token=entry["token"], entity_type=EntityType(entry["entity_type"]), value=entry["value"]
        )

    def close(self) -> None:
        """Nothing to close: each call is one request."""

    def _same(self, identity: Identity) -> None:
        me = self.plane.whoami()
        if (me.user, me.tenant) != (identity.user, identity.tenant):
            raise AccessDenied(
                f"signed in as '{me.user}' of '{me.tenant}', not '{identity.user}' of "
                f"'{identity.tenant}'"
            )


def _vault_items(items: list[tuple[Any, str]]) -> list[list[str]]:
    return [[str(entity_type), value] for entity_type, value in items]
