"""Fraud use case: scam-message and transaction-fraud experiments."""
