"""Registers the fraud use case's experiments.

Loaded through the ``sandbox.use_cases`` entry point.
"""

from use_cases.fraud import (
    scam_messages,  # noqa: F401  (registers fraud/scam_messages)
    transactions,  # noqa: F401  (registers fraud/transactions)
)
