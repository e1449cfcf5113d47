"""Per-tenant backend configuration for MLflow Projects' Kubernetes backend.

``deploy/kubernetes/job-template.yaml`` is the Job that MLflow fills in (name, image, command,
MLflow variables); ``render_backend_config`` writes a tenant's copy (its own namespace, tenant
label and SANDBOX_TENANT) plus the ``--backend-config`` JSON that points at it. Scheduling is
Kubernetes' own: GPUs are requested as ``nvidia.com/gpu`` and capped per namespace.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from sandbox.compute.quotas import require_tenant_name
from sandbox.config import PROJECT_ROOT
from sandbox.errors import ConfigError

DEFAULT_TEMPLATE = PROJECT_ROOT / "deploy" / "kubernetes" / "job-template.yaml"
DEFAULT_BACKEND_CONFIG = PROJECT_ROOT / "deploy" / "kubernetes" / "backend-config.json"
TENANT_LABEL = "sandbox.hk/tenant"


def load_job_template(path: Path = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """Read a Job template and check it has what MLflow fills in and a GPU limit.

    Raises:
        ConfigError: The file is missing, not YAML, or not a Job MLflow can fill in.
    """
    try:
        template = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read Kubernetes job template {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Kubernetes job template {path} is not valid YAML: {exc}") from None
    try:
        namespace = template["metadata"]["namespace"]
        container = template["spec"]["template"]["spec"]["containers"][0]
        limits = container["resources"]["limits"]
        is_job = template["kind"] == "Job" and bool(namespace) and isinstance(limits, dict)
    except (KeyError, IndexError, TypeError):
        is_job = False
    if not is_job:
        raise ConfigError(
            f"Kubernetes job template {path} must be a batch/v1 Job with metadata.namespace and "
            "spec.template.spec.containers[0].resources.limits (see deploy/kubernetes/)"
        )
    if "nvidia.com/gpu" not in limits:
        raise ConfigError(
            f"Kubernetes job template {path} has no nvidia.com/gpu limit in its first container"
        )
    return template


def tenant_job_template(template: dict[str, Any], tenant: str) -> dict[str, Any]:
    """A copy of ``template`` for ``tenant``: namespace ``sandbox-<tenant>``, labels, env."""
    require_tenant_name(tenant)
    job = copy.deepcopy(template)
    job["metadata"]["namespace"] = f"sandbox-{tenant}"
    for holder in (job["metadata"], job["spec"]["template"].setdefault("metadata", {})):
        holder.setdefault("labels", {})[TENANT_LABEL] = tenant
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = [e for e in container.get("env") or [] if e.get("name") != "SANDBOX_TENANT"]
    container["env"] = [{"name": "SANDBOX_TENANT", "value": tenant}, *env]
    return job


def render_backend_config(
    tenant: str,
    out_dir: Path,
    *,
    kube_context: str | None = None,
    repository_uri: str | None = None,
    template: Path = DEFAULT_TEMPLATE,
    base_config: Path = DEFAULT_BACKEND_CONFIG,
) -> Path:
    """Write ``tenant``'s job template and backend config into ``out_dir``.

    Args:
        tenant: The tenant whose namespace the Job runs in.
        out_dir: Folder for ``job-template.yaml`` and ``backend-config.json``.
        kube_context: kubectl context; defaults to the one in ``base_config``.
        repository_uri: Image repository MLflow pushes to; defaults to ``base_config``'s.
        template: The Job template to adapt.
        base_config: The backend config supplying defaults.

    Returns:
        The backend config's path, for ``mlflow run ... --backend-config``.
    """
    job = tenant_job_template(load_job_template(template), tenant)
    try:
        base = json.loads(Path(base_config).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read backend config {base_config}: {exc}") from None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    job_path = out_dir / "job-template.yaml"
    job_path.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    config = {
        "kube-context": kube_context or base["kube-context"],
        "kube-job-template-path": str(job_path.resolve()),
        "repository-uri": repository_uri or base["repository-uri"],
    }
    config_path = out_dir / "backend-config.json"
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config_path
