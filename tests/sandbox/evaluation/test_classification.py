import math

import numpy as np
import pytest

from sandbox.evaluation.classification import (
    binary_metrics,
    capacity_metrics,
    sliced,
    top_k_per_group,
)

# 8 cases worked by hand. Threshold 0.5 flags scores >= 0.5:
# y:      1    1    1    0    0    0    0    1
# s:    0.9  0.8  0.4  0.7  0.3  0.2  0.1  0.6
# pred:   1    1    0    1    0    0    0    1   -> tp=3 fp=1 fn=1 tn=3
Y = [1, 1, 1, 0, 0, 0, 0, 1]
S = [0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1, 0.6]


def test_threshold_metrics_match_hand_computation() -> None:
    m = binary_metrics(Y, S, threshold=0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 1, 3)
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1"] == pytest.approx(0.75)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["prevalence"] == pytest.approx(0.5)


def test_ranking_metrics_match_hand_computation() -> None:
    m = binary_metrics(Y, S)
    # Ranked: 0.9(1) 0.8(1) 0.7(0) 0.6(1) 0.4(1) 0.3 0.2 0.1 (0s).
    # ROC AUC = share of (pos, neg) pairs ordered correctly: negatives 0.7 beats positives 0.6 and
    # 0.4 -> 2 wrong pairs out of 16 -> 14/16.
    assert m["roc_auc"] == pytest.approx(14 / 16)
    # AP = mean precision at each positive: 1/1, 2/2, 3/4, 4/5.
    assert m["auprc"] == pytest.approx((1 + 1 + 0.75 + 0.8) / 4)
    expected_brier = np.mean((np.array(S) - np.array(Y)) ** 2)
    assert m["brier"] == pytest.approx(expected_brier)
    # Gini = 2 AUC - 1; KS = largest TPR - FPR: at threshold 0.4 all 4 positives and 1 of 4
    # negatives (0.7) are above it -> 1 - 0.25.
    assert m["gini"] == pytest.approx(2 * 14 / 16 - 1)
    assert m["ks"] == pytest.approx(0.75)


def test_single_class_gives_nan_ranking_and_zero_precision() -> None:
    m = binary_metrics([0, 0, 0], [0.1, 0.2, 0.3])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["auprc"])
    assert math.isnan(m["ks"]) and math.isnan(m["gini"])
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f1"] == 0.0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        binary_metrics([0, 1], [0.5])


def test_top_k_per_group_is_per_day_and_deterministic_on_ties() -> None:
    scores = [0.9, 0.1, 0.5, 0.5, 0.8, 0.7]
    days = ["d1", "d1", "d1", "d2", "d2", "d2"]
    mask = top_k_per_group(scores, days, 2)
    assert mask.tolist() == [True, False, True, False, True, True]
    tie = top_k_per_group([0.5, 0.5, 0.5], ["d", "d", "d"], 1)
    assert tie.tolist() == [True, False, False]


def test_capacity_metrics_and_cost_by_hand() -> None:
    # Day 1: top-1 of (0.9 fraud, 0.2 fraud, 0.1 legit) -> alert the 0.9 fraud; miss the 0.2.
    # Day 2: top-1 of (0.8 legit, 0.3 fraud) -> alert a legit; miss the fraud.
    y = [1, 1, 0, 0, 1]
    s = [0.9, 0.2, 0.1, 0.8, 0.3]
    days = ["d1", "d1", "d1", "d2", "d2"]
    m = capacity_metrics(y, s, days, 1, fn_cost=1000, fp_cost=10)
    assert m["alerts"] == 2
    assert m["precision_at_capacity"] == pytest.approx(0.5)
    assert m["recall_at_capacity"] == pytest.approx(1 / 3)
    assert m["expected_cost"] == pytest.approx(2 * 1000 + 1 * 10)
    assert m["cost_saving_vs_no_model"] == pytest.approx(3 * 1000 - 2010)
    assert m["cost_per_1k_txn"] == pytest.approx(2010 / 5 * 1000)


def test_sliced_computes_per_value() -> None:
    langs = ["en", "en", "yue", "yue", "en", "yue", "en", "yue"]
    out = sliced(binary_metrics, np.array(langs), Y, S, keys=["tp", "fp"], threshold=0.5)
    # en rows: idx 0,1,4,6 -> y 1,1,0,0 s .9 .8 .3 .1 -> tp 2 fp 0
    # yue rows: idx 2,3,5,7 -> y 1,0,0,1 s .4 .7 .2 .6 -> tp 1 fp 1
    assert out == {"en": {"tp": 2.0, "fp": 0.0}, "yue": {"tp": 1.0, "fp": 1.0}}
