"""Risk management use case: credit decisions with GenAI features, reason codes, stress tests."""

RISK_EXPECTATIONS = (
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
    "HKMA-AI-12",
    "HKMA-BDAI-GOV",
    "HKMA-BDAI-FAIR",
    "HKMA-BDAI-TRANS",
    "HKMA-BDAI-PRIV",
    "PDPO-DPP",
    "SR11-7",
)
"""Regulatory expectations the risk experiments answer to (traceability appendix)."""
