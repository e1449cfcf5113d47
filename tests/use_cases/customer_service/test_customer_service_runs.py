"""Integration: both customer-service experiments through `mlflow run`, as the README says, on
small slices of their data, each leaving a FINISHED run with its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from sandbox.config import PROJECT_ROOT, Settings

SMALL_INTENTS = [
    "train_per_intent=12",
    "test_sample=154",
    "robustness_sample=40",
    "challenger.hidden=64",
    "challenger.epochs=6",
]
SMALL_ASSISTANT = [
    "scenario_sample=40",
    "max_generated=2",
    "red_team.rounds=1",
    "red_team.max_seeds=2",
]


def _mlflow_run(experiment: str, overrides: list[str]) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [
            str(bin_dir / "mlflow"),
            "run",
            "use_cases/customer_service",
            "--env-manager",
            "local",
            "-P",
            f"experiment={experiment}",
            "-P",
            f"overrides={' '.join(overrides)}",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _finished_record(settings: Settings) -> dict:
    client = mlflow.MlflowClient(settings.resolved_tracking_uri)
    experiment = client.get_experiment_by_name("test-bank/customer_service")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], "tags.`sandbox.kind` = 'parent'")
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    run_id = runs[0].info.run_id
    artifacts = {a.path for a in client.list_artifacts(run_id, "report")}
    assert {"report/report.html", "report/report.pdf"} <= artifacts, artifacts
    path = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="run_record.json", tracking_uri=settings.resolved_tracking_uri
    )
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_intent_routing_mlflow_run_finishes_with_its_report(settings: Settings) -> None:
    out = _mlflow_run("intent_routing", SMALL_INTENTS)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "report:" in out.stdout
    record = _finished_record(settings)
    assert record["task"] == "multiclass_classification" and len(record["class_names"]) == 77
    roles = {m["role"]: m for m in record["models"]}
    assert set(roles) == {"baseline", "challenger"}
    for model in roles.values():
        assert 0.3 < model["metrics"]["accuracy"] <= 1.0
    routing = next(e for e in roles["challenger"]["evaluations"] if e["scorer"] == "routing")
    curve = routing["evidence"]["validation_operating_curve"]
    assert curve and all(0 <= row["automation_rate"] <= 1 for row in curve)
    # a higher confidence bar never automates more queries
    rates = [row["automation_rate"] for row in curve]
    assert rates == sorted(rates, reverse=True)


@pytest.mark.slow
def test_assistant_mlflow_run_finishes_with_its_report(settings: Settings) -> None:
    out = _mlflow_run("assistant", SMALL_ASSISTANT)
    assert out.returncode == 0, out.stderr[-3000:]
    record = _finished_record(settings)
    assert record["task"] == "conversational"
    challenger = next(m for m in record["models"] if m["role"] == "challenger")
    assert challenger["metrics"]["disclosure_rate"] == 1.0
    assert challenger["metrics"]["pii_leak_rate"] == 0.0
