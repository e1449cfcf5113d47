"""The venv's environment defaults: offline variables, the .pth line, and a one-way import."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from sandbox import config, environment


def _fresh_python(code: str, env: dict[str, str], *, site: bool = True) -> str:
    """stdout of ``code`` in a new interpreter; ``site=False`` skips the venv's own .pth files."""
    flags = [] if site else ["-S"]
    result = subprocess.run(
        [sys.executable, *flags, "-c", code],
        env=env,
        cwd=environment.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_environment_imports_nothing_from_the_sandbox() -> None:
    """config imports environment, so environment importing config would be a circle."""
    tree = ast.parse(Path(environment.__file__).read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and not [name for name in imported if name.split(".")[0] == "sandbox"]


def test_config_re_exports_the_project_root() -> None:
    assert config.PROJECT_ROOT is environment.PROJECT_ROOT
    assert (config.PROJECT_ROOT / "sandbox" / "environment.py").is_file()


def test_pth_line_sets_offline_defaults_and_tracking_uri(tmp_path: Path) -> None:
    line = environment.pth_line(tmp_path / "checkout")
    keys = [*environment.OFFLINE_DEFAULTS, "MLFLOW_TRACKING_URI"]
    show = "; print('|'.join(os.environ.get(k, '<unset>') for k in " + repr(keys) + "))"
    bare = {k: v for k, v in os.environ.items() if k not in keys and not k.startswith("SANDBOX_")}
    values = _fresh_python(line.strip() + show, bare, site=False).split("|")
    assert values[:-1] == list(environment.OFFLINE_DEFAULTS.values())
    assert values[-1] == f"sqlite:///{tmp_path / 'checkout' / 'mlruns' / 'mlflow.db'}"

    mine = {**bare, "HF_HUB_OFFLINE": "0", "SANDBOX_HOME": str(tmp_path / "home")}
    values = _fresh_python(line.strip() + show, mine, site=False).split("|")
    assert values[0] == "0"  # an existing variable wins
    assert values[-1] == f"sqlite:///{tmp_path / 'home' / 'mlruns' / 'mlflow.db'}"
