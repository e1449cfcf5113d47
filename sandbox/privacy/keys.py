"""Key-encryption keys (KEK) for the tenants' vault keys.

Each tenant's vault key (Fernet) is stored only wrapped (encrypted) under a key-encryption key
held outside the sandbox home: the secret in ``SANDBOX_VAULT_KEK`` (a Fernet key, for a secret
manager to inject), or else the file ``SANDBOX_VAULT_KEK_FILE`` (default
``~/.config/hk-genai-sandbox/vault-kek``, created 0600 on first use). A KMS fits behind the same
two calls later. Copying the sandbox home alone therefore reveals no personal data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from sandbox.config import Settings
from sandbox.errors import ConfigError, DataError
from sandbox.fileio import create_exclusive

DEFAULT_KEK_FILE = Path("~/.config/hk-genai-sandbox/vault-kek")


class KeyEncryptionKey(Protocol):
    """Wraps and unwraps tenants' vault keys."""

    name: str

    def wrap(self, key: bytes) -> bytes: ...

    def unwrap(self, blob: bytes) -> bytes: ...


class FernetKek:
    """A KEK that is itself a Fernet key (from a file or an environment secret)."""

    def __init__(self, secret: bytes, name: str) -> None:
        from cryptography.fernet import Fernet

        try:
            self._fernet = Fernet(secret.strip())
        except ValueError:
            raise ConfigError(
                f"the vault key-encryption key ({name}) is not a Fernet key (32 url-safe base64 "
                "bytes); restore the right one"
            ) from None
        self.name = name

    def wrap(self, key: bytes) -> bytes:
        return self._fernet.encrypt(key)

    def unwrap(self, blob: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(blob.strip())
        except InvalidToken:
            raise DataError(
                f"a vault key does not unwrap with the key-encryption key ({self.name}); set the "
                "key the vault was created with (SANDBOX_VAULT_KEK or SANDBOX_VAULT_KEK_FILE)"
            ) from None


def key_encryption_key(settings: Settings, *, create: bool) -> KeyEncryptionKey:
    """The configured KEK; the default file is created when ``create`` is true.

    Raises:
        ConfigError: the KEK file would lie inside the sandbox home, or is missing when vault
            keys already exist (``create`` false).
    """
    secret = os.environ.get("SANDBOX_VAULT_KEK")
    if secret:
        return FernetKek(secret.encode("ascii"), "SANDBOX_VAULT_KEK")
    path = Path(os.environ.get("SANDBOX_VAULT_KEK_FILE") or DEFAULT_KEK_FILE).expanduser().resolve()
    if path.is_relative_to(settings.home):
        raise ConfigError(
            f"the vault key-encryption key {path} lies inside the sandbox home {settings.home}; "
            "keep it elsewhere (SANDBOX_VAULT_KEK_FILE) so a copy of the home reveals nothing"
        )
    if not path.exists():
        if not create:
            raise ConfigError(
                f"the vault key-encryption key {path} is missing but vaults exist; restore it "
                "(or set SANDBOX_VAULT_KEK / SANDBOX_VAULT_KEK_FILE to where it is)"
            )
        from cryptography.fernet import Fernet

        create_exclusive(path, Fernet.generate_key(), mode=0o600)
    return FernetKek(path.read_bytes(), str(path))
