import json
from pathlib import Path

import pytest
import yaml
from mlflow.projects import _parse_kubernetes_config  # MLflow's own check of the config

from sandbox.compute.kubernetes import (
    DEFAULT_BACKEND_CONFIG,
    DEFAULT_TEMPLATE,
    TENANT_LABEL,
    load_job_template,
    render_backend_config,
)
from sandbox.config import PROJECT_ROOT
from sandbox.errors import ConfigError


def _env(job: dict) -> dict[str, str]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in container["env"]}


def test_checked_in_backend_config_is_accepted_by_mlflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)  # the config's template path is relative to the checkout
    config = _parse_kubernetes_config(json.loads(DEFAULT_BACKEND_CONFIG.read_text()))
    assert config["kube-job-template"]["kind"] == "Job"
    assert config["repository-uri"] and config["kube-context"]


def test_mlflow_fills_the_template_and_keeps_gpu_limit_and_tenant() -> None:
    kb = pytest.importorskip(
        "mlflow.projects.kubernetes", reason="the kubernetes backend needs `pip install kubernetes`"
    )
    template = load_job_template()
    job = kb._get_kubernetes_job_definition(
        "fraud",
        "registry/fraud:1",
        "sha256:abc",
        ["python", "-m", "sandbox.mlproject", "fraud"],
        {"MLFLOW_RUN_ID": "r1"},
        template,
    )
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert job["metadata"]["name"].startswith("fraud-")
    assert container["image"] == "registry/fraud:1@sha256:abc"
    assert container["command"][0] == "python"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert _env(job)["MLFLOW_RUN_ID"] == "r1"
    assert _env(job)["SANDBOX_TENANT"] == job["metadata"]["labels"][TENANT_LABEL]


def test_render_for_a_tenant_uses_its_namespace(tmp_path: Path) -> None:
    path = render_backend_config("bank-a", tmp_path, kube_context="hk-prod")
    config = json.loads(path.read_text())
    assert config["kube-context"] == "hk-prod"
    parsed = _parse_kubernetes_config(config)
    job = parsed["kube-job-template"]
    assert job["metadata"]["namespace"] == "sandbox-bank-a"
    assert job["metadata"]["labels"][TENANT_LABEL] == "bank-a"
    assert job["spec"]["template"]["metadata"]["labels"][TENANT_LABEL] == "bank-a"
    assert _env(job)["SANDBOX_TENANT"] == "bank-a"
    assert list(_env(job)).count("SANDBOX_TENANT") == 1


def test_template_without_gpu_limit_or_bad_tenant_is_refused(tmp_path: Path) -> None:
    template = yaml.safe_load(DEFAULT_TEMPLATE.read_text())
    del template["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"][
        "nvidia.com/gpu"
    ]
    bad = tmp_path / "job.yaml"
    bad.write_text(yaml.safe_dump(template))
    with pytest.raises(ConfigError, match="nvidia.com/gpu"):
        load_job_template(bad)
    with pytest.raises(ConfigError, match="tenant"):
        render_backend_config("Bank A", tmp_path / "out")
