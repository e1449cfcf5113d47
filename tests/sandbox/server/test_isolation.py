"""Isolation through a real sandbox server (MLflow basic-auth + workspaces + control plane).

Two banks, each with a data scientist, a validator, a compliance officer and an HKMA reviewer;
every bank's
objects are written by its data scientist, then every other user probes them with a plain
``MlflowClient`` authenticated as themselves, in their own workspace and in the other bank's.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import pytest

from sandbox.audit import AuditLog
from sandbox.config import PROJECT_ROOT, Settings
from sandbox.errors import AccessDenied, AuditIntegrityError
from sandbox.identity import Identity, Role
from sandbox.privacy.entities import EntityType
from sandbox.server import process
from sandbox.server.client import ControlPlane, Credentials, RemoteAuditLog, RemoteVault
from sandbox.server.compute_client import RemoteJobQueue, RemoteUsageLedger
from tests.postgres import postgres_bin, postgres_server
from tests.use_cases.fraud.test_fraud_runs import SMALL_TRANSACTIONS

BANKS = ("bank-a", "bank-b")
ROLES = ("data_scientist", "validator", "compliance_officer", "hkma_reviewer")
ADMIN_PASSWORD = "admin-password-for-tests"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user(bank: str, role: str) -> tuple[str, str]:
    name = f"{role.replace('_', '-')}-{bank}"
    return name, f"pw-{name}-0123456789"


SERVER_HOME: dict[str, Path] = {}
VAULT_SAMPLE = {
    "bank-a": (EntityType.HK_PHONE, "+852 9123 4567"),
    "bank-b": (EntityType.EMAIL, "chan.tai.man@example.com"),
}
AUDIT_PATH = "audit/audit.jsonl"


needs_postgres = pytest.mark.skipif(
    postgres_bin() is None, reason="PostgreSQL is not installed (apt-get install postgresql)"
)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The server on its default SQLite stores, then on a real PostgreSQL server (its tracking
    and user stores), each with the same two banks."""
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(postgres_server()) if request.param == "postgresql" else None
        yield from _serve(tmp_path_factory, store)


def _serve(tmp_path_factory: pytest.TempPathFactory, store: str | None) -> Iterator[str]:
    home = tmp_path_factory.mktemp("server-home")
    SERVER_HOME["root"] = process.server_paths(Settings(home=home)).root
    settings = Settings(home=home)
    port = _free_port()
    old = os.environ.get(process.ADMIN_PASSWORD_VARIABLE)
    os.environ[process.ADMIN_PASSWORD_VARIABLE] = ADMIN_PASSWORD
    try:
        url = process.start(settings, port=port, backend_store_uri=store)
    finally:
        if old is None:
            os.environ.pop(process.ADMIN_PASSWORD_VARIABLE, None)
        else:
            os.environ[process.ADMIN_PASSWORD_VARIABLE] = old
    try:
        admin = ControlPlane(Credentials(url, "admin", ADMIN_PASSWORD))
        for bank in BANKS:
            admin.create_tenant(bank)
            for role in ROLES:
                name, password = _user(bank, role)
                admin.create_user(name, password, bank, role)
        yield url
    finally:
        process.stop(settings)


def _client(
    url: str, user: tuple[str, str], workspace: str, monkeypatch: pytest.MonkeyPatch
) -> mlflow.MlflowClient:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", user[1])
    monkeypatch.setenv("MLFLOW_WORKSPACE", workspace)
    return mlflow.MlflowClient(url)


@pytest.fixture(scope="module")
def objects(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each bank's experiment, run (with an artifact) and registered model."""
    found: dict[str, dict[str, str]] = {}
    folder = tmp_path_factory.mktemp("artifact")
    (folder / "evidence.txt").write_text("bank evidence", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        for bank in BANKS:
            client = _client(server, _user(bank, "data_scientist"), bank, mp)
            experiment_id = client.create_experiment(f"{bank}/fraud")
            run = client.create_run(experiment_id)
            client.log_metric(run.info.run_id, "auprc", 0.9)
            client.log_artifact(run.info.run_id, str(folder / "evidence.txt"))
            client.set_terminated(run.info.run_id)
            client.create_registered_model(f"{bank}-champion")
            credentials = Credentials(server, *_user(bank, "data_scientist"))
            job = RemoteJobQueue(credentials, folder, device_count=0).submit(
                bank, credentials.username, [sys.executable, "-c", "pass"], cwd=folder
            )
            RemoteUsageLedger(credentials).record(bank, "tokens", 10, user=credentials.username)
            # tokens number each vault's entries of a type (<HK_PHONE_1>): a type per bank, so
            # that a token of one bank names no entry in the other's vault
            kind, value = VAULT_SAMPLE[bank]
            token = RemoteVault(credentials).pseudonym(kind, value)
            found[bank] = {
                "experiment": experiment_id,
                "run": run.info.run_id,
                "model": f"{bank}-champion",
                "job": str(job),
                "token": token,
            }
    return found


def _operations(
    client: mlflow.MlflowClient, target: dict[str, str], scratch: Path
) -> dict[str, tuple[str, Callable[[], object]]]:
    run, experiment, model = target["run"], target["experiment"], target["model"]
    return {
        "read experiment": ("read", lambda: client.get_experiment(experiment)),
        "read run": ("read", lambda: client.get_run(run)),
        "list artifacts": ("read", lambda: client.list_artifacts(run)),
        "download artifact": (
            "read",
            lambda: client.download_artifacts(run, "evidence.txt", str(scratch)),
        ),
        "read registered model": ("read", lambda: client.get_registered_model(model)),
        "tag run": ("write", lambda: client.set_tag(run, "probe", "x")),
        "log metric": ("write", lambda: client.log_metric(run, "probe", 1.0)),
        "create run": ("write", lambda: client.create_run(experiment)),
        "rename experiment": ("write", lambda: client.rename_experiment(experiment, "renamed")),
        "tag registered model": ("write", lambda: client.set_registered_model_tag(model, "k", "v")),
        "delete run": ("write", lambda: client.delete_run(run)),
    }


def _seen(visible: bool) -> None:
    if not visible:
        raise AccessDenied("not shown")


def _control_operations(
    server: str, actor: tuple[str, str], target_bank: str, target: dict[str, str], scratch: Path
) -> dict[str, tuple[str, Callable[[], object]]]:
    """The sandbox's own objects, through its control plane as the actor."""
    plane = ControlPlane(Credentials(server, *actor))
    log = RemoteAuditLog(Credentials(server, *actor))
    queue = RemoteJobQueue(Credentials(server, *actor), scratch, device_count=0)
    ledger = RemoteUsageLedger(Credentials(server, *actor))
    job = int(target["job"])
    return {
        "read job": ("read", lambda: queue.get(job)),
        "read usage": ("read", lambda: _seen(target_bank in ledger.summary())),
        "submit job": (
            "write",
            lambda: queue.submit(target_bank, actor[0], [sys.executable, "-c", "1"], cwd=scratch),
        ),
        "record usage": ("charge", lambda: ledger.record(target_bank, "tokens", 1, user=actor[0])),
        "cancel job": ("write", lambda: queue.cancel(job)),
        "request re-identification": (
            "reidentify",
            lambda: plane._call(
                "POST", "vault/request", {"token": target["token"], "reason": "matrix probe"}
            ),
        ),
        # the two-person rule: nobody re-identifies on their own request alone
        "reveal vault entry": (
            "never",
            lambda: plane._call("POST", "vault/reveal", {"token": target["token"]}),
        ),
        "read review": ("read", lambda: plane.get_review(target["run"], tenant=target_bank)),
        "read audit entries": ("read", lambda: list(log.entries(tenant=target_bank))),
        "sign evidence": (
            "read",
            lambda: plane.sign_manifest(
                json.dumps({"tenant": target_bank, "audit_entries": []}).encode()
            ),
        ),
    }


def _allowed(actor_bank: str, role: str, target_bank: str, kind: str) -> bool:
    if actor_bank != target_bank:
        return False
    if kind == "charge":  # model use: every role that may call a model, not the HKMA reviewer
        return role != "hkma_reviewer"
    if kind in ("reidentify", "never"):
        return kind == "reidentify" and role == "compliance_officer"
    return kind == "read" or role == "data_scientist"


def test_isolation_matrix(
    server: str,
    objects: dict[str, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every cross-bank read or write is refused; reviewers and compliance officers only read;
    a bank's own data scientist may do everything (checked last, so deletes come at the end)."""
    results: list[tuple[str, str, str, str, bool, bool]] = []
    actors = [(bank, role) for bank in BANKS for role in ROLES]
    # the owning data scientist probes last: their writes (delete) must not hide others' refusals
    actors.sort(key=lambda a: a[1] == "data_scientist")
    for (actor_bank, role), target_bank in itertools.product(actors, BANKS):
        for workspace in {actor_bank, target_bank}:
            client = _client(server, _user(actor_bank, role), workspace, monkeypatch)
            operations = _operations(client, objects[target_bank], tmp_path)
            for name, (kind, call) in operations.items():
                if name == "delete run" and _allowed(actor_bank, role, target_bank, kind):
                    continue  # keep the run for the other probes
                try:
                    call()
                    done = True
                except Exception:  # noqa: BLE001 - any refusal (403, not found) counts
                    done = False
                expected = _allowed(actor_bank, role, target_bank, kind) and (
                    workspace == target_bank
                )
                results.append((actor_bank, role, workspace, name, expected, done))
        actor = _user(actor_bank, role)
        for name, (kind, call) in _control_operations(
            server, actor, target_bank, objects[target_bank], tmp_path
        ).items():
            try:
                call()
                done = True
            except Exception:  # noqa: BLE001 - any refusal counts
                done = False
            expected = _allowed(actor_bank, role, target_bank, kind)
            results.append((actor_bank, role, "control plane", name, expected, done))
    wrong = [r for r in results if r[4] != r[5]]
    refused = sum(1 for r in results if not r[5])
    print(f"isolation matrix: {len(results)} probes, {refused} refused, {len(wrong)} wrong")
    assert len(results) >= 100
    assert not wrong, "\n".join(
        f"{bank} {role} in workspace {ws}: {op} expected {'allowed' if exp else 'refused'}"
        for bank, role, ws, op, exp, _ in wrong
    )


def test_identity_comes_from_the_server_not_the_environment(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, password = _user("bank-a", "data_scientist")
    monkeypatch.setenv("SANDBOX_ROLE", "compliance_officer")
    monkeypatch.setenv("SANDBOX_TENANT", "bank-b")
    monkeypatch.setenv("SANDBOX_USER", "admin")
    me = ControlPlane(Credentials(server, name, password)).whoami()
    assert (me.user, me.tenant, me.role) == (name, "bank-a", "data_scientist")


def test_only_the_admin_creates_banks_and_users(server: str) -> None:
    name, password = _user("bank-a", "compliance_officer")
    plane = ControlPlane(Credentials(server, name, password))
    with pytest.raises(AccessDenied, match="not an administrator"):
        plane.create_tenant("bank-c")
    with pytest.raises(AccessDenied, match="not an administrator"):
        plane.create_user("mallory", "mallory-password-1", "bank-a", "compliance_officer")


def test_wrong_password_is_refused(server: str) -> None:
    name, _ = _user("bank-a", "data_scientist")
    with pytest.raises(AccessDenied, match="refused the credentials"):
        ControlPlane(Credentials(server, name, "not-the-password")).whoami()


def test_cli_whoami_and_admin_commands(server: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": server,
        "MLFLOW_TRACKING_USERNAME": "admin",
        "MLFLOW_TRACKING_PASSWORD": ADMIN_PASSWORD,
        "SANDBOX_HOME": str(tmp_path),
    }
    sandbox = [sys.executable, "-m", "sandbox.cli"]
    created = subprocess.run(
        [*sandbox, "admin", "tenant", "create", "bank-c"], env=env, capture_output=True, text=True
    )
    assert created.returncode == 0, created.stderr
    added = subprocess.run(
        [
            *sandbox,
            "admin",
            "user",
            "add",
            "dana",
            "--tenant",
            "bank-c",
            "--role",
            "validator",
            "--password-stdin",
        ],
        env=env,
        input="dana-password-0123\n",
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    assert "dana-password" not in added.stdout + added.stderr
    me = subprocess.run(
        [*sandbox, "whoami"],
        env={
            **env,
            "MLFLOW_TRACKING_USERNAME": "dana",
            "MLFLOW_TRACKING_PASSWORD": "dana-password-0123",
        },
        capture_output=True,
        text=True,
    )
    assert me.returncode == 0, me.stderr
    assert "dana: validator of bank-c" in me.stdout


def _sandbox_env(server: str, user: tuple[str, str], home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SANDBOX_", "MLFLOW_TRACKING_", "MLFLOW_WORKSPACE"))
    }
    return {
        **env,
        "SANDBOX_HOME": str(home),
        "SANDBOX_DATA_DIR": str(PROJECT_ROOT / "data"),
        "MLFLOW_TRACKING_URI": server,
        "MLFLOW_TRACKING_USERNAME": user[0],
        "MLFLOW_TRACKING_PASSWORD": user[1],
    }


def _run_command() -> list[str]:
    command = [sys.executable, "-m", "sandbox.cli", "run", "fraud", "--experiment", "transactions"]
    for item in SMALL_TRANSACTIONS:
        command += ["--set", item]
    return command


@pytest.fixture(scope="module")
def bank_a_run(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A small fraud run by bank-a's data scientist through `sandbox run` (its id and the
    client's sandbox home), with SANDBOX_ROLE claiming more than the server grants."""
    home = tmp_path_factory.mktemp("client-home")
    env = _sandbox_env(server, _user("bank-a", "data_scientist"), home)
    env["SANDBOX_ROLE"] = "compliance_officer"  # grants nothing against a server
    out_file = home / "run.json"
    done = subprocess.run(
        [*_run_command(), "--record-out", str(out_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out_file.read_text(encoding="utf-8"))["run_id"], home


def test_a_run_lands_in_the_bank_workspace_as_the_server_user(
    server: str, bank_a_run: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sandbox run` against the server: the run is in bank-a's workspace, recorded as the
    server's user whatever SANDBOX_ROLE says, and invisible to bank-b."""
    run_id, home = bank_a_run
    scientist = _user("bank-a", "data_scientist")
    own = _client(server, scientist, "bank-a", monkeypatch)
    run = own.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["sandbox.user"] == scientist[0]
    assert run.data.tags["sandbox.role"] == "data_scientist"
    assert run.data.tags["sandbox.tenant"] == "bank-a"
    assert {"run_record.json"} <= {a.path for a in own.list_artifacts(run_id)}
    other = _client(server, _user("bank-b", "data_scientist"), "bank-b", monkeypatch)
    with pytest.raises(Exception, match="403|PERMISSION|denied"):
        other.get_run(run_id)
    officer = _sandbox_env(server, _user("bank-a", "compliance_officer"), home)
    refused = subprocess.run(
        _run_command(), env=officer, capture_output=True, text=True, timeout=300
    )
    assert refused.returncode == 5, refused.stderr[-2000:]
    assert "may not run_experiment" in refused.stderr


def _audit(server: str, bank: str, role: str) -> RemoteAuditLog:
    return RemoteAuditLog(Credentials(server, *_user(bank, role)))


def test_audit_entries_carry_the_server_identity_and_stay_in_their_bank(server: str) -> None:
    scientist = _user("bank-a", "data_scientist")[0]
    claimed = Identity(user=scientist, tenant="bank-a", role=Role.DATA_SCIENTIST)
    entry = _audit(server, "bank-a", "data_scientist").append(claimed, "test.event", "target-a")
    assert (entry.user, entry.tenant, entry.role) == (scientist, "bank-a", "data_scientist")
    lie = Identity(user="someone-else", tenant="bank-b", role=Role.COMPLIANCE_OFFICER)
    with pytest.raises(AccessDenied, match="recorded this action for"):
        _audit(server, "bank-a", "data_scientist").append(lie, "test.event", "target-b")
    seen_b = list(_audit(server, "bank-b", "data_scientist").entries())
    assert seen_b and {e.tenant for e in seen_b} == {"bank-b"}  # its own admin events only
    assert "target-a" not in {e.target for e in seen_b}
    with pytest.raises(AccessDenied, match="may not read the audit entries of 'bank-a'"):
        list(_audit(server, "bank-b", "compliance_officer").entries(tenant="bank-a"))
    seen_a = list(_audit(server, "bank-a", "compliance_officer").entries())
    assert "target-a" in {e.target for e in seen_a}
    created = {(e.action, e.target) for e in seen_a}
    assert ("tenant.created", "bank-a") in created
    assert ("user.created", scientist) in created
    reviewer = list(_audit(server, "bank-b", "hkma_reviewer").entries())
    assert {e.tenant for e in reviewer} == {"bank-b"}  # granted bank-b only
    with pytest.raises(AccessDenied, match="belongs to no tenant"):
        RemoteAuditLog(Credentials(server, "admin", ADMIN_PASSWORD)).append(
            claimed, "test.event", "x"
        )


def test_server_audit_verifies_and_detects_tampering_of_its_log(server: str) -> None:
    log = _audit(server, "bank-a", "hkma_reviewer")
    count = log.verify()
    head = log.head()
    assert head is not None and head.seq == count - 1
    path = SERVER_HOME["root"] / "audit" / "audit.jsonl"
    original = path.read_bytes()
    lines = original.decode().splitlines(keepends=True)
    try:
        path.write_bytes("".join(lines[:-1]).encode())  # drop the last entry
        with pytest.raises(AuditIntegrityError, match="truncated"):
            log.verify()
        with pytest.raises(AuditIntegrityError):  # and nothing more is appended to it
            _audit(server, "bank-a", "data_scientist").append(
                Identity(
                    user=_user("bank-a", "data_scientist")[0],
                    tenant="bank-a",
                    role=Role.DATA_SCIENTIST,
                ),
                "test.event",
                "after-truncation",
            )
    finally:
        path.write_bytes(original)
    assert log.verify() == count
    # The key is the server's (0600, outside the log's folder): a copy of the log alone does not
    # verify, and a rewrite made without the key is caught at its first entry.
    assert (SERVER_HOME["root"] / "audit.key").stat().st_mode & 0o777 == 0o600
    assert not (path.parent / "audit.key").exists()
    with pytest.raises(AuditIntegrityError):
        AuditLog(path).verify()


def test_server_signs_bundles_only_for_readers_of_the_bank_and_entries_in_its_log(
    server: str,
) -> None:
    import base64

    from sandbox.signing import fingerprint, verify_signature

    entries = list(_audit(server, "bank-a", "compliance_officer").entries())
    manifest = {
        "format": "sandbox-evidence-bundle/1",
        "tenant": "bank-a",
        "audit_entries": [{"seq": e.seq, "hash": e.hash} for e in entries[:2]],
        "audit_head": {"seq": entries[-1].seq, "hash": entries[-1].hash},
    }
    raw = json.dumps(manifest).encode()
    officer = ControlPlane(Credentials(server, *_user("bank-a", "compliance_officer")))
    signature, public = officer.sign_manifest(raw)
    assert verify_signature(base64.b64decode(public), base64.b64decode(signature), raw)
    assert fingerprint(base64.b64decode(officer.signing_key())) == fingerprint(
        base64.b64decode(public)
    )
    reviewer_b = ControlPlane(Credentials(server, *_user("bank-b", "hkma_reviewer")))
    with pytest.raises(AccessDenied, match="may not export the evidence of 'bank-a'"):
        reviewer_b.sign_manifest(raw)
    forged = {**manifest, "audit_entries": [{"seq": entries[0].seq, "hash": "f" * 64}]}
    with pytest.raises(Exception, match="not in the server's log"):
        officer.sign_manifest(json.dumps(forged).encode())


def test_backup_while_running_restores_into_a_new_home_that_serves_the_same_banks(
    server: str,
    objects: dict[str, dict[str, str]],
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tarfile

    from sandbox.errors import ConfigError, DataError
    from sandbox.server.backup import backup, restore

    if request.node.callspec.params["server"] == "postgresql":
        with pytest.raises(ConfigError, match="pg_dump"):
            backup(Settings(home=SERVER_HOME["root"].parent), tmp_path / "b.tar.gz")
        return
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(Settings(home=SERVER_HOME["root"].parent), archive)  # server running
    assert {"mlflow.db", "auth.db", "control.db", "audit.key", AUDIT_PATH} <= set(manifest["files"])
    assert archive.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError, match="stop the server first"):
        restore(Settings(home=SERVER_HOME["root"].parent), archive, force=True)
    # a changed byte anywhere in the archive is refused, naming the file
    changed = tmp_path / "changed.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(changed, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == "control.db":
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, None if data is None else io.BytesIO(data))
    fresh = Settings(home=tmp_path / "restored")
    with pytest.raises(DataError, match="control.db is missing or changed"):
        restore(fresh, changed)
    restore(fresh, archive)
    with pytest.raises(ConfigError, match="--force"):
        restore(fresh, archive)
    url = process.start(fresh, port=_free_port())
    try:
        client = _client(url, _user("bank-a", "data_scientist"), "bank-a", monkeypatch)
        assert client.get_run(objects["bank-a"]["run"]).data.metrics["auprc"] == 0.9
        assert [a.path for a in client.list_artifacts(objects["bank-a"]["run"])] == ["evidence.txt"]
        assert _audit(url, "bank-a", "hkma_reviewer").verify() >= 1
    finally:
        process.stop(fresh)


def test_admin_configuration_comes_from_the_server_only(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client's own config/quotas.yaml is ignored against a server; only the admin sets the
    server's, which is validated and audited in every bank."""
    from sandbox.compute.quotas import load_quotas
    from sandbox.errors import ConfigError

    scientist = _user("bank-a", "data_scientist")
    home = tmp_path / "client"
    (home / "config").mkdir(parents=True)
    (home / "config" / "quotas.yaml").write_text("default:\n  tokens_per_day: 999999999\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", scientist[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", scientist[1])
    admin = ControlPlane(Credentials(server, "admin", ADMIN_PASSWORD))
    try:
        admin.set_config("quotas", "tenants:\n  bank-a:\n    tokens_per_day: 1234\n")
        quotas = load_quotas(Settings(home=home))
        assert quotas.for_tenant("bank-a").tokens_per_day == 1234
        assert quotas.default.tokens_per_day != 999999999  # the local file changed nothing
        with pytest.raises(AccessDenied, match="not an administrator"):
            ControlPlane(Credentials(server, *scientist)).set_config("quotas", "default: {}\n")
        with pytest.raises(ConfigError, match="unknown key 'bogus'"):
            admin.set_config("quotas", "bogus: 1\n")
        actions = {
            (e.action, e.target) for e in _audit(server, "bank-b", "data_scientist").entries()
        }
        assert ("config.changed", "quotas") in actions
    finally:
        admin.set_config("quotas", "")
