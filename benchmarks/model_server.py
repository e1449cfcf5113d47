"""Model-server overhead: the embedded model in-process (baseline) against the same model behind
``sandbox serve-model`` through the ``openai-compatible`` provider (LangChain's ChatOpenAI).

Each repeat times a greedy generation of ``--tokens`` tokens and one label scoring on each side,
interleaved so that a change in machine load hits both alike; the JSON reports medians and the
server's cost relative to the in-process baseline. The server runs as a child process on
loopback, loading the model from the sandbox cache (``SANDBOX_CACHE_DIR``).

Usage::

    python -m benchmarks.model_server            # -> benchmarks/results/model_server.json
    python -m benchmarks.model_server --repeats 9 --tokens 64
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.config import PROJECT_ROOT, load_settings
from sandbox.models.base import ChatModel, GenerationConfig
from sandbox.models.embedded import EmbeddedChatModel
from sandbox.models.openai_compatible import OpenAICompatibleChatModel
from sandbox.models.serve_cli import model_server_process

PROMPT = [{"role": "user", "content": "Explain in two sentences what a one-time password is."}]
QUESTION = [
    {"role": "system", "content": "Answer scam or legitimate, in one word."},
    {"role": "user", "content": 'SMS: "Your parcel is held. Pay HK$30 at http://hkpost-fee.click"'},
]
LABELS = ["scam", "legitimate"]


def _seconds(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _summary(runs: list[float]) -> dict[str, float]:
    return {
        "p50_seconds": round(statistics.median(runs), 4),
        "min_seconds": round(min(runs), 4),
        "max_seconds": round(max(runs), 4),
    }


def bench(repeats: int, tokens: int) -> dict[str, Any]:
    """Time both providers; the in-process embedded model is the baseline."""
    settings = load_settings()
    local = EmbeddedChatModel(settings.resolved_cache_dir).load()
    config = GenerationConfig(max_new_tokens=tokens)
    env = {**os.environ, "SANDBOX_CACHE_DIR": str(settings.resolved_cache_dir)}
    with model_server_process("--no-embeddings", "--device", "cpu", env=env) as server:
        remote = OpenAICompatibleChatModel(server.base_url, server.model_id)
        providers: dict[str, ChatModel] = {"embedded": local, "openai-compatible": remote}
        texts = {name: model.generate(PROMPT, config).text for name, model in providers.items()}
        if len(set(texts.values())) != 1:
            raise RuntimeError(f"the providers disagree on the greedy answer: {texts}")
        generate: dict[str, list[float]] = {name: [] for name in providers}
        score: dict[str, list[float]] = {name: [] for name in providers}
        completion_tokens = local.generate(PROMPT, config).completion_tokens
        for _ in range(repeats):
            for name, model in providers.items():
                generate[name].append(_seconds(lambda m=model: m.generate(PROMPT, config)))
                score[name].append(
                    _seconds(lambda m=model: m.label_probabilities(QUESTION, LABELS))
                )
    results = {
        name: {"generate": _summary(generate[name]), "label_scoring": _summary(score[name])}
        for name in providers
    }
    base, served = results["embedded"], results["openai-compatible"]
    return {
        "completion_tokens": completion_tokens,
        "providers": results,
        "server_vs_in_process": {
            task: {
                "p50_ratio": round(served[task]["p50_seconds"] / base[task]["p50_seconds"], 2),
                "p50_overhead_ms": round(
                    1000 * (served[task]["p50_seconds"] - base[task]["p50_seconds"]), 1
                ),
            }
            for task in ("generate", "label_scoring")
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.model_server", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per provider")
    parser.add_argument("--tokens", type=int, default=32, help="max_new_tokens, greedy")
    parser.add_argument(
        "--output",
        type=Path,
        default=PROJECT_ROOT / "benchmarks" / "results" / "model_server.json",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.tokens < 1:
        parser.error("--repeats and --tokens must be >= 1")
    print("benchmarking embedded in-process vs sandbox serve-model ...", flush=True)
    measured = bench(args.repeats, args.tokens)
    result = {
        "benchmark": "model_server",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
        "repeats": args.repeats,
        "max_new_tokens": args.tokens,
        **measured,
    }
    print(f"{'provider':<20} {'task':<14} {'p50 s':>8} {'min s':>8} {'max s':>8}")
    for name, tasks in measured["providers"].items():
        for task, stats in tasks.items():
            print(
                f"{name:<20} {task:<14} {stats['p50_seconds']:>8.3f} "
                f"{stats['min_seconds']:>8.3f} {stats['max_seconds']:>8.3f}"
            )
    for task, ratio in measured["server_vs_in_process"].items():
        print(f"server/in-process {task}: x{ratio['p50_ratio']} ({ratio['p50_overhead_ms']} ms)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
