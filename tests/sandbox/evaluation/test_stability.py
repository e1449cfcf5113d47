import math
import statistics

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sandbox.evaluation.stability import bootstrap_intervals, seed_spread


def _data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    scores = np.clip(0.4 * y + 0.6 * rng.random(n), 0, 1)
    return y, scores


def _positives(y: np.ndarray, s: np.ndarray) -> float:
    return float(y.sum())


def test_point_estimate_is_the_metric_on_the_full_data_and_lies_in_the_interval() -> None:
    y, s = _data()
    result = bootstrap_intervals(y, s, {"roc_auc": roc_auc_score}, n_boot=100)
    assert result.scorer == "stability"
    assert result.evidences == ["HKMA-AI-5"]
    assert result.metrics["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    interval = result.intervals["roc_auc"]
    assert interval.low <= result.metrics["roc_auc"] <= interval.high
    assert interval.low < interval.high
    assert interval.level == 0.95
    assert result.metrics["roc_auc_ci_width"] == pytest.approx(interval.high - interval.low)


def test_same_seed_gives_identical_result_and_other_seed_differs() -> None:
    y, s = _data()
    metrics = {"roc_auc": roc_auc_score}
    first = bootstrap_intervals(y, s, metrics, n_boot=50, seed=7)
    again = bootstrap_intervals(y, s, metrics, n_boot=50, seed=7)
    other = bootstrap_intervals(y, s, metrics, n_boot=50, seed=8)
    assert first.model_dump() == again.model_dump()
    assert first.intervals["roc_auc"] != other.intervals["roc_auc"]


def test_resamples_keep_the_class_counts() -> None:
    # Stratified by class: every resample has exactly the data's 3 positives.
    y = np.array([1, 1, 1] + [0] * 97)
    s = np.linspace(0, 1, 100)
    result = bootstrap_intervals(y, s, {"positives": _positives}, n_boot=50)
    assert result.metrics["positives"] == 3
    assert (result.intervals["positives"].low, result.intervals["positives"].high) == (3, 3)
    assert result.metrics["positives_ci_width"] == 0


def test_strata_fix_counts_within_each_stratum() -> None:
    y, s = _data()
    high = s > 0.5

    def flagged_positives(yy: np.ndarray, ss: np.ndarray) -> float:
        return float(((ss > 0.5) & (yy == 1)).sum())

    plain = bootstrap_intervals(y, s, {"tp": flagged_positives}, n_boot=50)
    stratified = bootstrap_intervals(y, s, {"tp": flagged_positives}, n_boot=50, strata=high)
    assert plain.metrics["tp_ci_width"] > 0
    assert stratified.metrics["tp_ci_width"] == 0


def test_undefined_resamples_are_skipped_and_counted() -> None:
    # 20 distinct scores: a resample drawn with replacement almost surely repeats one, so a
    # metric that needs distinct scores is defined on the full data only.
    y = np.array([0, 1] * 10)
    s = np.linspace(0.05, 0.95, 20)

    def needs_distinct_raises(yy: np.ndarray, ss: np.ndarray) -> float:
        if len(np.unique(ss)) < len(ss):
            raise ValueError("duplicate scores")
        return 1.0

    def needs_distinct_nan(yy: np.ndarray, ss: np.ndarray) -> float:
        return 1.0 if len(np.unique(ss)) == len(ss) else math.nan

    result = bootstrap_intervals(
        y,
        s,
        {"raises": needs_distinct_raises, "nan": needs_distinct_nan, "positives": _positives},
        n_boot=30,
    )
    for name in ("raises", "nan"):
        assert result.metrics[name] == 1.0
        assert name not in result.intervals
        assert math.isnan(result.metrics[f"{name}_ci_width"])
        assert result.evidence["skipped"][name] == 30
        assert any(note.startswith(f"{name}: 30 of 30 resamples skipped") for note in result.notes)
    assert result.evidence["skipped"]["positives"] == 0
    assert "positives" in result.intervals


def test_level_sets_the_percentiles() -> None:
    y, s = _data()
    wide = bootstrap_intervals(y, s, {"roc_auc": roc_auc_score}, n_boot=100, level=0.95)
    narrow = bootstrap_intervals(y, s, {"roc_auc": roc_auc_score}, n_boot=100, level=0.5)
    assert narrow.intervals["roc_auc"].level == 0.5
    assert narrow.metrics["roc_auc_ci_width"] < wide.metrics["roc_auc_ci_width"]


def test_empty_input_or_no_metrics_is_not_assessed() -> None:
    assert bootstrap_intervals([], [], {"roc_auc": roc_auc_score}).status == "not_assessed"
    y, s = _data()
    result = bootstrap_intervals(y, s, {})
    assert result.status == "not_assessed"
    assert result.reason


@pytest.mark.parametrize("kwargs", [{"n_boot": 0}, {"level": 1.0}, {"level": 0.0}])
def test_invalid_settings_raise(kwargs: dict) -> None:
    y, s = _data()
    with pytest.raises(ValueError):
        bootstrap_intervals(y, s, {"roc_auc": roc_auc_score}, **kwargs)


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError, match="length"):
        bootstrap_intervals([0, 1], [0.5], {"positives": _positives})


def test_seed_spread_matches_statistics_module() -> None:
    runs = {
        2: {"roc_auc": 0.85, "f1": 0.6},
        0: {"roc_auc": 0.80, "f1": 0.5, "only_here": 1.0},
        1: {"roc_auc": 0.90, "f1": 0.7},
    }
    result = seed_spread(runs)
    assert result.scorer == "seed_stability"
    auc = [0.80, 0.90, 0.85]
    assert result.metrics["roc_auc_seed_mean"] == pytest.approx(statistics.mean(auc))
    assert result.metrics["roc_auc_seed_std"] == pytest.approx(statistics.stdev(auc))
    assert result.metrics["roc_auc_seed_range"] == pytest.approx(0.10)
    assert result.metrics["f1_seed_std"] == pytest.approx(statistics.stdev([0.5, 0.7, 0.6]))
    assert not any(key.startswith("only_here") for key in result.metrics)
    assert any("only_here" in note for note in result.notes)
    assert result.evidence["per_seed"] == [
        {"seed": 0, "f1": 0.5, "roc_auc": 0.80},
        {"seed": 1, "f1": 0.7, "roc_auc": 0.90},
        {"seed": 2, "f1": 0.6, "roc_auc": 0.85},
    ]


def test_seed_spread_needs_two_seeds() -> None:
    result = seed_spread({0: {"roc_auc": 0.8}})
    assert result.status == "not_assessed"
    assert "2 seeds" in result.reason
    assert seed_spread({}).status == "not_assessed"


def test_seed_spread_without_common_metric_is_not_assessed() -> None:
    result = seed_spread({0: {"a": 1.0}, 1: {"b": 2.0}})
    assert result.status == "not_assessed"
