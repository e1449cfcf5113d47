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
from pathlib import Path

from sandbox.audit import open_audit
from sandbox.config import Settings
from sandbox.errors import AccessDenied, ConfigError, DataError
from sandbox.fileio import create_exclusive
from sandbox.identity import Action, Identity
from sandbox.privacy.entities import EntityType
from sandbox.privacy.keys import key_encryption_key

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
    """

    def __init__(self, settings: Settings, tenant: str | None = None) -> None:
        self.settings = settings
        self.tenant = tenant or settings.identity.tenant
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
            self._db.commit()
        return self._db

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

    def reveal(self, token: str, identity: Identity) -> VaultEntry:
        """The personal data behind a token, for an authorised identity of this tenant.

        Raises:
            AccessDenied: The role may not re-identify, or the identity is of another tenant.
            ConfigError: The token is malformed or unknown to this tenant's vault.
        """
        from cryptography.fernet import Fernet, InvalidToken

        audit = open_audit(self.settings)
        details = {"token": token, "vault_tenant": self.tenant}
        try:
            identity.require(Action.REIDENTIFY)
            if identity.tenant != self.tenant:
                raise AccessDenied(
                    f"user '{identity.user}' of tenant '{identity.tenant}' may not read the "
                    f"vault of tenant '{self.tenant}'"
                )
        except AccessDenied as exc:
            audit.append(identity, "vault.reveal_refused", token, {**details, "reason": str(exc)})
            raise
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
            audit.append(identity, "vault.reveal_unknown", token, details)
            raise ConfigError(f"pseudonym {token} is not in the vault of tenant '{self.tenant}'")
        try:
            value = Fernet(self._load_key()).decrypt(row[0]).decode()
        except InvalidToken:
            raise DataError(f"the vault entry for {token} does not decrypt with the key") from None
        audit.append(identity, "vault.reveal", token, details)
        return VaultEntry(token=token, entity_type=entity_type, value=value)


def vault_path(settings: Settings, tenant: str) -> Path:
    """Directory of a tenant's vault."""
    return settings.vault_dir / tenant
