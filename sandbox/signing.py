"""Ed25519 signatures for evidence bundles: the signing key (a 32-byte seed kept like the audit
key: hex, mode 0600, created atomically) and the fingerprint people compare."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.audit import load_or_create_key


def fingerprint(public_key: bytes) -> str:
    """The sha256 of a raw Ed25519 public key, as 16 groups of 4 hex digits."""
    digest = hashlib.sha256(public_key).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, 64, 4))


def same_fingerprint(a: str, b: str) -> bool:
    def norm(value: str) -> str:
        return value.replace(":", "").replace(" ", "").strip().lower()

    return norm(a) == norm(b)


def sign_with_key(key_path: Path, message: bytes) -> tuple[bytes, bytes]:
    """Sign with the Ed25519 key whose seed is at ``key_path`` (created 0600 when absent);
    returns (signature, raw public key)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = load_or_create_key(key_path, create=True, label="bundle signing key")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private.sign(message), public


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class BundleCheck:
    """What ``verify_bundle`` found: ``problems`` is empty when the bundle verifies."""

    path: Path
    run_id: str = ""
    tenant: str = ""
    review_state: str = ""
    signer: str = ""
    fingerprint: str = ""
    members: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems
