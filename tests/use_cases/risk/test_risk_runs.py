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


SMALL_MEMOS = [
    "applicants=400",
    "cv_folds=3",
    "n_boot=60",
    "llm.memos=2",
    "llm.summaries=1",
    "llm.summary_tokens=24",
]


def _pdf_text(run_id: str) -> str:
    from sandbox.reports.builder import build_report

    result = build_report(run_id, fmt="pdf", log_to_mlflow=False)
    text = subprocess.run(
        ["pdftotext", "-layout", str(result.pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return " ".join(text.split())


@pytest.mark.slow  # ~2 minutes: redaction and embeddings of 2,400 sentences, LLM, PDF
def test_memo_signals_run_compares_three_scorecards_and_reports_flags_and_the_gain(
    settings: Settings,
) -> None:
    record = sandbox.run_experiment("risk", "memo_signals", overrides=SMALL_MEMOS)
    client = mlflow.MlflowClient(settings.resolved_tracking_uri)
    assert client.get_run(record.run_id).info.status == "FINISHED"
    assert {m.role for m in record.models} == {"baseline", "challenger", "text_only"}
    challenger = record.model("challenger")
    gain = challenger.evaluation("memo_flag_gain")
    assert gain is not None and "oof_auc_gain" in gain.intervals
    low, high = gain.metrics["oof_auc_gain_low"], gain.metrics["oof_auc_gain_high"]
    assert low <= gain.metrics["oof_auc_gain"] <= high
    extraction = challenger.evaluation("memo_flag_extraction")
    assert extraction is not None
    for signal in ("late_payments", "litigation", "adverse_news"):
        assert 0 <= extraction.metrics[f"flag_recall.{signal}"] <= 1
        assert f"flag_precision.{signal}.zh" in extraction.metrics
    assert "memo_flag_extraction_llm" in {e.scorer for e in challenger.evaluations}
    assert challenger.evaluation("groundedness") is not None
    # no personal data of the memos reaches MLflow: the flag table holds redacted text only
    assert record.data_facts["redaction.HK_ID"] >= 400
    assert "memo_flags/extraction_quality.csv" in {a.path for a in challenger.artifacts}
    # the baseline does not see the memo flags, the challenger does
    assert not any("memo_flag" in f for f in _reason_inputs(record.model("baseline")))
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    flat = _pdf_text(record.run_id)
    for words in (
        "Flag extraction per flag and memo language",
        "Gain of the memo flags",
        "Memo flags read by the generative model",
        "Groundedness",
    ):
        assert words in flat, words
    assert f"[{low:.4f}, {high:.4f}]" in flat


def _reason_inputs(model: object) -> set[str]:
    reasons = model.evaluation("reason_codes")  # type: ignore[attr-defined]
    rows = reasons.evidence["tables"][0]["rows"]
    return {part.split(" = ")[0] for row in rows for part in str(row[-1]).split("; ")}
