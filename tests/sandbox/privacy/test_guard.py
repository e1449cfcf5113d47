"""The write guard sees every string (all-digit ones too), never repeats what it refused, and
guards metric names, run names, tags and descriptions. Identifiers here are synthetic."""

from __future__ import annotations

import json

import pytest

from sandbox.audit import AuditLog
from sandbox.config import Settings
from sandbox.errors import PrivacyViolation
from sandbox.privacy.guard import WriteGuard

# synthetic: a Luhn-valid test card, an HK mobile number, a Mainland ID with a valid check digit
CARD = "4111111111111111"
PHONE = "91234567"
CN_ID = "11010519491231002X"


@pytest.mark.parametrize("value", [CARD, PHONE, CN_ID])
def test_all_digit_identifiers_are_refused(settings: Settings, value: str) -> None:
    with pytest.raises(PrivacyViolation):
        WriteGuard(settings).check_mapping({"note": value}, "MLflow params")


def test_numbers_and_named_machine_fields_pass(settings: Settings) -> None:
    WriteGuard(settings).check_payload(
        {"seed": "42", "threshold": "0.5", "n_boot": "200", "auprc": 0.91, "cost": 21973100.0},
        "MLflow params",
    )


def test_a_refused_key_is_not_repeated_in_the_error_or_the_audit(settings: Settings) -> None:
    with pytest.raises(PrivacyViolation) as info:
        WriteGuard(settings).check_payload({"slices": {PHONE: {"n": 3}}}, "run record")
    assert PHONE not in str(info.value)
    entry = list(AuditLog(settings.audit_log_path).entries())[-1]
    assert entry.action == "privacy.refused"
    assert PHONE not in json.dumps(entry.model_dump(mode="json"))


def test_metric_names_from_slice_values_are_guarded(settings: Settings) -> None:
    with pytest.raises(PrivacyViolation) as info:
        WriteGuard(settings).check_names([f"recall.customer.{PHONE}", "auprc"], "MLflow metrics")
    assert PHONE not in str(info.value)
