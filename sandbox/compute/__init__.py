"""Compute: devices and dtypes, per-tenant quotas and usage, a local job queue, scale-out.

One machine: ``list_devices``/``select_device``/``select_dtype``, the quotas file, the usage
ledger (shared with the model gateway) and the fair-share ``JobQueue``. Several machines use
existing engines: Ray job submission (``ray_backend``) or MLflow Projects on Kubernetes
(``kubernetes``); see docs/compute.md. Importing this package does not import torch or ray.
"""

from __future__ import annotations

from sandbox.compute.devices import Device, list_devices, select_device, select_dtype
from sandbox.compute.queue import Job, JobQueue
from sandbox.compute.quotas import QuotaConfig, TenantQuota, load_quota, load_quotas, quotas_path
from sandbox.compute.usage import Lease, UsageLedger
from sandbox.errors import QuotaExceeded

__all__ = [
    "Device",
    "Job",
    "JobQueue",
    "Lease",
    "QuotaConfig",
    "QuotaExceeded",
    "TenantQuota",
    "UsageLedger",
    "list_devices",
    "load_quota",
    "load_quotas",
    "quotas_path",
    "select_device",
    "select_dtype",
]
