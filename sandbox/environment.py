"""Environment defaults of the set-up virtual environment.

``sandbox.environment.install_defaults()`` (run by ``make install``) writes a ``.pth``
file into the venv so that every Python process there, including the ``mlflow`` command, starts
offline and points MLflow at the sandbox's store unless the user says otherwise. That is what
makes ``mlflow run use_cases/fraud ...`` land in ``mlruns/mlflow.db`` rather than a stray
``./mlflow.db``. Existing environment variables always win.

This module imports nothing from the sandbox: ``sandbox.config`` builds on it (it applies the
offline defaults and re-exports :data:`PROJECT_ROOT`), never the other way round.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}
PTH_NAME = "hk_genai_sandbox_env.pth"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or installed tree) that holds ``sandbox/``, ``use_cases/`` and ``data/``."""


def apply_offline_defaults() -> None:
    """Set the offline variables unless already set: nothing may download at run time."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)


def pth_line(project_root: Path) -> str:
    """One line of Python that a .pth file runs at interpreter start-up (no package imports)."""
    defaults = ", ".join(f"({k!r}, {v!r})" for k, v in OFFLINE_DEFAULTS.items())
    root = str(project_root)
    return (
        "import os; "
        f"[os.environ.setdefault(k, v) for k, v in ({defaults},)]; "
        f"os.environ.setdefault('MLFLOW_TRACKING_URI', os.environ.get('SANDBOX_TRACKING_URI') or "
        f"'sqlite:///' + os.path.join(os.environ.get('SANDBOX_HOME') or {root!r}, "
        "'mlruns', 'mlflow.db'))\n"
    )


def install_defaults() -> Path:
    """Write the .pth file into this interpreter's site-packages and return its path."""
    target = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    target.write_text(pth_line(PROJECT_ROOT), encoding="utf-8")
    return target
