import math
from pathlib import Path

import pytest

from sandbox.errors import ConfigError
from sandbox.evaluation.thresholds import (
    Severity,
    Threshold,
    evaluate_thresholds,
    findings_from,
    load_thresholds,
)

AUC = Threshold(
    metric="auprc",
    limit=0.5,
    direction=">=",
    severity=Severity.HIGH,
    evidences="HKMA-AI-5",
    roles=("challenger",),
)
COST = Threshold(
    metric="cost", limit=100, direction="<=", severity=Severity.LOW, evidences="HKMA-AI-5"
)


def test_directions_and_boundaries() -> None:
    assert AUC.check(0.5).passed and not AUC.check(0.49).passed
    assert COST.check(100).passed and not COST.check(100.1).passed


def test_missing_or_nan_metric_fails() -> None:
    assert not AUC.check(None).passed
    assert not AUC.check(math.nan).passed


def test_roles_filter_and_every_failure_is_a_finding() -> None:
    metrics = {"auprc": 0.3, "cost": 500}
    assert len(evaluate_thresholds([AUC, COST], metrics, "baseline")) == 1
    verdicts = evaluate_thresholds([AUC, COST], metrics, "challenger")
    findings = findings_from(verdicts, "m", "challenger")
    assert [f.metric for f in findings] == ["auprc", "cost"]
    assert "breaches the limit >= 0.5" in findings[0].message
    assert findings[0].evidences == "HKMA-AI-5"


def test_load_thresholds_rejects_unknown_keys(tmp_path: Path) -> None:
    good = tmp_path / "t.yaml"
    good.write_text(
        "thresholds:\n  - {metric: f1, limit: 0.9, direction: '>=', severity: high, "
        "evidences: HKMA-AI-5}\n"
    )
    assert load_thresholds(good)[0].metric == "f1"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "thresholds:\n  - {metric: f1, limit: 0.9, direction: '>', severity: high, "
        "evidences: X, colour: red}\n"
    )
    with pytest.raises(ConfigError):
        load_thresholds(bad)


def test_shipped_threshold_files_cite_regulatory_ids() -> None:
    from sandbox.config import PROJECT_ROOT

    files = sorted((PROJECT_ROOT / "use_cases").glob("*/thresholds/*.yaml"))
    assert files
    prefixes = ("HKMA-AI-", "HKMA-BDAI-", "HKMA-GENAI-", "PDPO-", "PCPD-", "SFC-", "SR11-7")
    for path in files:
        for threshold in load_thresholds(path):
            assert threshold.evidences.startswith(prefixes), (path, threshold.metric)
