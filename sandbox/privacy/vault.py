"""Per-tenant encrypted vault: the only way from a pseudonym back to the personal data.

Each tenant has its own Fernet key (AES-128-CBC + HMAC-SHA256, from ``cryptography``), stored
only wrapped by a key-encryption key held outside the sandbox home
(``<home>/vault/<tenant>/vault.key.wrapped``, mode 0600; see :mod:`sandbox.privacy.keys`), and an
SQLite table mapping a keyed hash of each
(type, normalised value) to its pseudonym number and the encrypted value. The keyed hash makes
pseudonyms consistent (the same HKID always becomes ``<HK_ID_7>`` for that tenant, across data
sets and runs) without storing anything readable. Re-identification needs the ``reidentify``
permission and the same tenant, and every attempt, allowed or refused, is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.audit import AuditTrail, open_audit
from sandbox.config import Settings
from sandbox.errors import AccessDenied, ConfigError, DataError
from sandbox.fileio import create_exclusive
from sandbox.identity import Action, Identity
from sandbox.privacy.entities import EntityType
from sandbox.privacy.keys import key_encryption_key

if TYPE_CHECKING:
    from sandbox.server.client import RemoteVault

TOKEN_RE = re.compile(r"<(?P<type>[A-Z][A-Z_]*[A-Z])_(?P<number>\d+)>")
"""A pseudonym as written into redacted text, e.g. ``<HK_ID_7>``."""

_SEPARATORS = re.compile(r"[\s\-()（）.\[\]/]+")


def normalise(entity_type: EntityType, value: str) -> str:
    """The form under which two spellings of one identifier get the same pseudonym.

    Phones drop separators and the +852 prefix; identifier numbers drop separators and brackets
    and are upper-cased; names and addresses are case-folded with whitespace collapsed.
    """
    if entity_type in (EntityType.PERSON, EntityType.HK_ADDRESS, EntityType.PERSON_ZH):
        return " ".join(value.split()).casefold()
    if entity_type is EntityType.EMAIL:
        return value.strip().casefold()
    compact = _SEPARATORS.sub("", value).upper()
    if entity_type is EntityType.HK_PHONE:
        compact = compact.lstrip("+")
        for prefix in ("00852", "852"):
            if compact.startswith(prefix) and len(compact) == len(prefix) + 8:
                compact = compact[len(prefix) :]
    return compact


@dataclass(frozen=True)
class RevealRequest:
    """One request to re-identify a pseudonym: who asked, who approved, when it was used."""

    id: int
    token: str
    requested_by: str
    requested_at: str
    approved_by: str | None
    approved_at: str | None
    used_at: str | None

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        return "approved" if self.approved_by else "pending"


@dataclass(frozen=True)
class VaultEntry:
    """A revealed pseudonym (only ever returned to an authorised caller)."""

    token: str
    entity_type: EntityType
    value: str


class Vault:
    """The encrypted pseudonym store of one tenant.

    Args:
        settings: Sandbox settings (vault location).
        tenant: Tenant whose vault this is; defaults to the acting identity's tenant.
        audit: Where its entries go; defaults to the settings' audit log (the sandbox server
            passes its own).
    """

    def __init__(
        self, settings: Settings, tenant: str | None = None, audit: AuditTrail | None = None
    ) -> None:
        self.settings = settings
        self.tenant = tenant or settings.identity.tenant
        self._audit = audit
        self.directory = settings.vault_dir / self.tenant
        self._key: bytes | None = None
        self._db: sqlite3.Connection | None = None

    # -- storage ---------------------------------------------------------------------------

    def _load_key(self) -> bytes:
        """The tenant's Fernet key, unwrapped with the KEK (see :mod:`sandbox.privacy.keys`).

        A new vault gets a key created atomically and stored only wrapped; an older vault's
        plain ``vault.key`` is wrapped and removed on first use.
        """
        if self._key is None:
            from cryptography.fernet import Fernet

            wrapped = self.directory / "vault.key.wrapped"
            plain = self.directory / "vault.key"
            exists = wrapped.exists() or plain.exists()
            if not exists and (self.directory / "vault.db").exists():
                raise DataError(
                    f"the vault of tenant '{self.tenant}' has entries but its key "
                    f"{wrapped} is missing; restore it from backup"
                )
            kek = key_encryption_key(self.settings, create=not exists)
            self.directory.mkdir(parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)
            if plain.exists() and not wrapped.exists():
                create_exclusive(wrapped, kek.wrap(plain.read_bytes().strip()), mode=0o600)
            if not wrapped.exists():
                create_exclusive(wrapped, kek.wrap(Fernet.generate_key()), mode=0o600)
            key = kek.unwrap(wrapped.read_bytes())
            if plain.exists():
                if plain.read_bytes().strip() != key:
                    raise DataError(
                        f"{plain} and {wrapped} hold different keys; restore the vault from backup"
                    )
                plain.unlink()
            try:
                Fernet(key)
            except ValueError:
                raise DataError(
                    f"the vault key {wrapped} is corrupt; restore it from backup (pseudonyms made "
                    "with it cannot be re-identified without it)"
                ) from None
            self._key = key
        return self._key

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._load_key()
            self._db = sqlite3.connect(self.directory / "vault.db", timeout=30)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS pseudonyms (digest TEXT PRIMARY KEY, "
                "entity_type TEXT NOT NULL, number INTEGER NOT NULL, value BLOB NOT NULL, "
                "UNIQUE (entity_type, number))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS reveal_requests (id INTEGER PRIMARY KEY, "
                "token TEXT NOT NULL, requested_by TEXT NOT NULL, requested_at TEXT NOT NULL, "
                "reason TEXT NOT NULL, approved_by TEXT, approved_at TEXT, used_at TEXT)"
            )
            self._db.commit()
        return self._db

    def _audit_log(self) -> AuditTrail:
        return self._audit if self._audit is not None else open_audit(self.settings)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _digest(self, entity_type: EntityType, value: str) -> str:
        message = f"{entity_type}|{normalise(entity_type, value)}".encode()
        return hmac.new(self._load_key(), message, hashlib.sha256).hexdigest()

    # -- pseudonyms --------------------------------------------------------------------------

    def keyed_hash(self, entity_type: EntityType, value: str, length: int = 10) -> str:
        """A short tenant-keyed hash of a value (for the ``hash`` operator); not reversible."""
        return self._digest(entity_type, value)[:length]

    def keyed_hashes(self, items: list[tuple[EntityType, str]], length: int = 10) -> list[str]:
        """:meth:`keyed_hash` of many values."""
        return [self.keyed_hash(entity_type, value, length) for entity_type, value in items]

    def pseudonym(self, entity_type: EntityType, value: str) -> str:
        """The tenant's token for a value, created on first sight, e.g. ``<HK_ID_7>``."""
        return self.pseudonyms([(entity_type, value)])[0]

    def pseudonyms(self, items: list[tuple[EntityType, str]]) -> list[str]:
        """Tokens for many values in one transaction (new values get the next number)."""
        from cryptography.fernet import Fernet

        db = self._conn()
        fernet = Fernet(self._load_key())
        tokens = []
        with db:
            db.execute("BEGIN IMMEDIATE")
            for entity_type, value in items:
                digest = self._digest(entity_type, value)
                row = db.execute(
                    "SELECT number FROM pseudonyms WHERE digest = ?", (digest,)
                ).fetchone()
                if row is None:
                    (last,) = db.execute(
                        "SELECT COALESCE(MAX(number), 0) FROM pseudonyms WHERE entity_type = ?",
                        (str(entity_type),),
                    ).fetchone()
                    number = int(last) + 1
                    db.execute(
                        "INSERT INTO pseudonyms VALUES (?, ?, ?, ?)",
                        (digest, str(entity_type), number, fernet.encrypt(value.encode())),
                    )
                else:
                    number = int(row[0])
                tokens.append(f"<{entity_type}_{number}>")
        return tokens

    def _authorise(self, identity: Identity, token: str, action: str) -> None:
        """Re-identification rights in this tenant; a refusal is audited and raised."""
        try:
            identity.require(Action.REIDENTIFY)
            if identity.tenant != self.tenant:
                raise AccessDenied(
                    f"user '{identity.user}' of tenant '{identity.tenant}' may not read the "
                    f"vault of tenant '{self.tenant}'"
                )
        except AccessDenied as exc:
            self._audit_log().append(
                identity,
                f"vault.{action}_refused",
                token,
                {"vault_tenant": self.tenant, "reason": str(exc)},
            )
            raise

    def request_reveal(self, token: str, identity: Identity, reason: str) -> int:
        """Ask to re-identify ``token``; a second authorised person must approve it (HKMA-AI-2,
        PDPO DPP4). Returns the request id. The reason is kept in the vault; the audit entry
        holds its sha256 only."""
        self._authorise(identity, token, "reveal_request")
        if len(reason.strip()) < 10:
            raise ConfigError("say why re-identification is needed (a reason of 10+ characters)")
        self._entry_row(token)  # a clear error for an unknown or malformed token
        now = datetime.now(UTC).isoformat(timespec="seconds")
        db = self._conn()
        with db:
            cursor = db.execute(
                "INSERT INTO reveal_requests (token, requested_by, requested_at, reason) "
                "VALUES (?, ?, ?, ?)",
                (token.strip(), identity.user, now, reason.strip()),
            )
        request_id = int(cursor.lastrowid or 0)
        self._audit_log().append(
            identity,
            "vault.reveal_requested",
            token,
            {
                "vault_tenant": self.tenant,
                "request": request_id,
                "reason_sha256": hashlib.sha256(reason.strip().encode()).hexdigest(),
            },
        )
        return request_id

    def approve_reveal(self, request_id: int, identity: Identity) -> RevealRequest:
        """Approve another person's pending request (never one's own)."""
        request = self.reveal_request(request_id)
        self._authorise(identity, request.token, "reveal_approve")
        if request.requested_by == identity.user:
            raise AccessDenied(
                f"'{identity.user}' asked for request {request_id}: a second person must "
                "approve it (HKMA-AI-2)"
            )
        if request.approved_by is not None:
            raise ConfigError(f"request {request_id} is approved already")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        db = self._conn()
        with db:
            cursor = db.execute(
                "UPDATE reveal_requests SET approved_by = ?, approved_at = ? "
                "WHERE id = ? AND approved_by IS NULL",
                (identity.user, now, request_id),
            )
        if cursor.rowcount != 1:  # approved meanwhile by someone else
            raise ConfigError(f"request {request_id} is approved already")
        self._audit_log().append(
            identity,
            "vault.reveal_approved",
            request.token,
            {
                "vault_tenant": self.tenant,
                "request": request_id,
                "requested_by": request.requested_by,
            },
        )
        return self.reveal_request(request_id)

    def reveal_request(self, request_id: int) -> RevealRequest:
        row = (
            self._conn()
            .execute(
                "SELECT id, token, requested_by, requested_at, approved_by, approved_at, used_at "
                "FROM reveal_requests WHERE id = ?",
                (int(request_id),),
            )
            .fetchone()
        )
        if row is None:
            raise ConfigError(f"no re-identification request {request_id} in '{self.tenant}'")
        return RevealRequest(*row)

    def reveal_requests(self) -> list[RevealRequest]:
        """Every request of this tenant, newest first (reasons are not listed)."""
        rows = self._conn().execute(
            "SELECT id, token, requested_by, requested_at, approved_by, approved_at, used_at "
            "FROM reveal_requests ORDER BY id DESC"
        )
        return [RevealRequest(*row) for row in rows]

    def _entry_row(self, token: str) -> tuple[EntityType, bytes]:
        match = TOKEN_RE.fullmatch(token.strip())
        if match is None:
            raise ConfigError(f"'{token}' is not a pseudonym (expected e.g. <HK_ID_7>)")
        try:
            entity_type = EntityType(match["type"])
        except ValueError:
            raise ConfigError(f"unknown entity type in pseudonym '{token}'") from None
        row = (
            self._conn()
            .execute(
                "SELECT value FROM pseudonyms WHERE entity_type = ? AND number = ?",
                (str(entity_type), int(match["number"])),
            )
            .fetchone()
        )
        if row is None:
            raise ConfigError(f"pseudonym {token} is not in the vault of tenant '{self.tenant}'")
        return entity_type, row[0]

    def reveal(self, token: str, identity: Identity, request_id: int | None = None) -> VaultEntry:
        """The personal data behind a token, for the person whose request ``request_id`` for
        this token a second person approved; each approved request reveals once.

        Raises:
            AccessDenied: The role may not re-identify, the identity is of another tenant, or
                there is no approved, unused request of this person for this token.
            ConfigError: The token is malformed or unknown to this tenant's vault.
        """
        from cryptography.fernet import Fernet, InvalidToken

        audit = self._audit_log()
        details: dict[str, object] = {"token": token, "vault_tenant": self.tenant}
        self._authorise(identity, token, "reveal")
        try:
            entity_type, encrypted = self._entry_row(token)
        except ConfigError:
            audit.append(identity, "vault.reveal_unknown", token, details)
            raise
        request = None if request_id is None else self.reveal_request(request_id)
        if (
            request is None
            or request.token != token.strip()
            or request.requested_by != identity.user
            or request.approved_by is None
            or request.used_at is not None
        ):
            reason = (
                "re-identification needs your own request approved by a second person: "
                f"`sandbox vault request '{token}' --reason ...`, then another compliance "
                "officer runs `sandbox vault approve ID`, then "
                f"`sandbox vault reveal '{token}' --request ID` (each approval reveals once)"
            )
            audit.append(identity, "vault.reveal_refused", token, {**details, "reason": reason})
            raise AccessDenied(reason)
        try:
            value = Fernet(self._load_key()).decrypt(encrypted).decode()
        except InvalidToken:
            raise DataError(f"the vault entry for {token} does not decrypt with the key") from None
        db = self._conn()
        with db:  # claim the approval before the value leaves: each approval reveals once
            cursor = db.execute(
                "UPDATE reveal_requests SET used_at = ? WHERE id = ? AND used_at IS NULL",
                (datetime.now(UTC).isoformat(timespec="seconds"), request.id),
            )
        if cursor.rowcount != 1:
            audit.append(identity, "vault.reveal_refused", token, {**details, "reason": "used"})
            raise AccessDenied(f"request {request.id} was used already (one reveal per approval)")
        audit.append(
            identity,
            "vault.reveal",
            token,
            {**details, "request": request.id, "approved_by": request.approved_by},
        )
        return VaultEntry(token=token, entity_type=entity_type, value=value)


def open_vault(settings: Settings) -> Vault | RemoteVault:
    """The acting tenant's vault: the sandbox server's (the server holds the keys and applies the
    same rules to the caller it authenticated) or, without a server, the one in the home."""
    if settings.server_url is not None:
        from sandbox.server.client import Credentials, RemoteVault

        return RemoteVault(Credentials.from_environment(settings.server_url))
    return Vault(settings)


def vault_path(settings: Settings, tenant: str) -> Path:
    """Directory of a tenant's vault."""
    return settings.vault_dir / tenant
