"""Multiclass metrics, the confusion scorer and top-label calibration on a hand-worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sandbox.evaluation.base import ReportSection
from sandbox.evaluation.calibration import calibration
from sandbox.evaluation.multiclass import confusion, multiclass_metrics

NAMES = ["card", "fps", "loan"]
# Six queries, three intents. Top class per row: 0, 0, 1, 1, 0, 2, so two mistakes:
# row 2 (a card query routed to fps) and row 4 (an fps query routed to card).
Y = [0, 0, 0, 1, 1, 2]
PROBA = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.6, 0.3, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.8, 0.1],
        [0.5, 0.4, 0.1],
        [0.1, 0.1, 0.8],
    ]
)
PREDICTED = [0, 0, 1, 1, 0, 2]


def test_multiclass_metrics_by_hand() -> None:
    # Per class: card P = 2/3 (rows 0, 1 of 0, 1, 4), R = 2/3 -> F1 2/3; fps P = 1/2, R = 1/2
    # -> F1 1/2; loan F1 1. Macro-F1 = (2/3 + 1/2 + 1) / 3 = 13/18; weighted by support
    # (3, 2, 1): (2 + 1 + 1) / 6 = 2/3. Log loss: mean of -ln p(true class).
    m = multiclass_metrics(Y, PROBA)
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["macro_f1"] == pytest.approx(13 / 18)
    assert m["weighted_f1"] == pytest.approx(2 / 3)
    assert m["top3_accuracy"] == 1.0  # three classes: the true one is always in the top 3
    expected_log_loss = -sum(math.log(p) for p in (0.7, 0.6, 0.2, 0.8, 0.4, 0.8)) / 6
    assert m["log_loss"] == pytest.approx(expected_log_loss)


def test_top3_accuracy_misses_a_fourth_ranked_class() -> None:
    proba = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    m = multiclass_metrics([3, 3], proba)
    assert m["accuracy"] == 0.5
    assert m["top3_accuracy"] == 0.5  # row 0 ranks class 3 last of four


def test_confusion_per_class_and_pairs_by_hand() -> None:
    result = confusion(Y, PREDICTED, NAMES)
    assert result.status == "assessed"
    assert result.section is ReportSection.OUTCOMES
    per_class = result.slices["class"]
    assert per_class["card"] == pytest.approx(
        {"n": 3, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    )
    assert per_class["fps"] == pytest.approx({"n": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5})
    assert per_class["loan"] == pytest.approx({"n": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0})
    assert result.metrics["worst_class_f1"] == pytest.approx(0.5)
    assert result.metrics["classes_below_0_9"] == 2
    assert result.evidence["pairs"] == [
        {"true": "card", "predicted": "fps", "count": 1, "share_of_true": pytest.approx(1 / 3)},
        {"true": "fps", "predicted": "card", "count": 1, "share_of_true": pytest.approx(1 / 2)},
    ]
    assert result.evidence["n"] == 6 and result.evidence["classes"] == 3


def test_pairs_are_ordered_by_count() -> None:
    # fps -> loan twice, card -> fps once: the larger confusion comes first.
    result = confusion([0, 1, 1, 1], [1, 2, 2, 1], NAMES)
    pairs = [(p["true"], p["predicted"], p["count"]) for p in result.evidence["pairs"]]
    assert pairs == [("fps", "loan", 2), ("card", "fps", 1)]


def test_hand_off_counts_as_wrong_and_is_not_a_pair() -> None:
    # Row 4 (fps) is handed to a person (-1) instead of being routed to card.
    handed_off = [0, 0, 1, 1, -1, 2]
    result = confusion(Y, handed_off, NAMES)
    per_class = result.slices["class"]
    assert per_class["fps"]["recall"] == pytest.approx(0.5)  # still not routed right
    assert per_class["card"]["precision"] == pytest.approx(1.0)  # no longer a wrong card
    assert per_class["card"]["recall"] == pytest.approx(2 / 3)
    pairs = [(p["true"], p["predicted"]) for p in result.evidence["pairs"]]
    assert pairs == [("card", "fps")]
    assert result.evidence["n"] == 6  # the hand-off row still counts


def test_class_absent_from_the_test_split_is_left_out_of_the_slices() -> None:
    result = confusion([0, 1], [0, 1], [*NAMES, "fx"])
    assert set(result.slices["class"]) == {"card", "fps"}
    assert result.evidence["classes"] == 4
    assert result.metrics["worst_class_f1"] == 1.0 and result.metrics["classes_below_0_9"] == 0
    assert result.evidence["pairs"] == []


def test_confusion_without_rows_is_not_assessed_and_lengths_must_match() -> None:
    empty = confusion([], [], NAMES)
    assert empty.status == "not_assessed" and empty.reason == "no rows to assess"
    assert empty.section is ReportSection.OUTCOMES
    with pytest.raises(ValueError, match="differ in length"):
        confusion([0, 1], [0], NAMES)


def test_top_label_calibration_of_a_probability_matrix() -> None:
    # Top-class confidence 0.7, 0.6, 0.5, 0.8, 0.5, 0.8; right: 1, 1, 0, 1, 0, 1.
    # Two bins, closed on the right: (0, 0.5] holds the two 0.5 rows, both wrong -> gap 0.5;
    # (0.5, 1] holds 0.7, 0.6, 0.8, 0.8 (mean 0.725), all right -> gap 0.275.
    # ECE = 2/6 * 0.5 + 4/6 * 0.275 = 0.35; MCE = 0.5.
    # Multiclass Brier (sum over classes, mean over rows):
    # (0.14 + 0.26 + 0.98 + 0.06 + 0.62 + 0.06) / 6 = 2.12 / 6.
    result = calibration(Y, PROBA, n_bins=2)
    assert result.status == "assessed"
    assert result.metrics["ece"] == pytest.approx(0.35)
    assert result.metrics["mce"] == pytest.approx(0.5)
    assert result.metrics["brier"] == pytest.approx(2.12 / 6)
    rows = result.evidence["reliability"]
    assert [r["count"] for r in rows] == [2, 4]
    assert [r["fraction_positive"] for r in rows] == pytest.approx([0.0, 1.0])
    assert [r["mean_score"] for r in rows] == pytest.approx([0.5, 0.725])
    assert any("Top-label calibration" in note for note in result.notes)


def test_top_label_calibration_checks_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        calibration([0, 1], PROBA)
