"""Registers the risk use case's data sets (its experiments follow, see issue 13)."""

from use_cases.risk import data  # noqa: F401  (registers german_credit and credit_data)
