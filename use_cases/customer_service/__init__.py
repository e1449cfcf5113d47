"""Customer-service use case: intent routing on BANKING77 and the guarded bank assistant."""

CUSTOMER_SERVICE_EXPECTATIONS = (
    "HKMA-AI-1",
    "HKMA-AI-2",
    "HKMA-AI-3",
    "HKMA-AI-4",
    "HKMA-AI-5",
    "HKMA-AI-6",
    "HKMA-AI-7",
    "HKMA-AI-9",
    "HKMA-AI-10",
    "HKMA-AI-11",
    "HKMA-AI-12",
    "HKMA-BDAI-GOV",
    "HKMA-BDAI-TRANS",
    "HKMA-BDAI-PRIV",
    "HKMA-GENAI-HITL",
    "HKMA-GENAI-DISCLOSE",
    "HKMA-GENAI-OPTOUT",
    "HKMA-GENAI-ACCURACY",
    "HKMA-GENAI-VALID",
    "SFC-GENAI-2024",
    "PDPO-DPP",
    "PCPD-AI-2024",
    "HKMA-SANDBOX-AIVAI",
    "SR11-7",
)
"""Regulatory expectations the customer-service experiments answer to (traceability appendix)."""
