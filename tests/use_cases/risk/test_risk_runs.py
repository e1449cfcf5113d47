"""Integration: risk/credit_scoring into a temporary MLflow store, its report read back."""

from __future__ import annotations

import shutil
import subprocess

import mlflow
import pytest

import sandbox
from sandbox.config import Settings

SMALL_CREDIT = [
    "cv_folds=2",
    "challenger.boosting.max_iter=60",
    "challenger.forest.n_estimators=40",
    "n_boot=40",
    "reason_examples=5",
]


def test_credit_scoring_run_and_its_pdf_carry_scorecard_reasons_stress_and_gaps(
    settings: Settings,
) -> None:
    record = sandbox.run_experiment("risk", "credit_scoring", overrides=SMALL_CREDIT)
    client = mlflow.MlflowClient(settings.resolved_tracking_uri)
    assert client.get_run(record.run_id).info.status == "FINISHED"
    baseline, challenger = record.model("baseline"), record.model("challenger")
    for model in (baseline, challenger):
        assert {"cv_roc_auc_mean", "roc_auc", "ks", "gini", "approval_rate"} <= set(model.metrics)
        assert model.metrics["gini"] == pytest.approx(2 * model.metrics["roc_auc"] - 1)
        reasons = model.evaluation("reason_codes")
        assert reasons is not None and reasons.metrics["declined"] > 0
        assert reasons.metrics["reason_coverage"] == 1.0
        assert reasons.metrics["reason_agreement"] == 1.0
        stress = model.evaluation("stress_test")
        assert stress is not None
        assert {"stress.severe_combined.approval_rate", "stress_dpd_max"} <= set(stress.metrics)
        assert "stress.base.dpd.age_band" in stress.intervals
        bootstrap = model.evaluation("stability")
        assert bootstrap is not None and {"ks", "gini"} <= set(bootstrap.intervals)
    # the inputs (drift is measured on each) exclude every protected attribute and its source
    drift = record.evaluation("drift")
    assert drift is not None
    inputs = {k.removeprefix("psi.") for k in drift.metrics if k.startswith("psi.")}
    assert "duration_in_month" in inputs
    assert not {"age_band", "sex", "personal_status", "foreign_worker", "age_in_years"} & inputs
    assert "age_in_years" in str(record.data_facts["excluded_from_inputs"])
    # the points table is an artifact of the baseline's run, hashed in the record
    paths = {a.path: a.sha256 for a in baseline.artifacts}
    assert "scorecard/points_table.csv" in paths
    table = client.download_artifacts(baseline.run_id, "scorecard/points_table.csv")
    with open(table, encoding="utf-8") as handle:
        header = handle.readline().strip()
    assert header == "Input,Bin,Goods,Bads,WoE,Points"
    assert "reason_codes/declined.csv" in {a.path for a in challenger.artifacts}
    # a fairness gap above its threshold is a finding, one below is not
    dpd = challenger.metrics["dpd_max"]
    breached = {f.metric for f in record.findings if f.role == "challenger"}
    assert ("dpd_max" in breached) == (dpd > 0.10)

    # the PDF a compliance officer reads carries the stress table, gaps with intervals, the
    # points table and reason codes
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    from sandbox.reports.builder import build_report

    result = build_report(record.run_id, fmt="both", log_to_mlflow=False)
    html = result.html_path.read_text(encoding="utf-8")
    text = subprocess.run(
        ["pdftotext", "-layout", str(result.pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    for words in (
        "Stress table",
        "severe combined",
        "Decline-rate gap by attribute",
        "Points table",
        "Reason codes of declined test applicants",
        "Predicted and observed bad rate by score band",
        "Demographic parity",
    ):
        assert words in flat, words
    assert "Stress table" in html
    # the gaps carry intervals in the PDF: "age_band 0.123 [0.045, 0.201]"
    assert "age_band" in flat and "personal_status" in flat
    stress = challenger.evaluation("stress_test")
    assert stress is not None
    low = stress.intervals["stress.base.dpd.age_band"].low
    assert f"[{low:.3f}," in flat
