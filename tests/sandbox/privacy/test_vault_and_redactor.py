"""Pseudonymisation, the per-tenant vault, the write guard and their audit trail."""

from __future__ import annotations

import json

import pytest

from sandbox.audit import AuditLog
from sandbox.config import Settings, load_settings
from sandbox.errors import AccessDenied, ConfigError, DataError, PrivacyViolation
from sandbox.identity import Identity, Role
from sandbox.privacy.entities import EntityType
from sandbox.privacy.guard import WriteGuard
from sandbox.privacy.redactor import Redactor
from sandbox.privacy.vault import Vault, normalise

# Synthetic values only (valid check digit: A123456(3)).
HKID = "A123456(3)"
TEXT = f"Customer HKID {HKID}, mobile +852 9123 4567, email chan.taiman@example.com"


def _as(settings: Settings, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for key, value in env.items():
        monkeypatch.setenv(f"SANDBOX_{key.upper()}", value)
    return load_settings()


def _actions(settings: Settings) -> list[str]:
    return [entry.action for entry in list(AuditLog(settings.audit_log_path).entries())]


def test_pseudonyms_are_typed_and_consistent_across_spellings(settings: Settings) -> None:
    vault = Vault(settings)
    first = vault.pseudonym(EntityType.HK_ID, "A123456(3)")
    assert first == "<HK_ID_1>"
    assert vault.pseudonym(EntityType.HK_ID, "a123456 (3)") == first
    assert vault.pseudonym(EntityType.HK_ID, "A1234563") == first
    assert vault.pseudonym(EntityType.HK_ID, "B987654(8)") == "<HK_ID_2>"
    assert vault.pseudonym(EntityType.HK_PHONE, "+852 9123-4567") == "<HK_PHONE_1>"
    assert vault.pseudonym(EntityType.HK_PHONE, "91234567") == "<HK_PHONE_1>"
    # A new Vault object (a later run) sees the same mapping.
    assert Vault(settings).pseudonym(EntityType.HK_ID, HKID) == first


@pytest.mark.parametrize(
    ("entity_type", "a", "b"),
    [
        (EntityType.HK_PHONE, "(852) 6123 4567", "61234567"),
        (EntityType.HK_BANK_ACCOUNT, "004-123456-001", "004123456001"),
        (EntityType.PERSON, "Chan  Tai Man", "chan tai man"),
        (EntityType.EMAIL, "Chan@Example.com ", "chan@example.com"),
    ],
)
def test_normalise_equates_spellings(entity_type: EntityType, a: str, b: str) -> None:
    assert normalise(entity_type, a) == normalise(entity_type, b)


def test_vault_stores_no_readable_value(settings: Settings) -> None:
    Vault(settings).pseudonym(EntityType.HK_ID, HKID)
    stored = b"".join(p.read_bytes() for p in (settings.vault_dir / "test-bank").iterdir())
    assert b"A123456" not in stored


def test_redactor_replaces_values_and_audits_counts_only(settings: Settings) -> None:
    redaction = Redactor(settings).redact(TEXT, source="test")
    assert HKID not in redaction.text and "9123 4567" not in redaction.text
    assert "<HK_ID_1>" in redaction.text and "<HK_PHONE_1>" in redaction.text
    assert "<EMAIL_1>" in redaction.text
    assert redaction.counts == {"HK_ID": 1, "HK_PHONE": 1, "EMAIL": 1}
    entry = list(AuditLog(settings.audit_log_path).entries())[-1]
    assert entry.action == "privacy.redact"
    assert entry.details["counts"] == {"EMAIL": 1, "HK_ID": 1, "HK_PHONE": 1}
    assert HKID not in json.dumps(entry.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("mask", "<HK_ID>"), ("hash", "<HK_ID:"), ("pseudonymise", "<HK_ID_1>")],
)
def test_operators(settings: Settings, operator: str, expected: str) -> None:
    assert expected in Redactor(settings, operator=operator).redact(f"HKID {HKID}").text


def test_unknown_operator_is_named(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="blur"):
        Redactor(settings, operator="blur")


def test_vault_round_trip_for_compliance_officer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    redaction = Redactor(settings).redact(f"HKID {HKID}")
    token = redaction.replacements[0]
    officer = _as(settings, monkeypatch, role="compliance_officer", user="officer-1")
    # one person alone cannot re-identify: a request, a second person's approval, then once
    with pytest.raises(AccessDenied, match="approved by a second person"):
        Vault(officer).reveal(token, officer.identity)
    request = Vault(officer).request_reveal(token, officer.identity, "case 2026-114 review")
    with pytest.raises(AccessDenied, match="approved by a second person"):
        Vault(officer).reveal(token, officer.identity, request)  # not approved yet
    with pytest.raises(AccessDenied, match="a second person must approve"):
        Vault(officer).approve_reveal(request, officer.identity)
    second = Identity(user="officer-2", tenant="test-bank", role=Role.COMPLIANCE_OFFICER)
    scientist = Identity(user="ds", tenant="test-bank", role=Role.DATA_SCIENTIST)
    with pytest.raises(AccessDenied, match="reidentify"):
        Vault(officer).approve_reveal(request, scientist)
    assert Vault(officer).approve_reveal(request, second).approved_by == "officer-2"
    with pytest.raises(AccessDenied):  # the approver does not get to read it
        Vault(officer).reveal(token, second, request)
    entry = Vault(officer).reveal(token, officer.identity, request)
    assert entry.value == HKID and entry.entity_type is EntityType.HK_ID
    with pytest.raises(AccessDenied, match="reveals once"):
        Vault(officer).reveal(token, officer.identity, request)
    actions = _actions(officer)
    assert "vault.reveal_requested" in actions and "vault.reveal_approved" in actions
    assert actions[-2:] == ["vault.reveal", "vault.reveal_refused"]
    assert "case 2026-114" not in officer.audit_log_path.read_text()  # the reason stays inside


def test_vault_refuses_data_scientist_and_other_tenant_and_audits(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = Vault(settings).pseudonym(EntityType.HK_ID, HKID)
    with pytest.raises(AccessDenied, match="reidentify"):
        Vault(settings).reveal(token, settings.identity)
    other = _as(settings, monkeypatch, tenant="other-bank", role="compliance_officer")
    with pytest.raises(AccessDenied, match="other-bank"):
        Vault(settings, tenant="test-bank").reveal(token, other.identity)
    assert _actions(settings)[-2:] == ["vault.reveal_refused", "vault.reveal_refused"]
    # The other tenant's own vault does not know the token either.
    with pytest.raises(ConfigError, match="not in the vault"):
        Vault(other).reveal(token, other.identity)


def test_malformed_token_is_a_clear_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = _as(settings, monkeypatch, role="compliance_officer")
    with pytest.raises(ConfigError, match="not a pseudonym"):
        Vault(officer).reveal("HK_ID_1", officer.identity)


def test_guard_refuses_pii_in_params_and_audits_without_value(settings: Settings) -> None:
    guard = WriteGuard(settings)
    guard.check_mapping({"seed": "42", "run": "2026-11-23T10:00:00+00:00"}, "params")
    with pytest.raises(PrivacyViolation, match="customer.note") as info:
        guard.check_payload({"customer": {"note": f"HKID {HKID}"}}, "params")
    assert HKID not in str(info.value)
    entry = list(AuditLog(settings.audit_log_path).entries())[-1]
    assert entry.action == "privacy.refused"
    assert HKID not in json.dumps(entry.model_dump(mode="json"))


def test_guard_accepts_machine_metadata(settings: Settings) -> None:
    WriteGuard(settings).check_payload(
        {
            "run_id": "39ed78b9e16944d9a9b57002644fc37c",
            "sha256": "6894d524" * 8,
            "expected_cost": 21973100.0,  # numbers are not strings: never scanned
            "title": "Transaction fraud ranking for a daily review queue (FPS, card, transfers)",
            "operating_point": "top 50 alerts per day",
        },
        "run record",
    )


def test_vault_key_is_stored_only_wrapped_by_a_kek_outside_the_home(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    vault = Vault(settings)
    token = vault.pseudonym(EntityType.HK_ID, HKID)
    folder = settings.vault_dir / "test-bank"
    assert not (folder / "vault.key").exists()
    wrapped = folder / "vault.key.wrapped"
    assert wrapped.stat().st_mode & 0o777 == 0o600
    from cryptography.fernet import Fernet, InvalidToken

    with pytest.raises((InvalidToken, ValueError)):  # the file alone is not a usable key
        Fernet(wrapped.read_bytes().strip()).decrypt(b"x")
    # a copy of the home with another KEK reveals nothing, and says which KEK it needs
    other = tmp_path_factory.mktemp("kek") / "other"
    monkeypatch.setenv("SANDBOX_VAULT_KEK_FILE", str(other))
    with pytest.raises(ConfigError, match="key-encryption key .* is missing but vaults exist"):
        Vault(settings).pseudonym(EntityType.HK_ID, HKID)
    other.write_bytes(Fernet.generate_key())
    officer = Identity(user="co", tenant="test-bank", role=Role.COMPLIANCE_OFFICER)
    with pytest.raises(DataError, match="does not unwrap with the key-encryption key"):
        Vault(settings).request_reveal(token, officer, "does the copy reveal anything?")
    # a KEK inside the home is refused
    monkeypatch.setenv("SANDBOX_VAULT_KEK_FILE", str(settings.home / "kek"))
    with pytest.raises(ConfigError, match="inside the sandbox home"):
        Vault(settings, tenant="other-bank").pseudonym(EntityType.HK_ID, HKID)


def test_plain_vault_key_of_an_older_vault_is_wrapped_and_removed(settings: Settings) -> None:
    from cryptography.fernet import Fernet

    folder = settings.vault_dir / "test-bank"
    folder.mkdir(parents=True)
    legacy = Fernet.generate_key()
    (folder / "vault.key").write_bytes(legacy)
    vault = Vault(settings)
    token = vault.pseudonym(EntityType.HK_ID, HKID)
    vault.close()
    assert not (folder / "vault.key").exists() and (folder / "vault.key.wrapped").exists()
    officer = Identity(user="co", tenant="test-bank", role=Role.COMPLIANCE_OFFICER)
    second = Identity(user="co-2", tenant="test-bank", role=Role.COMPLIANCE_OFFICER)
    request = Vault(settings).request_reveal(token, officer, "migration check of the key")
    Vault(settings).approve_reveal(request, second)
    assert Vault(settings).reveal(token, officer, request).value == HKID
    assert Vault(settings)._load_key() == legacy


def test_a_vault_with_entries_but_no_key_is_an_error_not_a_new_key(settings: Settings) -> None:
    vault = Vault(settings)
    vault.pseudonym(EntityType.HK_ID, HKID)
    vault.close()
    (settings.vault_dir / "test-bank" / "vault.key.wrapped").unlink()
    with pytest.raises(DataError, match="key .* is missing"):
        Vault(settings).pseudonym(EntityType.HK_ID, HKID)


def test_concurrent_first_use_creates_one_key(settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def first_use(_: int) -> str:
        vault = Vault(settings, tenant="new-bank")
        try:
            return vault.pseudonym(EntityType.HK_ID, HKID)
        finally:
            vault.close()

    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(first_use, range(8)))
    assert tokens == {"<HK_ID_1>"}
