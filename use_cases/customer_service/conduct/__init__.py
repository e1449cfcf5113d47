"""The customer assistant's conduct policy: disclosure, handover, refusal and injection checks.

Public surface: :class:`ConductPolicy` (``decide(conversation) -> PolicyDecision``),
:class:`ConductCategory`, :func:`disclosure_sentence`, :func:`looks_like_injection`,
:func:`default_policy`, and :func:`evaluate_policy` for per-category / per-language scores.
Rules, replies and training utterances are YAML files beside this package.
"""

from use_cases.customer_service.conduct.data import ConductCategory
from use_cases.customer_service.conduct.evaluate_policy import PolicyReport, evaluate_policy
from use_cases.customer_service.conduct.policy import (
    ConductPolicy,
    PolicyDecision,
    default_policy,
    disclosure_sentence,
    looks_like_injection,
)

__all__ = [
    "ConductCategory",
    "ConductPolicy",
    "PolicyDecision",
    "PolicyReport",
    "default_policy",
    "disclosure_sentence",
    "evaluate_policy",
    "looks_like_injection",
]
