"""Entry point that MLflow Projects call (``use_cases/<name>/MLproject``).

MLflow has already created a run and passes ``MLFLOW_RUN_ID``; the runner reuses it as the
parent run. Parameters: experiment name, optional YAML config, and space-separated overrides.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from sandbox import build_report, champion_run_id
from sandbox.config import PROJECT_ROOT
from sandbox.errors import ConfigError, SandboxError
from sandbox.runner import run_experiment


def _resolve_config(value: str) -> Path | None:
    if not value.strip():
        return None
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    candidate = PROJECT_ROOT / path
    if candidate.exists():
        return candidate
    raise ConfigError(
        f"config file not found: {value} (relative paths are taken from the project root)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.mlproject")
    parser.add_argument("use_case")
    parser.add_argument("--experiment", default=None)
    parser.add_argument("--config", default="")
    parser.add_argument("--overrides", default="", help="space-separated key=value pairs")
    parser.add_argument(
        "--report",
        default="true",
        choices=["true", "false"],
        help="also write the model-risk report (HTML + PDF, against the champion if any)",
    )
    args = parser.parse_args(argv)
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    try:
        record = run_experiment(
            args.use_case,
            args.experiment or None,
            config_file=_resolve_config(args.config),
            overrides=shlex.split(args.overrides),
        )
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"run {record.run_id} finished: {record.use_case}/{record.experiment}")
    for model in record.models:
        shown = ", ".join(
            f"{k}={model.metrics.get(k, float('nan')):.4f}" for k in record.key_metrics
        )
        print(f"  {model.role:<11} {model.name:<24} {shown}")
    if args.report == "true":
        try:
            report = build_report(record.run_id, compare=champion_run_id(record.run_id))
        except SandboxError as exc:
            print(f"error: the run finished but its report failed: {exc}", file=sys.stderr)
            return exc.exit_code
        print(f"report: {report.html_path} and {report.pdf_path} ({report.pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
