"""Client of the sandbox server's control plane, authenticated the way MLflow clients are.

Credentials follow MLflow's conventions: ``MLFLOW_TRACKING_URI`` (the server),
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``. The identity (tenant and role) is
whatever the server says for those credentials; nothing a client sets can change it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError, SandboxError

if TYPE_CHECKING:
    from sandbox.audit import AuditEntry, AuditHead
    from sandbox.identity import Identity

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
    password: str

    @classmethod
    def from_environment(cls, url: str | None = None) -> Credentials:
        """MLflow's variables (``url`` instead of ``MLFLOW_TRACKING_URI`` when given); a clear
        error naming the missing ones."""
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
        body = self._integrity_call("POST", "audit/append", payload)
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
        return int(self._integrity_call("POST", "audit/verify", {})["entries"])

    def _integrity_call(self, method: str, route: str, payload: dict[str, Any]) -> Any:
        """A call whose refusal (HTTP 409) means the server's log failed its integrity check."""
        from sandbox.errors import AuditIntegrityError

        try:
            return self.plane._call(method, route, payload)
        except ConfigError as exc:
            raise AuditIntegrityError(f"the server's audit log: {exc}") from None

    def head(self) -> AuditHead | None:
        from sandbox.audit import AuditHead

        head = self.plane._call("GET", "audit/head")["head"]
        return None if head is None else AuditHead.model_validate(head)
