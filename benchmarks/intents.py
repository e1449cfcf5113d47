"""Intent-routing benchmark: BANKING77 accuracy, macro-F1 and cost, challenger against baseline.

Both models of ``use_cases/customer_service/intent_model.py`` are fitted on the BANKING77 train
split and score the test split, in the same run, each with an empty MiniLM cache (a temporary
directory), so fit and predict seconds include the MiniLM pass. Robustness is measured on a fixed
sample of test queries rewritten three ways (upper case, keyboard typos, code-mixed
English/Cantonese). The code-mix rewriter uses the same lexicon as the challenger's training
augmentation (with another seed), so that figure is optimistic for unseen Cantonese phrasings.

Usage::

    python -m benchmarks.intents                 # full data -> benchmarks/results/intents.json
    python -m benchmarks.intents --quick         # 2,000 train / 600 test rows (about 2 minutes)
    python -m benchmarks.intents --seeds 0 1 2   # challenger refitted per seed (variance)
    python -m benchmarks.intents --seeds 42 --skip-baseline   # one more seed, challenger only
    python -m benchmarks.intents --seeds 0 1 2 --skip-baseline --cache /tmp/feats   # warm cache

Calibration is the top-label ECE of the test probabilities (``sandbox.evaluation.calibration``);
the challenger also reports its temperature (fitted on a held-out slice of the training split)
and the ECE its probabilities would have without it.

Fit and predict seconds are wall-clock on whatever else the machine runs; CPU seconds of this
process are reported beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from sandbox.config import PROJECT_ROOT
from sandbox.evaluation.calibration import calibration
from use_cases.customer_service.banking77 import load_banking77
from use_cases.customer_service.intent_model import (
    IntentAugmenter,
    IntentEnsembleClassifier,
    make_baseline,
)

ROBUSTNESS_SEED = 1234
ROBUSTNESS_ROWS = 600


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def robustness_variants(test: pd.DataFrame, rows: int) -> dict[str, pd.DataFrame]:
    """A fixed sample of test queries, rewritten: upper case, typos, code-mixed."""
    sample = test.sample(n=min(rows, len(test)), random_state=ROBUSTNESS_SEED)
    augmenter = IntentAugmenter()
    rng = np.random.default_rng(ROBUSTNESS_SEED)
    mixed = [augmenter.code_mix(t, rng) or t for t in sample["text"]]
    return {
        "clean": sample,
        "upper": sample.assign(text=sample["text"].str.upper()),
        "typos": sample.assign(text=[augmenter.typos(t, rng) for t in sample["text"]]),
        "code_mixed": sample.assign(text=mixed),
    }


def bench_model(
    name: str,
    make: Any,
    train: pd.DataFrame,
    test: pd.DataFrame,
    variants: dict[str, Any],
    cache: Path | None = None,
) -> dict[str, Any]:
    """Fit one model on train, score test and the robustness variants (empty MiniLM cache unless
    ``cache`` is given)."""
    with tempfile.TemporaryDirectory() as empty:
        model = make(str(cache) if cache else empty)
        _, fit_s, fit_cpu = _timed(lambda: model.fit(train[["text"]], train["intent"]))
        proba, predict_s, predict_cpu = _timed(lambda: model.predict_proba(test[["text"]]))
        predicted = model.classes_[proba.argmax(axis=1)]
        y_index = np.searchsorted(model.classes_, test["intent"].to_numpy())
        ece = calibration(y_index, proba).metrics["ece"]
        ece_untempered = None
        if hasattr(model, "temperature_"):
            temperature = model.temperature_
            model.temperature_ = 1.0
            ece_untempered = calibration(y_index, model.predict_proba(test[["text"]])).metrics[
                "ece"
            ]
            model.temperature_ = temperature
        robustness = {}
        for variant, frame in variants.items():
            guess = model.classes_[model.predict_proba(frame[["text"]]).argmax(axis=1)]
            robustness[variant] = round(float(accuracy_score(frame["intent"], guess)), 4)
    result = {
        "name": name,
        "accuracy": round(float(accuracy_score(test["intent"], predicted)), 4),
        "macro_f1": round(float(f1_score(test["intent"], predicted, average="macro")), 4),
        "fit_seconds": round(fit_s, 1),
        "fit_cpu_seconds": round(fit_cpu, 1),
        "predict_seconds": round(predict_s, 1),
        "predict_cpu_seconds": round(predict_cpu, 1),
        "ece": round(float(ece), 4),
        "robustness_accuracy": robustness,
    }
    if hasattr(model, "timings_"):
        result["fit_stages_seconds"] = model.timings_
        result["augmented_rows"] = model.n_augmented_
    if ece_untempered is not None:
        result["temperature"] = round(float(model.temperature_), 4)
        result["ece_untempered"] = round(float(ece_untempered), 4)
        result["validation_rows"] = model.n_validation_
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.intents", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 train / 600 test rows")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="challenger seeds")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="reuse this MiniLM feature cache (seed sweeps; fit seconds then exclude the pass)",
    )
    parser.add_argument(
        "--skip-baseline", action="store_true", help="fit only the challenger (no comparison)"
    )
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks" / "results" / "intents.json"
    )
    args = parser.parse_args(argv)
    train, test, intents = load_banking77()
    if args.quick:
        train, _ = train_test_split(
            train, train_size=2000, stratify=train["intent"], random_state=0
        )
        test, _ = train_test_split(test, train_size=600, stratify=test["intent"], random_state=0)
    variants = robustness_variants(test, ROBUSTNESS_ROWS)
    models: dict[str, Any] = {}
    print(f"BANKING77: {len(train)} train, {len(test)} test, {len(intents)} intents", flush=True)
    if not args.skip_baseline:
        print("fitting baseline (frozen MiniLM + LR) ...", flush=True)
        models["baseline"] = bench_model(
            "minilm_logreg", lambda cache: make_baseline(cache_dir=cache), train, test, variants
        )
    for seed in args.seeds:
        print(f"fitting challenger (seed {seed}) ...", flush=True)
        models[f"challenger_seed{seed}"] = bench_model(
            "minilm_layers_mlp_tfidf_ensemble",
            lambda cache, s=seed: IntentEnsembleClassifier(cache_dir=cache, seed=s),
            train,
            test,
            variants,
            args.cache,
        )
    header = (
        f"{'model':20s} {'accuracy':>8s} {'macro_f1':>8s} {'ece':>6s} {'fit_s':>7s} "
        f"{'fit_cpu_s':>9s} {'predict_s':>9s}"
    )
    print(header + "  robustness (clean/upper/typos/code-mixed)")
    for role, row in models.items():
        rob = "/".join(f"{v:.3f}" for v in row["robustness_accuracy"].values())
        print(
            f"{role:20s} {row['accuracy']:8.4f} {row['macro_f1']:8.4f} {row['ece']:6.3f} "
            f"{row['fit_seconds']:7.1f} {row['fit_cpu_seconds']:9.1f} "
            f"{row['predict_seconds']:9.1f}  {rob}"
        )
    accuracies = [row["accuracy"] for role, row in models.items() if role != "baseline"]
    result = {
        "benchmark": "intents",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "data": {"train_rows": len(train), "test_rows": len(test), "quick": args.quick},
        "warm_cache": args.cache is not None,
        "models": models,
        "challenger": {
            "seeds": args.seeds,
            "accuracy_mean": round(float(np.mean(accuracies)), 4),
            "accuracy_range": [min(accuracies), max(accuracies)],
        },
    }
    if "baseline" in models:
        result["challenger_vs_baseline"] = {
            "accuracy_gain": round(float(np.mean(accuracies)) - models["baseline"]["accuracy"], 4),
        }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
