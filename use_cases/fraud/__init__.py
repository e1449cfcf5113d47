"""Fraud use case: scam-message and transaction-fraud experiments."""

FRAUD_EXPECTATIONS = (
    "HKMA-AI-1",
    "HKMA-AI-2",
    "HKMA-AI-3",
    "HKMA-AI-4",
    "HKMA-AI-5",
    "HKMA-AI-6",
    "HKMA-AI-7",
    "HKMA-AI-8",
    "HKMA-AI-9",
    "HKMA-AI-10",
    "HKMA-AI-11",
    "HKMA-AI-12",
    "HKMA-BDAI-GOV",
    "HKMA-BDAI-FAIR",
    "HKMA-BDAI-TRANS",
    "HKMA-BDAI-PRIV",
    "HKMA-GENAI-ACCURACY",
    "HKMA-GENAI-VALID",
    "HKMA-AML-AI-2024",
    "PDPO-DPP",
    "SR11-7",
)
"""Regulatory expectations the fraud experiments answer to (traceability appendix)."""
