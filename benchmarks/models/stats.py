"""Raw timings of the model benchmark and the summaries built from them: latency percentiles,
tokens and sentences per second, and comparisons with the baseline measured in the same run.

Everything here is pure (no model, no clock), so the JSON a run writes is testable without one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "EmbeddingSamples",
    "Generation",
    "ProviderSamples",
    "compare",
    "rate",
    "summarise_embeddings",
    "summarise_latency",
    "summarise_provider",
    "summarise_providers",
]


class Generation(NamedTuple):
    """One timed generation call (a batch call counts the tokens of every conversation)."""

    text: str
    completion_tokens: int
    seconds: float


@dataclass
class ProviderSamples:
    """Every timed call of one provider, in the order they were made."""

    generations: list[Generation] = field(default_factory=list)
    """Throughput prompts, one call each per round."""
    latency_generate: list[float] = field(default_factory=list)
    """Seconds per short generation of the latency prompt."""
    latency_label: list[float] = field(default_factory=list)
    """Seconds per label-scoring call."""
    label_scores: list[dict[str, float]] = field(default_factory=list)
    """What each label-scoring call returned, for the agreement check."""
    batches: list[Generation] = field(default_factory=list)
    """``generate_batch`` calls; empty for a provider without batched generation."""


@dataclass
class EmbeddingSamples:
    """Timed embedding passes of one method."""

    device: str
    batch_size: int
    passes: list[tuple[int, float]] = field(default_factory=list)
    """``(sentences, seconds)`` per pass."""


def rate(count: float, seconds: float) -> float:
    """``count`` per second, rounded to 0.01.

    Raises:
        ValueError: ``seconds`` is not positive.
    """
    if seconds <= 0:
        raise ValueError(f"a rate needs a positive duration; got {seconds} s")
    return round(count / seconds, 2)


def summarise_latency(samples: Sequence[float]) -> dict[str, float | int]:
    """Count, p50, p95, mean, min and max of latencies in seconds.

    Percentiles interpolate linearly between the sorted samples (numpy's default), so with few
    samples the p95 lies between the two slowest calls.

    Raises:
        ValueError: ``samples`` is empty or holds a negative value.
    """
    values = np.asarray(samples, dtype=float)
    if values.size == 0:
        raise ValueError("no latency samples to summarise")
    if (values < 0).any():
        raise ValueError(f"latencies cannot be negative; got {values.min()}")
    p50, p95 = np.percentile(values, [50, 95])
    return {
        "n": int(values.size),
        "p50_s": round(float(p50), 4),
        "p95_s": round(float(p95), 4),
        "mean_s": round(float(values.mean()), 4),
        "min_s": round(float(values.min()), 4),
        "max_s": round(float(values.max()), 4),
    }


def _throughput(calls: Sequence[Generation]) -> dict[str, Any]:
    tokens = sum(call.completion_tokens for call in calls)
    seconds = sum(call.seconds for call in calls)
    return {
        "calls": len(calls),
        "completion_tokens": tokens,
        "seconds": round(seconds, 3),
        "tokens_per_second": rate(tokens, seconds),
    }


def summarise_provider(
    samples: ProviderSamples, prompts: int, batch_conversations: int
) -> dict[str, Any]:
    """Tokens/s of the throughput prompts, latency summaries and the batched-generation speed-up.

    Args:
        samples: The provider's timed calls; ``generations`` holds rounds of ``prompts`` calls.
        prompts: Throughput prompts per round.
        batch_conversations: Conversations per batch call: the first prompts of a round, so the
            batched rate is compared with the single-call rate on the same conversations.
    """
    generation = _throughput(samples.generations)
    generation["per_call_tokens_per_second"] = [
        rate(call.completion_tokens, call.seconds) for call in samples.generations
    ]
    summary: dict[str, Any] = {
        "generation": generation,
        "latency_generate": summarise_latency(samples.latency_generate),
        "latency_label_scoring": summarise_latency(samples.latency_label),
        "batch": None,
    }
    if samples.batches:
        singles = [
            call
            for index, call in enumerate(samples.generations)
            if index % prompts < batch_conversations
        ]
        batched = _throughput(samples.batches)
        single = _throughput(singles)
        summary["batch"] = {
            "conversations": batch_conversations,
            **batched,
            "single_tokens_per_second": single["tokens_per_second"],
            "speedup_vs_single": round(
                batched["tokens_per_second"] / single["tokens_per_second"], 2
            ),
        }
    return summary


def compare(
    summary: Mapping[str, Any],
    samples: ProviderSamples,
    baseline_summary: Mapping[str, Any],
    baseline_samples: ProviderSamples,
) -> dict[str, Any]:
    """A provider against a baseline measured in the same run: speed ratios, p50 overheads (as a
    difference of medians and as the median of same-round differences) and whether both did the
    same work (same greedy answers, same label probabilities)."""

    def p50(which: Mapping[str, Any], task: str) -> float:
        return float(which[task]["p50_s"])

    result: dict[str, Any] = {
        "tokens_per_second_ratio": round(
            summary["generation"]["tokens_per_second"]
            / baseline_summary["generation"]["tokens_per_second"],
            2,
        )
    }
    for task, key, mine, theirs in (
        (
            "latency_generate",
            "generate",
            samples.latency_generate,
            baseline_samples.latency_generate,
        ),
        ("latency_label_scoring", "label", samples.latency_label, baseline_samples.latency_label),
    ):
        result[f"{key}_p50_ratio"] = round(p50(summary, task) / p50(baseline_summary, task), 2)
        result[f"{key}_p50_overhead_ms"] = round(
            1000 * (p50(summary, task) - p50(baseline_summary, task)), 1
        )
        # Call i of both was made in the same round, moments apart: the median difference of
        # these pairs is less exposed to a drifting machine load than the difference of medians.
        paired = [a - b for a, b in zip(mine, theirs, strict=False)]
        result[f"{key}_paired_overhead_ms"] = (
            round(1000 * float(np.median(paired)), 1) if paired else None
        )
    pairs = list(zip(samples.generations, baseline_samples.generations, strict=False))
    result["same_greedy_text"] = round(
        sum(a.text == b.text for a, b in pairs) / len(pairs) if pairs else 0.0, 3
    )
    differences = [
        abs(scores[label] - base[label])
        for scores, base in zip(samples.label_scores, baseline_samples.label_scores, strict=False)
        for label in base
    ]
    result["label_max_abs_difference"] = round(max(differences), 4) if differences else None
    return result


def summarise_embeddings(methods: Mapping[str, EmbeddingSamples], baseline: str) -> dict[str, Any]:
    """Sentences per second of each embedding method and its speed relative to ``baseline``.

    Raises:
        KeyError: ``baseline`` is not one of ``methods``.
    """
    summaries: dict[str, Any] = {}
    for name, samples in methods.items():
        count = sum(n for n, _ in samples.passes)
        seconds = sum(s for _, s in samples.passes)
        summaries[name] = {
            "device": samples.device,
            "batch_size": samples.batch_size,
            "passes": len(samples.passes),
            "sentences": count,
            "seconds": round(seconds, 3),
            "sentences_per_second": rate(count, seconds),
        }
    base = summaries[baseline]["sentences_per_second"]
    for summary in summaries.values():
        summary["speed_vs_baseline"] = round(summary["sentences_per_second"] / base, 2)
    return {"baseline": baseline, "methods": summaries}


def summarise_providers(
    samples: Mapping[str, ProviderSamples],
    *,
    baseline: str,
    wraps: Mapping[str, str],
    prompts: int,
    batch_conversations: int,
) -> dict[str, Any]:
    """Every provider's summary, each compared with ``baseline``, and each wrapper (the gateway)
    compared with the provider it wraps: its own cost per call.

    Args:
        samples: Timed calls per provider name.
        baseline: The provider the others are compared with.
        wraps: ``{wrapper: wrapped}`` provider names, e.g. ``{"gateway": "embedded"}``.
        prompts: Throughput prompts per round.
        batch_conversations: Conversations per batch call.

    Raises:
        KeyError: ``baseline`` or a name in ``wraps`` has no samples.
    """
    summaries = {
        name: summarise_provider(calls, prompts, batch_conversations)
        for name, calls in samples.items()
    }
    base = summaries[baseline]
    return {
        "baseline": baseline,
        "providers": summaries,
        "vs_baseline": {
            name: compare(summary, samples[name], base, samples[baseline])
            for name, summary in summaries.items()
            if name != baseline
        },
        "wrapper_overhead": {
            wrapper: {
                "wraps": wrapped,
                **compare(
                    summaries[wrapper], samples[wrapper], summaries[wrapped], samples[wrapped]
                ),
            }
            for wrapper, wrapped in wraps.items()
        },
    }
