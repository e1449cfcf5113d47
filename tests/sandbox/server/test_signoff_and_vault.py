"""Sign-off and the banks' vaults through a real sandbox server (MLflow basic-auth + workspaces).

The review state and the vaults live in the server's control database and home, not in MLflow's
stores, so these run on the default SQLite stores only (test_isolation.py runs the isolation
tests on SQLite and PostgreSQL); a file of their own lets the two run on separate test workers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.errors import AccessDenied
from sandbox.identity import Identity, Role
from sandbox.server.client import ControlPlane, Credentials
from tests.sandbox.server.test_isolation import (
    ADMIN_PASSWORD,
    AUDIT_PATH,
    BANKS,
    ROLES,
    SERVER_HOME,
    _audit,
    _client,
    _sandbox_env,
    _serve,
    _user,
    bank_a_run,
)

__all__ = ["bank_a_run"]  # the fixture, run here against this module's server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory, None)


def _review(
    server: str, bank: str, role: str, home: Path, run_id: str, action: str
) -> subprocess.CompletedProcess[str]:
    env = _sandbox_env(server, _user(bank, role), home)
    env["SANDBOX_ROLE"] = "compliance_officer"  # grants nothing against a server
    report = "--report" if action == "approve" else "--no-report"  # one rebuild is enough here
    return subprocess.run(
        [
            *(sys.executable, "-m", "sandbox.cli", "review", run_id, action),
            *("--comment", "checked", report),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _api_step(
    server: str,
    bank: str,
    role: str,
    home: Path,
    run_id: str,
    action: str,
    monkeypatch: pytest.MonkeyPatch,
) -> object:
    import sandbox
    from sandbox.config import PROJECT_ROOT, Settings

    name, password = _user(bank, role)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", name)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
    monkeypatch.setenv("SANDBOX_ROLE", "compliance_officer")  # grants nothing against a server
    settings = Settings(home=home, data_dir=PROJECT_ROOT / "data")
    return sandbox.review_step(
        run_id, action, comment="checked", settings=settings, rebuild_report=False
    )


def test_sign_off_state_lives_on_the_server_and_follows_the_authenticated_users(
    server: str, bank_a_run: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submit, validate and approve through the server: each step by its role and a different
    person, refused across banks, the state and the champion kept by the server only."""
    from sandbox.errors import ConfigError, WorkflowError
    from sandbox.workflow import StepRequest

    run_id, home = bank_a_run
    steps = [("data_scientist", "submit"), ("validator", "validate")]
    steps.append(("compliance_officer", "approve"))
    refused = _review(server, "bank-a", "data_scientist", home, run_id, "validate")
    assert refused.returncode in (5, 8), refused.stderr[-2000:]  # not submitted, not a validator
    # the first two steps through the Python API in this process (the CLI costs a start-up and
    # the analyzer's load each time), the approval through the CLI, which rebuilds the report
    for role, action in steps[:2]:
        _api_step(server, "bank-a", role, home, run_id, action, monkeypatch)
        if action == "validate":  # the same validator cannot take the next step too
            with pytest.raises(AccessDenied, match="may not approve"):
                _api_step(server, "bank-a", "validator", home, run_id, "approve", monkeypatch)
    done = _review(server, "bank-a", "compliance_officer", home, run_id, "approve")
    assert done.returncode == 0, f"approve: {done.stderr[-3000:]}"
    assert not (home / "reviews").exists()  # no review file in the client's home

    officer = ControlPlane(Credentials(server, *_user("bank-a", "compliance_officer")))
    review = officer.get_review(run_id)
    assert review is not None and review.state == "approved"
    assert [s.user for s in review.steps] == [
        _user("bank-a", role)[0] for role in ("data_scientist", "validator", "compliance_officer")
    ]
    assert review.developer == _user("bank-a", "data_scientist")[0]
    own = _client(server, _user("bank-a", "data_scientist"), "bank-a", monkeypatch)
    assert own.get_run(run_id).data.tags["signoff.state"] == "approved"
    champion = own.get_model_version_by_alias(review.registered_model, "champion")
    assert champion.version == review.model_version
    assert champion.tags["signoff.approved_by"] == _user("bank-a", "compliance_officer")[0]
    with pytest.raises(Exception, match="403|PERMISSION|denied"):  # only an approval moves it
        own.set_registered_model_alias(review.registered_model, "champion", "1")
    with pytest.raises(Exception, match="403|PERMISSION|denied"):
        own.delete_registered_model(review.registered_model)

    # Bank B sees no review of it and cannot take a step on it; nobody forges review entries.
    for role in ROLES:
        plane = ControlPlane(Credentials(server, *_user("bank-b", role)))
        assert plane.get_review(run_id) is None
        with pytest.raises((ConfigError, AccessDenied, WorkflowError)):
            plane.review_step(
                StepRequest(
                    run_id=run_id,
                    action="submit",
                    comment="x",
                    model_role="challenger",
                    run_sha256="0" * 64,
                    body_sha256="0" * 64,
                )
            )
        with pytest.raises(AccessDenied):
            plane.get_review(run_id, tenant="bank-a")
    scientist = Identity(
        user=_user("bank-a", "data_scientist")[0], tenant="bank-a", role=Role.DATA_SCIENTIST
    )
    for action in ("review.approve", "vault.reveal_approved", "user.created"):
        with pytest.raises(AccessDenied, match="written by the server"):
            _audit(server, "bank-a", "data_scientist").append(scientist, action, run_id)
    # the start that names a run's developer is recorded once, and only for the bank's own runs
    with pytest.raises(WorkflowError, match="recorded already"):
        _audit(server, "bank-a", "data_scientist").append(scientist, "run.started", run_id)
    bank_b = Identity(
        user=_user("bank-b", "data_scientist")[0], tenant="bank-b", role=Role.DATA_SCIENTIST
    )
    with pytest.raises(ConfigError):
        _audit(server, "bank-b", "data_scientist").append(bank_b, "run.started", run_id)
    approvals = [
        e
        for e in _audit(server, "bank-a", "compliance_officer").entries()
        if e.target == run_id and e.action.startswith("review.")
    ]
    assert [(e.action, e.user) for e in approvals] == [
        (f"review.{action}", _user("bank-a", role)[0]) for role, action in steps
    ]


def test_vault_lives_on_the_server_and_reidentifies_only_with_two_officers_of_the_bank(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pseudonyms are made and kept by the server per bank; a compliance officer's request needs
    a second officer of the same bank; nobody else, and no other bank, gets a value back."""
    from sandbox.errors import ConfigError
    from sandbox.privacy.entities import EntityType
    from sandbox.server.client import RemoteVault

    admin = ControlPlane(Credentials(server, "admin", ADMIN_PASSWORD))
    second = ("second-officer-bank-a", "pw-second-officer-bank-a-0123")
    if second[0] not in {m["user"] for t in admin.list_tenants() for m in t["members"]}:
        admin.create_user(*second, "bank-a", "compliance_officer")

    def vault(bank: str, role: str) -> RemoteVault:
        return RemoteVault(Credentials(server, *_user(bank, role)))

    def me(bank: str, role: str) -> Identity:
        return Identity(user=_user(bank, role)[0], tenant=bank, role=Role(role))

    hkid_a, hkid_b = "A123456(3)", "C668668(E)"  # synthetic, check digits valid
    token_a = vault("bank-a", "data_scientist").pseudonym(EntityType.HK_ID, hkid_a)
    assert vault("bank-a", "validator").pseudonym(EntityType.HK_ID, "a123456 (3)") == token_a
    token_b = vault("bank-b", "data_scientist").pseudonym(EntityType.HK_ID, hkid_b)
    assert not list(tmp_path.rglob("vault*"))  # nothing under a client's home
    assert any((SERVER_HOME["root"] / "vault" / "bank-a").glob("vault.key.wrapped"))
    with pytest.raises(AccessDenied, match="may not redact"):
        vault("bank-a", "hkma_reviewer").pseudonyms([(EntityType.HK_ID, hkid_a)])
    # the keyed hashes differ between banks (each bank's own key)
    hashes = {
        bank: vault(bank, "data_scientist").keyed_hash(EntityType.HK_ID, hkid_a) for bank in BANKS
    }
    assert hashes["bank-a"] != hashes["bank-b"]

    officer = vault("bank-a", "compliance_officer")
    for role in ("data_scientist", "validator", "hkma_reviewer"):
        with pytest.raises(AccessDenied):
            vault("bank-a", role).request_reveal(token_a, me("bank-a", role), "needed for a case")
    request = officer.request_reveal(token_a, me("bank-a", "compliance_officer"), "case 42 review")
    with pytest.raises(AccessDenied, match="second person"):
        officer.approve_reveal(request, me("bank-a", "compliance_officer"))
    with pytest.raises(AccessDenied, match="approved by a second person"):
        officer.reveal(token_a, me("bank-a", "compliance_officer"), request)
    # bank-b's officer cannot approve bank-a's request: it is not in bank-b's vault
    with pytest.raises((ConfigError, AccessDenied)):
        vault("bank-b", "compliance_officer").approve_reveal(
            request, me("bank-b", "compliance_officer")
        )
    other = RemoteVault(Credentials(server, *second))
    approved = other.approve_reveal(
        request, Identity(user=second[0], tenant="bank-a", role=Role.COMPLIANCE_OFFICER)
    )
    assert approved.state == "approved" and approved.approved_by == second[0]
    with pytest.raises(AccessDenied, match="not 'someone'"):  # a claimed identity is checked
        officer.reveal(token_a, Identity(user="someone", tenant="bank-a", role=Role.ADMIN), request)
    entry = officer.reveal(token_a, me("bank-a", "compliance_officer"), request)
    assert entry.value == hkid_a and entry.entity_type is EntityType.HK_ID
    with pytest.raises(AccessDenied):  # each approval reveals once
        officer.reveal(token_a, me("bank-a", "compliance_officer"), request)
    # bank-b's officer asking for bank-a's token reaches bank-b's vault only
    officer_b = vault("bank-b", "compliance_officer")
    if token_b == token_a:
        request_b = officer_b.request_reveal(
            token_a, me("bank-b", "compliance_officer"), "same token in another bank"
        )
        assert officer_b.reveal_requests()[0].id == request_b
    else:
        with pytest.raises(ConfigError, match="not in the vault of tenant 'bank-b'"):
            officer_b.request_reveal(token_a, me("bank-b", "compliance_officer"), "cross bank try")
    assert request not in {r.id for r in officer_b.reveal_requests()} or token_b == token_a
    actions = [
        (e.action, e.user)
        for e in _audit(server, "bank-a", "compliance_officer").entries()
        if e.target == token_a
    ]
    assert ("vault.reveal_requested", _user("bank-a", "compliance_officer")[0]) in actions
    assert ("vault.reveal_approved", second[0]) in actions
    assert ("vault.reveal", _user("bank-a", "compliance_officer")[0]) in actions
    log = (SERVER_HOME["root"] / AUDIT_PATH).read_text(encoding="utf-8")
    assert hkid_a not in log and hkid_b not in log  # the audit holds tokens, never values
