import math

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from sandbox.evaluation.calibration import calibration, reliability_bins


def test_hand_computed_two_bins() -> None:
    # Bins (0, 0.5] and (0.5, 1]:
    #   bin 1: scores 0.1, 0.1, labels 0, 1 -> mean score 0.1, fraction positive 0.5, gap 0.4
    #   bin 2: scores 0.9, 0.9, labels 1, 1 -> mean score 0.9, fraction positive 1.0, gap 0.1
    # ECE = 2/4 * 0.4 + 2/4 * 0.1 = 0.25; MCE = 0.4.
    # Brier = (0.1^2 + 0.9^2 + 0.1^2 + 0.1^2) / 4 = 0.84 / 4 = 0.21.
    result = calibration([0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9], n_bins=2)
    assert result.status == "assessed"
    assert result.scorer == "calibration"
    assert result.evidences == ["HKMA-AI-5"]
    assert result.metrics["ece"] == pytest.approx(0.25)
    assert result.metrics["mce"] == pytest.approx(0.4)
    assert result.metrics["brier"] == pytest.approx(0.21)
    rows = result.evidence["reliability"]
    assert [(r["bin_low"], r["bin_high"], r["count"]) for r in rows] == [
        (0.0, 0.5, 2),
        (0.5, 1.0, 2),
    ]
    assert [r["mean_score"] for r in rows] == pytest.approx([0.1, 0.9])
    assert [r["fraction_positive"] for r in rows] == pytest.approx([0.5, 1.0])


def test_perfectly_calibrated_bin_has_zero_error() -> None:
    # One bin, mean score 0.25 and one positive in four -> no calibration error.
    # Brier = (0.75^2 + 3 * 0.25^2) / 4 = 0.1875.
    result = calibration([1, 0, 0, 0], [0.25] * 4)
    assert result.metrics["ece"] == pytest.approx(0.0)
    assert result.metrics["mce"] == pytest.approx(0.0)
    assert result.metrics["brier"] == pytest.approx(0.1875)
    assert len(result.evidence["reliability"]) == 1


def test_empty_bins_are_left_out_and_ece_weights_by_count() -> None:
    # Ten bins; only (0.1, 0.2] (score 0.2, label 0, gap 0.2) and (0.3, 0.4] (two scores 0.4,
    # labels 1 and 1, gap 0.6) are non-empty. ECE = 1/3 * 0.2 + 2/3 * 0.6 = 14/30; MCE = 0.6.
    result = calibration([0, 1, 1], [0.2, 0.4, 0.4])
    assert [r["count"] for r in result.evidence["reliability"]] == [1, 2]
    assert result.metrics["ece"] == pytest.approx(14 / 30)
    assert result.metrics["mce"] == pytest.approx(0.6)


def test_score_on_a_bin_edge_falls_in_the_lower_bin() -> None:
    rows = reliability_bins([1], [0.5], n_bins=2)
    assert (rows[0]["bin_low"], rows[0]["bin_high"]) == (0.0, 0.5)


def test_reliability_matches_sklearn_calibration_curve() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(500)
    y = (rng.random(500) < scores**2).astype(int)
    rows = reliability_bins(y, scores, n_bins=7)
    prob_true, prob_pred = calibration_curve(y, scores, n_bins=7, strategy="uniform")
    assert [r["fraction_positive"] for r in rows] == pytest.approx(list(prob_true))
    assert [r["mean_score"] for r in rows] == pytest.approx(list(prob_pred))
    assert sum(r["count"] for r in rows) == 500


def test_single_class_is_still_assessed() -> None:
    # All negatives: Brier = (0.2^2 + 0.4^2 + 0.4^2) / 3 = 0.12.
    result = calibration([0, 0, 0], [0.2, 0.4, 0.4])
    assert result.status == "assessed"
    assert result.metrics["brier"] == pytest.approx(0.12)
    assert result.metrics["ece"] == pytest.approx((0.2 + 2 * 0.4) / 3)
    assert any("one class" in note for note in result.notes)


def test_empty_input_is_not_assessed() -> None:
    result = calibration([], [])
    assert result.status == "not_assessed"
    assert result.reason
    assert result.metrics == {}


def test_scores_outside_unit_interval_are_not_assessed() -> None:
    result = calibration([0, 1], [-0.3, 2.5])
    assert result.status == "not_assessed"
    assert "probabilit" in result.reason


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError, match="length"):
        calibration([0, 1, 1], [0.2, 0.3])


def test_metrics_are_finite_for_mlflow() -> None:
    rng = np.random.default_rng(0)
    result = calibration(rng.integers(0, 2, 100), rng.random(100))
    assert set(result.finite_metrics()) == {"brier", "ece", "mce"}
    assert all(math.isfinite(v) for v in result.metrics.values())
