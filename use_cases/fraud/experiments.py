"""Registers the fraud use case's experiments (loaded through the ``sandbox.use_cases`` entry point)."""

from use_cases.fraud import scam_messages  # noqa: F401  (registers fraud/scam_messages)
from use_cases.fraud import transactions  # noqa: F401  (registers fraud/transactions)
