"""Registers the risk use case's experiments.

Loaded through the ``sandbox.use_cases`` entry point.
"""

from use_cases.risk import (
    credit_scoring,  # noqa: F401  (registers risk/credit_scoring)
    data,  # noqa: F401  (registers german_credit and credit_data)
    memo_signals,  # noqa: F401  (registers risk/memo_signals)
)
