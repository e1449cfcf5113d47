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

import dataclasses
import os
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.audit import AuditLog
from sandbox.errors import WorkflowError
from sandbox.identity import Action, Identity, Role
from sandbox.server.control import ControlAnchor, ControlStore

API = "/api/sandbox/v1"

# MLflow permissions of each sandbox role inside its tenant's workspace.
# (resource type, pattern, permission); the workspace grant USE lets a role create experiments.
ROLE_GRANTS: dict[Role, list[tuple[str, str, str]]] = {
    # READ on every registered model: the champion the server registers on approval is compared
    # against by later runs (the data scientist may not move it: only an approval does).
    Role.DATA_SCIENTIST: [("workspace", "*", "USE"), ("registered_model", "*", "READ")],
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
    action = _field(body, "action")
    if action.startswith(RESERVED_AUDIT_PREFIXES):
        raise RouteError(403, f"'{action}' entries are written by the server itself")
    if action == "run.started":  # names the run's developer for its review: checked
        _check_run_start(identity.tenant, target)
    entry = server_audit().append(identity, action, target, details)
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


# -- reviews: the server keeps the state and applies sandbox.workflow's rules to the caller -----
_REVIEW_LOCK = threading.Lock()
RESERVED_AUDIT_PREFIXES = ("review.", "vault.", "tenant.", "user.", "reviewer.", "config.")
"""Audit actions only the server writes (a client's audit/append of them is refused)."""


def _run_id(value: object) -> str:
    from sandbox.tracking import checked_run_id

    if not isinstance(value, str):
        raise RouteError(400, "missing field 'run_id'")
    return checked_run_id(value)


def _check_run_start(tenant: str, run_id: str) -> None:
    """A run start is recorded once, for a run in the caller's bank's workspace."""
    from mlflow.server.handlers import _get_tracking_store

    with _workspace(tenant):
        _get_tracking_store().get_run(_run_id(run_id))  # another bank's run: not found
    if any(e.action == "run.started" and e.target == run_id for e in server_audit().entries()):
        raise WorkflowError(f"the start of run {run_id} is recorded already")


def _run_developer(tenant: str, run_id: str) -> str:
    """Who started the run, from the server's own audit entry (never from the client)."""
    for entry in server_audit().entries():
        if entry.tenant == tenant and entry.target == run_id and entry.action == "run.started":
            return entry.user
    raise RouteError(
        404,
        f"run {run_id} was not started through the sandbox in '{tenant}' (no run.started entry "
        "in its audit log); only sandbox runs are reviewed",
    )


def review_get(body: dict[str, Any]) -> dict[str, Any]:
    """A run's review, for readers of its bank (a reviewer names the bank with ``tenant``)."""
    run_id = _run_id(body.get("run_id"))
    tenants = _visible_tenants(body.get("tenant") or None)
    store = control_store()
    for tenant in store.tenants() if tenants is None else tenants:
        review = store.review(tenant, run_id)
        if review is not None:
            return {"review": review.model_dump()}
    return {"review": None}


def review_step(body: dict[str, Any]) -> dict[str, Any]:
    """Take one review step as the authenticated caller: every check first (the workflow's
    rules, the run in the caller's workspace, an approval's model), then the state, the audit
    entry, an approved model's registration and the run's sign-off tags."""

    from pydantic import ValidationError

    from sandbox.workflow import Review, StepRequest, audit_details, signoff_tags, take_step

    identity = _member()
    try:
        request = StepRequest.model_validate(body.get("request"))
    except ValidationError as exc:
        raise RouteError(400, f"malformed review step: {exc.error_count()} field errors") from None
    run_id = _run_id(request.run_id)
    if request.compare_run_id is not None:
        _run_id(request.compare_run_id)
    store = control_store()
    with _REVIEW_LOCK, _workspace(identity.tenant):
        from mlflow.entities import RunTag
        from mlflow.server.handlers import _get_tracking_store

        tracking_store = _get_tracking_store()
        run = tracking_store.get_run(run_id)  # another bank's run: not found in this workspace
        current = store.review(identity.tenant, run_id) or Review(
            run_id=run_id,
            tenant=identity.tenant,
            developer=_run_developer(identity.tenant, run_id),
        )
        review = take_step(current, request, identity, server_audit().head())
        approval = (
            _approved_model(identity.tenant, run, review, body.get("model"))
            if request.action == "approve"
            else None
        )
        if approval is not None:
            _register(identity.tenant, review, approval)
        store.put_review(review, previous_steps=len(current.steps))
        server_audit().append(identity, f"review.{request.action}", run_id, audit_details(review))
        for key, value in signoff_tags(review).items():
            tracking_store.set_tag(run_id, RunTag(key, value))
    return {"review": review.model_dump()}


def _workspace(tenant: str) -> Any:
    from mlflow.utils.workspace_context import ServerWorkspaceContext

    return ServerWorkspaceContext(tenant)


@dataclasses.dataclass(frozen=True)
class _Approval:
    name: str
    source: str
    run_id: str
    model_id: str | None
    sha256: str


def _approved_model(tenant: str, run: Any, review: Any, model: object) -> _Approval:
    """Check the model an approval registers: named after the reviewed run's use case and
    experiment, logged by that run (or its child of the submitted role), from a plain path."""
    from sandbox.tracking import TAG_EXPERIMENT, TAG_MODEL_ROLE, TAG_USE_CASE

    if not isinstance(model, dict):
        raise RouteError(400, "an approval names the model to register ('model')")
    name, uri, model_run_id, sha = (model.get(k) for k in ("name", "uri", "run_id", "sha256"))
    if not all(isinstance(v, str) and v for v in (name, uri, model_run_id, sha)):
        raise RouteError(400, "an approval's model needs name, uri, run_id and sha256")
    tags = run.data.tags
    expected = f"{tenant}.{tags.get(TAG_USE_CASE)}.{tags.get(TAG_EXPERIMENT)}"
    if name != expected:
        raise RouteError(403, f"an approval of run {review.run_id} registers '{expected}' only")
    from mlflow.server.handlers import _get_tracking_store

    tracking_store = _get_tracking_store()
    model_run = tracking_store.get_run(_run_id(model_run_id))
    parent = model_run.data.tags.get("mlflow.parentRunId", model_run.info.run_id)
    if parent != review.run_id or (
        model_run.info.run_id != review.run_id
        and model_run.data.tags.get(TAG_MODEL_ROLE) != review.model_role
    ):
        raise RouteError(
            403, f"run {model_run_id} is not the {review.model_role} of run {review.run_id}"
        )
    model_id = None
    if uri.startswith("models:/"):
        model_id = uri.removeprefix("models:/")
        if tracking_store.get_logged_model(model_id).source_run_id != model_run_id:
            raise RouteError(403, f"model {model_id} was not logged by run {model_run_id}")
        source = uri
    elif uri.startswith(f"runs:/{model_run_id}/"):
        path = uri.removeprefix(f"runs:/{model_run_id}/")
        if not path or any(part in ("", ".", "..") for part in path.split("/")):
            raise RouteError(400, f"cannot register a model from '{uri}'")
        source = f"{model_run.info.artifact_uri.rstrip('/')}/{path}"
    else:
        raise RouteError(400, f"cannot register a model from '{uri}'")
    return _Approval(name, source, model_run_id, model_id, sha)


def _register(tenant: str, review: Any, approval: _Approval) -> None:
    """Register the approved model in the bank's workspace and point ``champion`` at it."""
    from mlflow.entities.model_registry import ModelVersionTag
    from mlflow.exceptions import MlflowException
    from mlflow.server.handlers import _get_model_registry_store

    from sandbox.workflow import CHAMPION_ALIAS, promotion_tags

    registry = _get_model_registry_store()
    name = approval.name
    if not control_store().is_champion_model(tenant, name):
        try:
            registry.get_registered_model(name)
        except MlflowException:
            registry.create_registered_model(name)
            control_store().add_champion_model(tenant, name)
        else:  # made by a user, who could move its alias: not where approvals go
            raise RouteError(
                409,
                f"registered model '{name}' was created outside the sign-off; only "
                "approvals create it - an administrator must delete it first",
            )
    tags = [ModelVersionTag(k, v) for k, v in promotion_tags(review, approval.sha256).items()]
    version = registry.create_model_version(
        name, approval.source, run_id=approval.run_id, tags=tags, model_id=approval.model_id
    )
    registry.set_registered_model_alias(name, CHAMPION_ALIAS, version.version)
    review.registered_model = name
    review.model_version = str(version.version)


# -- the banks' pseudonym vaults: keys and entries on the server, the vault's rules per caller ---
def _vault(identity: Identity) -> Any:
    """The caller's bank's vault under the server home, auditing into the server's log."""
    from sandbox.config import Settings
    from sandbox.privacy.vault import Vault

    settings = Settings(home=_server_home(), tracking_uri=None)
    return Vault(settings, tenant=identity.tenant, audit=server_audit())


def _vault_items(body: dict[str, Any]) -> list[tuple[Any, str]]:
    from sandbox.privacy.entities import EntityType

    items = body.get("items")
    try:
        return [(EntityType(str(t)), str(v)) for t, v in items]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise RouteError(400, "field 'items' must be [[entity type, value], ...]") from None


def _vault_call(action: Action, call: Callable[[Any, Identity], Any]) -> Any:
    identity = _member()
    identity.require(action)
    vault = _vault(identity)
    try:
        return call(vault, identity)
    finally:
        vault.close()


def vault_pseudonyms(body: dict[str, Any]) -> dict[str, Any]:
    """Tokens for values of the caller's bank (created on first sight)."""
    items = _vault_items(body)
    return {"tokens": _vault_call(Action.REDACT, lambda v, _: v.pseudonyms(items))}


def vault_hashes(body: dict[str, Any]) -> dict[str, Any]:
    """Bank-keyed hashes of values (the ``hash`` redaction operator)."""
    items = _vault_items(body)
    length = body.get("length", 10)
    if not isinstance(length, int) or not 4 <= length <= 64:
        raise RouteError(400, "field 'length' must be an integer from 4 to 64")
    return {"hashes": _vault_call(Action.REDACT, lambda v, _: v.keyed_hashes(items, length))}


def vault_request(body: dict[str, Any]) -> dict[str, Any]:
    token, reason = _field(body, "token"), _field(body, "reason")
    request_id = _vault_call(Action.READ_RUNS, lambda v, me: v.request_reveal(token, me, reason))
    return {"request": request_id}


def _request_id(body: dict[str, Any]) -> int:
    value = body.get("request_id")
    if not isinstance(value, int):
        raise RouteError(400, "field 'request_id' must be an integer")
    return value


def vault_approve(body: dict[str, Any]) -> dict[str, Any]:
    request_id = _request_id(body)
    request = _vault_call(Action.READ_RUNS, lambda v, me: v.approve_reveal(request_id, me))
    return {"request": dataclasses.asdict(request)}


def vault_requests(body: dict[str, Any]) -> dict[str, Any]:
    """The bank's re-identification requests (no reasons, no values)."""
    requests = _vault_call(Action.REIDENTIFY, lambda v, _: v.reveal_requests())
    return {"requests": [dataclasses.asdict(r) for r in requests]}


def vault_reveal(body: dict[str, Any]) -> dict[str, Any]:
    """The value behind a token, for the requester of an approved request (once)."""
    token = _field(body, "token")
    request_id = None if body.get("request_id") is None else _request_id(body)
    entry = _vault_call(Action.READ_RUNS, lambda v, me: v.reveal(token, me, request_id))
    return {
        "entry": {"token": entry.token, "entity_type": str(entry.entity_type), "value": entry.value}
    }


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
    f"{API}/reviews/get": ("GET", review_get),
    f"{API}/reviews/step": ("POST", review_step),
    f"{API}/vault/pseudonyms": ("POST", vault_pseudonyms),
    f"{API}/vault/hashes": ("POST", vault_hashes),
    f"{API}/vault/request": ("POST", vault_request),
    f"{API}/vault/approve": ("POST", vault_approve),
    f"{API}/vault/requests": ("GET", vault_requests),
    f"{API}/vault/reveal": ("POST", vault_reveal),
}


def _view(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[], Any]:
    def view() -> Any:
        from flask import jsonify
        from mlflow.exceptions import MlflowException

        from sandbox.errors import QUOTA_FIELDS, AccessDenied, QuotaExceeded, SandboxError

        try:
            return jsonify(handler(_body()))
        except RouteError as exc:
            return jsonify({"error": str(exc)}), exc.status
        except MlflowException as exc:
            return jsonify({"error": exc.message}), exc.get_http_status_code()
        except AccessDenied as exc:
            return jsonify({"error": str(exc), "kind": type(exc).__name__}), 403
        except QuotaExceeded as exc:
            fields = {k: getattr(exc, k) for k in QUOTA_FIELDS}
            return jsonify({"error": str(exc), "kind": type(exc).__name__, **fields}), 429
        except SandboxError as exc:
            return jsonify({"error": str(exc), "kind": type(exc).__name__}), 409

    view.__name__ = f"sandbox_{handler.__name__}"
    return view


def create_app(app: Any = None) -> Any:
    """MLflow's basic-auth app with the sandbox routes added (``--app-name sandbox``)."""
    import mlflow.server.auth as auth
    from mlflow.server import app as mlflow_app

    from sandbox.server.compute_routes import ROUTES as COMPUTE_ROUTES

    app = app or mlflow_app
    ROUTES.update(COMPUTE_ROUTES)
    for path, (method, handler) in ROUTES.items():
        app.add_url_rule(path, view_func=_view(handler), methods=[method])
    # These routes decide access themselves (membership in the control store); MLflow's hook
    # still authenticates the caller before them and rejects anonymous requests.
    auth._HANDLER_INTERNAL_AUTHZ_SUFFIXES = (*auth._HANDLER_INTERNAL_AUTHZ_SUFFIXES, *ROUTES)
    return auth.create_app(app)
