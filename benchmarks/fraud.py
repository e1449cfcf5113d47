"""Fraud benchmarks: training and scoring speed of each candidate, challenger against baseline.

Both experiments are prepared with their default parameters (or a ``--quick`` size), every
candidate is fitted once and then scores the test split ``--repeats`` times. The baseline is
measured in the same run on the same rows, so the JSON reports the challenger's cost relative
to it rather than an absolute number that depends on the machine.

Usage::

    python -m benchmarks.fraud            # default sizes -> benchmarks/results/fraud.json
    python -m benchmarks.fraud --quick --repeats 3

The embedding cache starts empty (a temporary directory), so the first scoring pass measures
the MiniLM cost ("cold") and the later passes the cached path ("warm"); both are reported.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.compute import select_device
from sandbox.config import PROJECT_ROOT, load_params, load_settings
from sandbox.experiment import RunContext
from sandbox.registry import get_experiment

QUICK = {
    "transactions": ["simulation.days=30", "simulation.daily_volume=1000", "test_days=10"],
    "scam_messages": ["sms_sample=1500", "hk_per_family=8", "cv_folds=0"],
}


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def bench_experiment(name: str, quick: bool, repeats: int) -> dict[str, Any]:
    """Prepare one fraud experiment and time fit and scoring of each candidate."""
    settings = load_settings()
    exp = get_experiment("fraud", name)
    params = load_params(exp.params_model, exp.default_config, QUICK[name] if quick else [])
    with tempfile.TemporaryDirectory() as cache:
        ctx = RunContext(
            identity=settings.identity,
            cache_dir=Path(cache),
            data_dir=settings.resolved_data_dir,
            device=select_device(settings),
        )
        data, prepare_s = _timed(lambda: exp.prepare(params, ctx))
        x_train, y_train = data.train[data.inputs], data.train[data.target]
        x_test = data.test[data.inputs]
        models: dict[str, dict[str, float | str]] = {}
        for candidate in exp.candidates(params, data, ctx):
            _, fit_s = _timed(lambda c=candidate: c.estimator.fit(x_train, y_train))
            runs = [
                _timed(lambda c=candidate: c.estimator.predict_proba(x_test))[1]
                for _ in range(repeats)
            ]
            median = statistics.median(runs)
            models[candidate.role] = {
                "name": candidate.name,
                "fit_seconds": round(fit_s, 3),
                "score_seconds_median": round(median, 4),
                "score_seconds_first": round(runs[0], 4),
                "rows_per_second": round(len(x_test) / median, 1),
                "ms_per_1k_rows": round(1000 * median / len(x_test) * 1000, 3),
            }
    base, chal = models["baseline"], models["challenger"]
    return {
        "params": QUICK[name] if quick else "defaults",
        "train_rows": len(x_train),
        "test_rows": len(x_test),
        "prepare_seconds": round(prepare_s, 3),
        "models": models,
        "challenger_vs_baseline": {
            "fit_time_ratio": round(float(chal["fit_seconds"]) / float(base["fit_seconds"]), 2),
            # First scoring pass: embeddings computed. Later passes hit the embedding cache.
            "score_time_ratio_cold": round(
                float(chal["score_seconds_first"]) / float(base["score_seconds_first"]), 2
            ),
            "score_time_ratio_warm": round(
                float(chal["score_seconds_median"]) / float(base["score_seconds_median"]), 2
            ),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fraud", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data sizes (about a minute)")
    parser.add_argument("--repeats", type=int, default=5, help="scoring repeats per model")
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks" / "results" / "fraud.json"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    result: dict[str, Any] = {
        "benchmark": "fraud",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor()},
        "repeats": args.repeats,
        "experiments": {},
    }
    for name in ("transactions", "scam_messages"):
        print(f"benchmarking fraud/{name} ...", flush=True)
        result["experiments"][name] = bench_experiment(name, args.quick, args.repeats)
        ratio = result["experiments"][name]["challenger_vs_baseline"]
        print(
            f"  challenger/baseline: fit x{ratio['fit_time_ratio']}, "
            f"score x{ratio['score_time_ratio_cold']} cold, "
            f"x{ratio['score_time_ratio_warm']} warm",
            flush=True,
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
