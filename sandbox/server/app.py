"""The sandbox's MLflow app plugin: MLflow's basic-auth app plus the control plane's routes.

``mlflow server --app-name sandbox --enable-workspaces`` loads :func:`create_app` (entry point
``mlflow.app``). MLflow's basic-auth authenticates every request and guards its own REST API,
one workspace per bank; the routes below answer the sandbox's own questions (who am I, which
tenants exist, who belongs to them) from :class:`~sandbox.server.control.ControlStore`, with the
caller MLflow has authenticated. They are plain JSON POST/GET routes under
``/api/sandbox/v1/``, each deciding access itself from the caller's membership (MLflow's
before-request hook rejects unauthenticated callers first).

The server process reads its home from ``SANDBOX_SERVER_HOME`` (set by ``sandbox server start``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.audit import AuditLog
from sandbox.identity import Identity, Role
from sandbox.server.control import ControlAnchor, ControlStore

API = "/api/sandbox/v1"

# MLflow permissions of each sandbox role inside its tenant's workspace.
# (resource type, pattern, permission); the workspace grant USE lets a role create experiments.
ROLE_GRANTS: dict[Role, list[tuple[str, str, str]]] = {
    Role.DATA_SCIENTIST: [("workspace", "*", "USE")],
    Role.VALIDATOR: [("experiment", "*", "READ"), ("registered_model", "*", "READ")],
    Role.COMPLIANCE_OFFICER: [("experiment", "*", "READ"), ("registered_model", "*", "READ")],
    Role.HKMA_REVIEWER: [("experiment", "*", "READ"), ("registered_model", "*", "READ")],
}
TENANT_ROLES = tuple(ROLE_GRANTS)


class RouteError(Exception):
    """An error answered as JSON with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _server_home() -> Path:
    home = os.environ.get("SANDBOX_SERVER_HOME")
    if not home:
        raise RuntimeError(
            "SANDBOX_SERVER_HOME is not set; start the server with `sandbox server start`"
        )
    return Path(home)


@cache
def control_store() -> ControlStore:
    return ControlStore(_server_home() / "control.db")


@cache
def server_audit() -> AuditLog:
    """The one audit log: its key and anchor are the server's, out of every client's reach."""
    home = _server_home()
    return AuditLog(
        home / "audit" / "audit.jsonl",
        key_path=home / "audit.key",
        anchor=ControlAnchor(control_store()),
    )


def _caller() -> str:
    from flask import g

    username = getattr(g, "mlflow_authenticated_user", None)
    if not username:
        raise RouteError(401, "not authenticated")
    return str(username)


def _caller_is_admin() -> bool:
    from mlflow.server.auth import sender_is_admin

    return bool(sender_is_admin())


def _body() -> dict[str, Any]:
    from flask import request

    if request.method == "GET":
        return dict(request.args)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise RouteError(400, "expected a JSON object body")
    return data


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RouteError(400, f"missing field '{name}'")
    return value.strip()


def _require_admin() -> str:
    username = _caller()
    if not _caller_is_admin():
        raise RouteError(403, f"user '{username}' is not an administrator")
    return username


def _member() -> Identity:
    """The caller as a member of a bank; administrators act in none."""
    username = _caller()
    identity = control_store().identity(username)
    if identity is None:
        raise RouteError(403, f"user '{username}' belongs to no tenant; ask an administrator")
    return identity


def _admin_audit(admin: str, tenant: str, action: str, target: str, **details: Any) -> None:
    server_audit().append(
        Identity(user=admin, tenant=tenant, role=Role.ADMIN), action, target, details
    )


# -- handlers ------------------------------------------------------------------------------------
def whoami(body: dict[str, Any]) -> dict[str, Any]:
    """The caller's identity as the server knows it."""
    username = _caller()
    if _caller_is_admin():
        return {"user": username, "tenant": None, "role": Role.ADMIN.value, "tenants": []}
    identity = control_store().identity(username)
    if identity is None:
        raise RouteError(403, f"user '{username}' belongs to no tenant; ask an administrator")
    granted = (
        control_store().reviewer_tenants(username)
        if identity.role is Role.HKMA_REVIEWER
        else [identity.tenant]
    )
    return {
        "user": identity.user,
        "tenant": identity.tenant,
        "role": identity.role.value,
        "tenants": granted,
    }


def create_tenant(body: dict[str, Any]) -> dict[str, Any]:
    """Create a bank: its MLflow workspace and one MLflow role per sandbox role in it."""
    from mlflow.entities import Workspace
    from mlflow.server.auth import store as auth_store
    from mlflow.server.workspace_helpers import _get_workspace_store

    admin = _require_admin()
    name = _field(body, "name")
    from sandbox.identity import Identity

    try:
        Identity(user="check", tenant=name, role=Role.DATA_SCIENTIST)
    except ValueError as exc:
        raise RouteError(400, f"invalid tenant name '{name}': {exc.errors()[0]['msg']}") from None
    store = control_store()
    if store.has_tenant(name):
        raise RouteError(409, f"tenant '{name}' exists already")
    _get_workspace_store().create_workspace(Workspace(name=name, description=f"Bank {name}"))
    for role in TENANT_ROLES:
        created = auth_store.create_role(name=role.value, workspace=name, description=role.value)
        for resource_type, pattern, permission in ROLE_GRANTS[role]:
            auth_store.add_role_permission(created.id, resource_type, pattern, permission)
    store.add_tenant(name, admin)
    _admin_audit(admin, name, "tenant.created", name)
    return {"tenant": name, "roles": [r.value for r in TENANT_ROLES]}


def _mlflow_role_id(workspace: str, role: Role) -> int:
    from mlflow.server.auth import store as auth_store

    for candidate in auth_store.list_roles([workspace]):
        if candidate.name == role.value:
            return candidate.id
    raise RouteError(500, f"workspace '{workspace}' has no role '{role.value}'")


def create_user(body: dict[str, Any]) -> dict[str, Any]:
    """Create an MLflow user bound to one tenant with one sandbox role."""
    from mlflow.server.auth import store as auth_store

    admin = _require_admin()
    username, password = _field(body, "username"), _field(body, "password")
    tenant = _field(body, "tenant")
    try:
        role = Role(_field(body, "role"))
    except ValueError:
        raise RouteError(
            400, f"unknown role; known: {', '.join(r.value for r in TENANT_ROLES)}"
        ) from None
    if role is Role.ADMIN:
        raise RouteError(400, "administrators are MLflow admins, not tenant members")
    store = control_store()
    if not store.has_tenant(tenant):
        raise RouteError(404, f"no tenant '{tenant}'; create it with `sandbox admin tenant create`")
    if auth_store.has_user(username):
        raise RouteError(409, f"user '{username}' exists already")
    user = auth_store.create_user(username, password)
    auth_store.assign_role_to_user(user.id, _mlflow_role_id(tenant, role))
    store.add_member(username, tenant, role, admin)
    if role is Role.HKMA_REVIEWER:
        store.grant_reviewer(username, tenant)
    _admin_audit(admin, tenant, "user.created", username, role=role.value)
    return {"user": username, "tenant": tenant, "role": role.value}


def grant_reviewer(body: dict[str, Any]) -> dict[str, Any]:
    """Let an HKMA reviewer read one more tenant (read-only)."""
    from mlflow.server.auth import store as auth_store

    admin = _require_admin()
    username, tenant = _field(body, "username"), _field(body, "tenant")
    store = control_store()
    identity = store.identity(username)
    if identity is None or identity.role is not Role.HKMA_REVIEWER:
        raise RouteError(400, f"'{username}' is not an HKMA reviewer")
    if not store.has_tenant(tenant):
        raise RouteError(404, f"no tenant '{tenant}'")
    user = auth_store.get_user(username)
    auth_store.assign_role_to_user(user.id, _mlflow_role_id(tenant, Role.HKMA_REVIEWER))
    store.grant_reviewer(username, tenant)
    _admin_audit(admin, tenant, "reviewer.granted", username)
    return {"user": username, "tenants": store.reviewer_tenants(username)}


def list_tenants(body: dict[str, Any]) -> dict[str, Any]:
    _require_admin()
    store = control_store()
    return {
        "tenants": [
            {
                "name": name,
                "members": [{"user": m.user, "role": m.role.value} for m in store.members(name)],
            }
            for name in store.tenants()
        ]
    }


def audit_append(body: dict[str, Any]) -> dict[str, Any]:
    """Append one entry with the authenticated caller as the actor (never a client's claim)."""
    identity = _member()
    details = body.get("details") or {}
    if not isinstance(details, dict):
        raise RouteError(400, "field 'details' must be a JSON object")
    target = body.get("target", "")
    if not isinstance(target, str):
        raise RouteError(400, "field 'target' must be a string")
    entry = server_audit().append(identity, _field(body, "action"), target, details)
    return {"entry": entry.model_dump()}


def _visible_tenants(requested: str | None) -> list[str] | None:
    """Tenants whose entries the caller may read (``None``: all, for the administrator)."""
    if _caller_is_admin():
        return None if requested is None else [requested]
    identity = _member()
    allowed = (
        control_store().reviewer_tenants(identity.user)
        if identity.role is Role.HKMA_REVIEWER
        else [identity.tenant]
    )
    if requested is None:
        return allowed
    if requested not in allowed:
        raise RouteError(403, f"'{identity.user}' may not read the audit entries of '{requested}'")
    return [requested]


def audit_entries(body: dict[str, Any]) -> dict[str, Any]:
    """The caller's tenant's entries (a reviewer's granted tenants; the administrator's: all)."""
    requested = body.get("tenant") or None
    tenants = _visible_tenants(requested)
    entries = [
        e.model_dump() for e in server_audit().entries() if tenants is None or e.tenant in tenants
    ]
    return {"entries": entries}


def audit_verify(body: dict[str, Any]) -> dict[str, Any]:
    """Verify the whole chain with the server's key against the anchored head."""
    _caller()
    log = server_audit()
    count = log.verify()  # an AuditIntegrityError is answered 409 with its message
    head = log.head()
    return {"entries": count, "head": None if head is None else head.model_dump()}


def audit_head(body: dict[str, Any]) -> dict[str, Any]:
    _caller()
    head = server_audit().head()
    return {"head": None if head is None else head.model_dump()}


def _signing_key_path() -> Path:
    return _server_home() / "signing.key"


def bundle_key(body: dict[str, Any]) -> dict[str, Any]:
    """The public key that signs evidence bundles (anyone signed in may ask)."""
    import base64

    from sandbox.signing import fingerprint, sign_with_key

    _caller()
    _, public = sign_with_key(_signing_key_path(), b"")
    return {
        "public_key": base64.b64encode(public).decode("ascii"),
        "fingerprint": fingerprint(public),
    }


def bundle_sign(body: dict[str, Any]) -> dict[str, Any]:
    """Sign an evidence bundle's manifest after checking that the caller may read its bank and
    that every audit entry it lists, and its audit head, are in this server's log."""
    import base64
    import json

    from sandbox.signing import sign_with_key

    try:
        manifest_bytes = base64.b64decode(_field(body, "manifest"), validate=True)
        manifest = json.loads(manifest_bytes)
        tenant = str(manifest["tenant"])
        listed = [(int(e["seq"]), str(e["hash"])) for e in manifest["audit_entries"]]
        head = manifest.get("audit_head")
    except (ValueError, KeyError, TypeError):
        raise RouteError(
            400, "field 'manifest' must be a base64 evidence-bundle manifest"
        ) from None
    visible = _visible_tenants(None)
    if visible is not None and tenant not in visible:
        raise RouteError(403, f"'{_caller()}' may not export the evidence of '{tenant}'")
    logged = {e.seq: e for e in server_audit().entries()}
    wanted = listed + ([(int(head["seq"]), str(head["hash"]))] if head else [])
    for seq, digest in wanted:
        entry = logged.get(seq)
        if (
            entry is None
            or entry.hash != digest
            or ((seq, digest) in listed and entry.tenant != tenant)
        ):
            raise RouteError(409, f"audit entry {seq} of the manifest is not in the server's log")
    signature, public = sign_with_key(_signing_key_path(), manifest_bytes)
    return {
        "signature": base64.b64encode(signature).decode("ascii"),
        "public_key": base64.b64encode(public).decode("ascii"),
    }


def _config_name(body: dict[str, Any]) -> str:
    from sandbox.admin_config import ADMIN_FILES

    name = _field(body, "name")
    if name not in ADMIN_FILES:
        raise RouteError(400, f"unknown configuration '{name}'; known: {', '.join(ADMIN_FILES)}")
    return name


def config_get(body: dict[str, Any]) -> dict[str, Any]:
    """The administrator's configuration every client uses (any signed-in user reads it)."""
    from sandbox.admin_config import ADMIN_FILES

    _caller()
    path = _server_home() / "config" / ADMIN_FILES[_config_name(body)]
    return {"yaml": path.read_text(encoding="utf-8") if path.is_file() else None}


def config_set(body: dict[str, Any]) -> dict[str, Any]:
    """Replace one configuration file (administrator only), after validating it; audited."""
    import hashlib

    from sandbox.admin_config import ADMIN_FILES, SERVER_SOURCE
    from sandbox.compute.quotas import parse_quotas
    from sandbox.errors import ConfigError
    from sandbox.fileio import atomic_write
    from sandbox.models.catalog import parse_catalog

    admin = _require_admin()
    name = _config_name(body)
    text = body.get("yaml")
    if not isinstance(text, str):
        raise RouteError(400, "field 'yaml' must be the file's text")
    try:
        (parse_quotas if name == "quotas" else parse_catalog)(
            text, SERVER_SOURCE / ADMIN_FILES[name]
        )
    except ConfigError as exc:
        raise RouteError(400, str(exc)) from None
    atomic_write(_server_home() / "config" / ADMIN_FILES[name], text.encode("utf-8"), mode=0o640)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for tenant in control_store().tenants():  # each bank's audit shows what governs it
        _admin_audit(admin, tenant, "config.changed", name, sha256=digest)
    return {"name": name, "sha256": digest}


ROUTES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    f"{API}/whoami": ("GET", whoami),
    f"{API}/tenants/create": ("POST", create_tenant),
    f"{API}/tenants/list": ("GET", list_tenants),
    f"{API}/users/create": ("POST", create_user),
    f"{API}/reviewers/grant": ("POST", grant_reviewer),
    f"{API}/audit/append": ("POST", audit_append),
    f"{API}/audit/entries": ("GET", audit_entries),
    f"{API}/audit/verify": ("POST", audit_verify),
    f"{API}/audit/head": ("GET", audit_head),
    f"{API}/bundles/key": ("GET", bundle_key),
    f"{API}/bundles/sign": ("POST", bundle_sign),
    f"{API}/config/get": ("GET", config_get),
    f"{API}/config/set": ("POST", config_set),
}


def _view(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[], Any]:
    def view() -> Any:
        from flask import jsonify
        from mlflow.exceptions import MlflowException

        from sandbox.errors import SandboxError

        try:
            return jsonify(handler(_body()))
        except RouteError as exc:
            return jsonify({"error": str(exc)}), exc.status
        except MlflowException as exc:
            return jsonify({"error": exc.message}), exc.get_http_status_code()
        except SandboxError as exc:
            return jsonify({"error": str(exc)}), 409

    view.__name__ = f"sandbox_{handler.__name__}"
    return view


def create_app(app: Any = None) -> Any:
    """MLflow's basic-auth app with the sandbox routes added (``--app-name sandbox``)."""
    import mlflow.server.auth as auth
    from mlflow.server import app as mlflow_app

    app = app or mlflow_app
    for path, (method, handler) in ROUTES.items():
        app.add_url_rule(path, view_func=_view(handler), methods=[method])
    # These routes decide access themselves (membership in the control store); MLflow's hook
    # still authenticates the caller before them and rejects anonymous requests.
    auth._HANDLER_INTERNAL_AUTHZ_SUFFIXES = (*auth._HANDLER_INTERNAL_AUTHZ_SUFFIXES, *ROUTES)
    return auth.create_app(app)
