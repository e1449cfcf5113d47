"""Registers the customer-service use case's experiments.

Loaded through the ``sandbox.use_cases`` entry point.
"""

from use_cases.customer_service import (
    assistant_experiment,  # noqa: F401  (registers customer_service/assistant)
    intent_routing,  # noqa: F401  (registers customer_service/intent_routing)
)
