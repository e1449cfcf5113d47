"""Integration: small fraud experiments into a temporary MLflow store, checked through MLflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

import sandbox
from sandbox.config import PROJECT_ROOT, Settings
from sandbox.errors import ConfigError, QuotaExceeded

SMALL_TRANSACTIONS = [
    "simulation.days=21",
    "simulation.daily_volume=400",
    "simulation.n_customers=800",
    "test_days=7",
    "review_capacity_per_day=10",
    "challenger.max_iter=60",
    "explanations.enabled=false",
]
SMALL_SCAM = [
    "sms_sample=800",
    "hk_per_family=4",
    "cv_folds=2",
    "robustness_sample=60",
    "llm.enabled=false",
]
SMALL_LLM = [
    "llm.enabled=true",
    "llm.sample=24",
    "llm.shots_per_class=1",
    "llm.robustness_limit=4",
    "llm.explain_rows=1",
]


def _client(settings: Settings) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(settings.resolved_tracking_uri)


def _stable(metrics: dict[str, float]) -> dict[str, float | None]:
    """Metrics without timings; NaN (recall of a slice without frauds) as None so it compares."""
    return {
        k: (None if np.isnan(v) else v) for k, v in metrics.items() if not k.endswith("_seconds")
    }


def test_transactions_run_lands_in_mlflow_with_children_artifacts_and_audit(
    settings: Settings,
) -> None:
    record = sandbox.run_experiment("fraud", "transactions", overrides=SMALL_TRANSACTIONS)
    client = _client(settings)
    parent = client.get_run(record.run_id)
    assert parent.info.status == "FINISHED"
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.name == "test-bank/fraud"
    assert parent.data.tags["sandbox.user"] == "test-scientist"
    assert parent.data.tags["sandbox.role"] == "data_scientist"
    assert {"baseline.auprc", "challenger.auprc", "challenger.precision_at_capacity"} <= set(
        parent.data.metrics
    )

    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{record.run_id}'"
    )
    assert sorted(c.data.tags["role"] for c in children) == ["baseline", "challenger"]
    assert all(c.info.status == "FINISHED" for c in children)
    keys = [set(c.data.metrics) for c in children]
    assert keys[0] == keys[1], "children must carry the same metric keys"
    assert {
        "auprc",
        "roc_auc",
        "precision_at_capacity",
        "recall_at_capacity",
        "expected_cost",
    } <= keys[0]
    for child in children:
        logged = {a.path for a in client.list_artifacts(child.info.run_id, "figures")}
        assert logged == {
            "figures/pr_curve.png",
            "figures/confusion_matrix.png",
            "figures/score_distribution.png",
        }

    # The logged record equals the returned one, and metrics equal MLflow's.
    stored = sandbox.load_run_record(record.run_id)
    # (compared as JSON text: slices without frauds carry NaN recall, and NaN != NaN)
    assert stored.model_dump_json() == record.model_dump_json()
    challenger = record.model("challenger")
    child = client.get_run(challenger.run_id)
    for key in ("auprc", "precision_at_capacity", "expected_cost"):
        assert child.data.metrics[key] == pytest.approx(challenger.metrics[key])
    assert record.schema_version == "1.3"
    assert record.data_facts["test_frauds"] > 0

    # Audit: started + finished for this run, identity recorded, chain verifies.
    entries = [e for e in sandbox.audit_entries() if e.target == record.run_id]
    assert [e.action for e in entries] == ["run.started", "run.finished"]
    assert {(e.tenant, e.user, e.role) for e in entries} == {
        ("test-bank", "test-scientist", "data_scientist")
    }
    assert sandbox.verify_audit_log()[1] == 2

    # The logged model scores rows through pyfunc.
    model = mlflow.pyfunc.load_model(challenger.model_uri)
    stored_test = record.model("challenger")
    assert stored_test.model_uri.startswith("models:/")
    columns = [c.name for c in model.metadata.get_input_schema().inputs]
    frame = pd.DataFrame(
        {
            c: ["FPS", "card"]
            if c == "channel"
            else ["mobile", ""]
            if c == "payee_proxy_type"
            else ["", "5411"]
            if c == "mcc"
            else [1.0, 2.0]
            for c in columns
        }
    )
    assert np.asarray(model.predict(frame)).shape == (2, 2)


@pytest.mark.slow  # two whole runs; `make test-all` (the demo's figures repeat run to run too)
def test_same_seed_gives_identical_metrics(settings: Settings) -> None:
    first = sandbox.run_experiment("fraud", "transactions", overrides=SMALL_TRANSACTIONS)
    second = sandbox.run_experiment("fraud", "transactions", overrides=SMALL_TRANSACTIONS)
    for role in ("baseline", "challenger"):
        assert _stable(first.model(role).metrics) == _stable(second.model(role).metrics)
    other = sandbox.run_experiment(
        "fraud", "transactions", overrides=[*SMALL_TRANSACTIONS, "seed=7"]
    )
    assert _stable(other.model("challenger").metrics) != _stable(first.model("challenger").metrics)


@pytest.mark.slow  # ~90 s; the scam run itself stays in the default suite (test_no_pii_in_mlruns)
def test_scam_messages_run_scores_text_through_pyfunc(settings: Settings) -> None:
    from sandbox.models.embedded import embedded_status

    usable, reason = embedded_status()
    if not usable:
        pytest.skip(reason)
    record = sandbox.run_experiment("fraud", "scam_messages", overrides=SMALL_SCAM + SMALL_LLM)
    assert [m.role for m in record.models] == ["baseline", "challenger", "llm"]
    _check_llm_candidate(record, settings)
    challenger = record.model("challenger")
    for key in (
        "f1",
        "auprc",
        "cv_f1_sms_mean",
        "f1.segment.hk_en",
        "f1.segment.hk_yue",
        "f1.segment.hk_zh-Hant",
        "f1.segment.sms_en",
    ):
        assert key in challenger.metrics, key
    assert any(p.name.endswith("all-MiniLM-L6-v2") for p in challenger.provenance)
    model = mlflow.pyfunc.load_model(challenger.model_uri)
    texts = [
        "URGENT: your HSBC account is frozen, verify now at http://hsbc-hk-verify.com",
        "See you at dim sum at 12:30 tomorrow?",
        "【香港郵政】你的包裹因地址不全未能派送，請於24小時內點擊連結更新資料並繳付HK$12",
    ]
    scores = np.asarray(model.predict(pd.DataFrame({"text": texts})))
    assert scores.shape == (3, 2)
    assert scores[0, 1] > scores[1, 1]


def _check_llm_candidate(record: sandbox.RunRecord, settings: Settings) -> None:
    """The LLM classifier ran through the gateway on its fixed sample and is in the report."""
    llm = record.model("llm")
    assert llm.metrics["n"] == 24 and llm.metrics["sample.n"] == 24
    assert 0.0 <= llm.metrics["roc_auc"] <= 1.0
    # like-for-like: the trained models are also scored on the LLM's sample
    assert record.model("challenger").metrics["sample.n"] == 24
    assert "cv_f1_sms_mean" not in llm.metrics
    assert llm.provenance[0].name == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert llm.model_uri.endswith("model/model.json")
    described = json.loads(Path(mlflow.artifacts.download_artifacts(llm.model_uri)).read_text())
    assert described["labels"] == ["scam", "legitimate"] and len(described["examples"]) == 2
    assert any(v.threshold.metric == "auprc" for v in llm.verdicts)  # same test thresholds
    entries = [
        json.loads(line)
        for line in settings.audit_log_path.read_text(encoding="utf-8").splitlines()
        if '"model.score"' in line
    ]
    assert entries and entries[0]["details"]["purpose"] == "fraud/scam_messages llm classifier"
    assert sum(e["details"]["items"] for e in entries) >= 24
    from sandbox.reports.builder import build_report

    html = build_report(record.run_id, fmt="html", log_to_mlflow=False).html_path
    text = html.read_text(encoding="utf-8")
    assert llm.name in text and "F1 on the LLM&#39;s test sample" in text


def test_mlflow_project_run_id_is_reused_as_parent(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox import tracking

    experiment_id = tracking.ensure_experiment(settings, "fraud")
    created = _client(settings).create_run(experiment_id)
    monkeypatch.setenv("MLFLOW_RUN_ID", created.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.resolved_tracking_uri)
    record = sandbox.run_experiment("fraud", "transactions", overrides=SMALL_TRANSACTIONS)
    assert record.run_id == created.info.run_id
    parent = _client(settings).get_run(created.info.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["sandbox.kind"] == "parent"
    child_ids = {m.run_id for m in record.models}
    assert len(child_ids) == 2 and created.info.run_id not in child_ids


def test_mlflow_project_run_in_another_experiment_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox import tracking

    tracking.configure(settings)
    client = _client(settings)
    stray = client.create_run(client.create_experiment("somewhere-else"))
    monkeypatch.setenv("MLFLOW_RUN_ID", stray.info.run_id)
    with pytest.raises(ConfigError, match="--experiment-name test-bank/fraud"):
        sandbox.run_experiment("fraud", "transactions", overrides=SMALL_TRANSACTIONS)


def test_mlflow_run_cli_lands_in_the_sandbox_store(settings: Settings) -> None:
    """`mlflow run use_cases/fraud` from the project root, as the README says."""
    stray = PROJECT_ROOT / "mlflow.db"
    existed = stray.exists()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MLFLOW_TRACKING_URI", None)
    overrides = " ".join(SMALL_TRANSACTIONS)
    out = subprocess.run(
        [
            str(bin_dir / "mlflow"),
            "run",
            "use_cases/fraud",
            "--env-manager",
            "local",
            "-P",
            "experiment=transactions",
            "-P",
            f"overrides={overrides}",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    client = _client(settings)
    experiment = client.get_experiment_by_name("test-bank/fraud")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], "tags.`sandbox.kind` = 'parent'")
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert runs[0].data.tags.get("mlflow.project.entryPoint") == "main"
    assert stray.exists() == existed, "mlflow run must not create a stray ./mlflow.db"
    record = json.loads(
        Path(
            mlflow.artifacts.download_artifacts(
                run_id=runs[0].info.run_id,
                artifact_path="run_record.json",
                tracking_uri=settings.resolved_tracking_uri,
            )
        ).read_text()
    )
    assert record["experiment"] == "transactions"


def test_a_run_that_would_pass_the_token_quota_is_refused_before_any_work(
    settings: Settings,
) -> None:
    """The scam experiment's LLM needs ~180,000 gateway tokens: with 1,000 left for the day
    the run stops at once, naming what it needs, instead of after minutes of training."""
    quotas = settings.home / "config" / "quotas.yaml"
    quotas.parent.mkdir(parents=True, exist_ok=True)
    quotas.write_text("default:\n  tokens_per_day: 1000\n", encoding="utf-8")
    with pytest.raises(QuotaExceeded, match=r"this needs 183,600 more"):
        sandbox.run_experiment("fraud", "scam_messages")
    client = _client(settings)
    assert client.get_experiment_by_name("test-bank/fraud") is None  # nothing was started
