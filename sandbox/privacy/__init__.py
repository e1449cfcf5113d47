"""Privacy layer: Hong Kong PII detection, pseudonymisation, the encrypted vault and the guard.

Public API::

    from sandbox.privacy import Redactor
    Redactor().redact("Call Chan Tai Man on 9123 4567").text   # 'Call <PERSON_1> on <HK_PHONE_1>'
"""

from __future__ import annotations

from sandbox.privacy.entities import STRUCTURED_TYPES, Entity, EntityType

__all__ = [
    "STRUCTURED_TYPES",
    "Entity",
    "EntityType",
    "Operator",
    "PiiAnalyzer",
    "Redaction",
    "Redactor",
    "Vault",
]


def __getattr__(name: str) -> object:
    # Heavy modules (Presidio, spaCy, cryptography) load on first use, not on `import sandbox`.
    if name == "PiiAnalyzer":
        from sandbox.privacy.analyzer import PiiAnalyzer

        return PiiAnalyzer
    if name in ("Redactor", "Redaction", "Operator"):
        from sandbox.privacy import redactor

        return getattr(redactor, name)
    if name == "Vault":
        from sandbox.privacy.vault import Vault

        return Vault
    raise AttributeError(name)
