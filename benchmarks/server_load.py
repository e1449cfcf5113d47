"""Load on the sandbox server: several banks running experiments at once, nothing lost or crossed.

A loopback sandbox server is started in a temporary home; the admin creates ``--tenants`` banks
with one data scientist each. The baseline is one run alone; then every bank starts
``--runs-per-tenant`` runs at the same moment (each its own ``sandbox run`` process, signed in as
its bank's user, with its own client home). The JSON reports wall time, throughput against the
baseline, per-run seconds, and the checks:

- every run FINISHED, with every key metric on every model's child run;
- none crossed: each run is in its bank's workspace with its bank's identity tags, every other
  bank's user is refused it, and each bank's workspace lists exactly its own runs;
- each bank's audit entries (read as that bank's user) record exactly its runs finishing, and the
  server's audit log verifies.

Usage::

    python -m benchmarks.server_load                 # 4 banks x 4 runs -> results/server_load.json
    python -m benchmarks.server_load --tenants 2 --runs-per-tenant 2   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.config import PROJECT_ROOT, Settings

# A small transactions run: the full platform path (data, two models, evaluation, figures,
# RunRecord, audit) in tens of seconds.
RUN_OVERRIDES = [
    "simulation.days=14",
    "simulation.daily_volume=300",
    "simulation.n_customers=600",
    "test_days=5",
    "review_capacity_per_day=10",
    "challenger.max_iter=40",
    "explanations.enabled=false",
]
RESULTS = PROJECT_ROOT / "benchmarks" / "results"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    return done.stdout.strip() or "unknown"


def _user(bank: str) -> tuple[str, str]:
    return f"ds-{bank}", f"pw-{bank}-{secrets.token_hex(8)}"


def _run(url: str, bank: str, user: tuple[str, str], home: Path, out: Path) -> dict[str, Any]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SANDBOX_", "MLFLOW_TRACKING_", "MLFLOW_WORKSPACE"))
    }
    env.update(
        {
            "SANDBOX_HOME": str(home),
            "SANDBOX_DATA_DIR": str(PROJECT_ROOT / "data"),
            "MLFLOW_TRACKING_URI": url,
            "MLFLOW_TRACKING_USERNAME": user[0],
            "MLFLOW_TRACKING_PASSWORD": user[1],
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    command = [sys.executable, "-m", "sandbox.cli", "run", "fraud", "--experiment", "transactions"]
    for item in RUN_OVERRIDES:
        command += ["--set", item]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--record-out", str(out)], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    run_id = json.loads(out.read_text())["run_id"] if done.returncode == 0 else None
    return {
        "bank": bank,
        "run_id": run_id,
        "returncode": done.returncode,
        "seconds": round(seconds, 2),
        "error": done.stderr[-400:] if done.returncode else "",
    }


def _client(url: str, user: tuple[str, str], workspace: str) -> Any:
    import mlflow

    os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"] = user
    os.environ["MLFLOW_WORKSPACE"] = workspace
    return mlflow.MlflowClient(url)


def _check(url: str, users: dict[str, tuple[str, str]], runs: list[dict[str, Any]]) -> dict:
    """FINISHED, metrics present, none crossed, audit per bank."""
    from sandbox.server.client import Credentials, RemoteAuditLog

    problems: list[str] = []
    probes = refused = 0
    by_bank: dict[str, set[str]] = {bank: set() for bank in users}
    for run in runs:
        if run["run_id"]:
            by_bank[run["bank"]].add(run["run_id"])
        else:
            problems.append(f"a run of {run['bank']} failed: {run['error'][-200:]}")
    for bank, user in users.items():
        own = _client(url, user, bank)
        for run_id in sorted(by_bank[bank]):
            parent = own.get_run(run_id)
            if parent.info.status != "FINISHED":
                problems.append(f"{run_id} of {bank} is {parent.info.status}")
            if parent.data.tags.get("sandbox.tenant") != bank:
                problems.append(f"{run_id} carries tenant {parent.data.tags.get('sandbox.tenant')}")
            record = json.loads(
                Path(
                    own.download_artifacts(run_id, "run_record.json", tempfile.mkdtemp())
                ).read_text()
            )
            for model in record["models"]:
                child = own.get_run(model["run_id"])
                missing = [k for k in record["key_metrics"] if k not in child.data.metrics]
                if missing:
                    problems.append(f"{model['run_id']} of {bank} lacks metrics {missing}")
        listed = {
            r.info.run_id
            for experiment in own.search_experiments()
            for r in own.search_runs(
                [experiment.experiment_id], filter_string="tags.`sandbox.kind` = 'parent'"
            )
        }
        if listed != by_bank[bank]:
            problems.append(
                f"{bank}'s workspace lists {len(listed)} runs, not its {len(by_bank[bank])}"
            )
        for other, other_user in users.items():
            if other == bank:
                continue
            for workspace in (bank, other):
                intruder = _client(url, other_user, workspace)
                for run_id in sorted(by_bank[bank]):
                    probes += 1
                    try:
                        intruder.get_run(run_id)
                    except Exception:
                        refused += 1
                    else:
                        problems.append(f"{other} read {run_id} of {bank} in workspace {workspace}")
        audit = RemoteAuditLog(Credentials(url, *user))
        finished = {e.target for e in audit.entries() if e.action == "run.finished"}
        if finished != by_bank[bank]:
            problems.append(f"{bank}'s audit records {len(finished)} finished runs")
    verified = RemoteAuditLog(Credentials(url, *next(iter(users.values())))).verify()
    return {
        "problems": problems,
        "cross_tenant_probes": probes,
        "cross_tenant_refused": refused,
        "audit_entries_verified": verified,
    }


def main(argv: list[str] | None = None) -> int:
    from sandbox.server import process
    from sandbox.server.client import ControlPlane, Credentials

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--runs-per-tenant", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS / "server_load.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    root = Path(tempfile.mkdtemp(prefix="sandbox-load-"))
    settings = Settings(home=root / "server-home")
    password = secrets.token_urlsafe(18)
    os.environ[process.ADMIN_PASSWORD_VARIABLE] = password
    port = _free_port()
    print(f"starting a sandbox server on 127.0.0.1:{port} ...", flush=True)
    url = process.start(settings, port=port)
    try:
        admin = ControlPlane(Credentials(url, "admin", password))
        banks = [f"bank-{i + 1}" for i in range(args.tenants)]
        users = {}
        for bank in banks:
            admin.create_tenant(bank)
            users[bank] = _user(bank)
            admin.create_user(*users[bank], bank, "data_scientist")
        print("baseline: one run alone ...", flush=True)
        baseline = _run(url, banks[0], users[banks[0]], root / banks[0], root / "baseline.json")
        if baseline["returncode"]:
            print(baseline["error"], file=sys.stderr)
            return 1
        total = args.tenants * args.runs_per_tenant
        print(f"load: {args.tenants} banks x {args.runs_per_tenant} runs at once ...", flush=True)
        jobs = [(bank, n) for n in range(args.runs_per_tenant) for bank in banks]
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=total) as pool:
            runs = list(
                pool.map(
                    lambda job: _run(
                        url, job[0], users[job[0]], root / job[0], root / f"{job[0]}-{job[1]}.json"
                    ),
                    jobs,
                )
            )
        wall = time.perf_counter() - start
        print("checking runs, isolation and audit ...", flush=True)
        checks = _check(url, users, [baseline, *runs])
    finally:
        process.stop(settings)
    seconds = [r["seconds"] for r in runs]
    result = {
        "benchmark": "server_load",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "tenants": args.tenants,
        "runs_per_tenant": args.runs_per_tenant,
        "run_overrides": RUN_OVERRIDES,
        "baseline_single_run_s": baseline["seconds"],
        "load": {
            "runs": total,
            "wall_s": round(wall, 1),
            "runs_per_minute": round(total / wall * 60, 2),
            "baseline_runs_per_minute": round(60 / baseline["seconds"], 2),
            "run_s_median": round(statistics.median(seconds), 1),
            "run_s_max": round(max(seconds), 1),
            "finished": sum(1 for r in runs if r["returncode"] == 0),
        },
        "checks": checks,
        "passed": not checks["problems"] and all(r["returncode"] == 0 for r in runs),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    load = result["load"]
    print(
        f"{total} runs of {args.tenants} banks in {load['wall_s']} s "
        f"({load['runs_per_minute']} runs/min; one run alone {baseline['seconds']} s = "
        f"{load['baseline_runs_per_minute']} runs/min); finished {load['finished']}/{total}; "
        f"cross-bank probes refused {checks['cross_tenant_refused']}/"
        f"{checks['cross_tenant_probes']}; "
        f"audit verified ({checks['audit_entries_verified']} entries); "
        f"problems: {len(checks['problems'])}"
    )
    for problem in checks["problems"]:
        print(f"  - {problem}")
    print(f"wrote {args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
