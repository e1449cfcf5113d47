import math

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equal_opportunity_difference,
    selection_rate,
    true_positive_rate,
)

from sandbox.evaluation.fairness import fairness


def _group(n: int, positives: int, tp: int, fp: int) -> tuple[list[int], list[int]]:
    """Labels and decisions for a group: ``tp`` of its positives and ``fp`` negatives flagged."""
    negatives = n - positives
    y = [1] * positives + [0] * negatives
    d = [1] * tp + [0] * (positives - tp) + [1] * fp + [0] * (negatives - fp)
    return y, d


def _sex_data() -> tuple[list[int], list[int], list[str]]:
    # F: 40 rows, 10 positives, 8 caught, 4 of 30 negatives flagged
    #    -> selection 12/40 = 0.3, TPR 0.8, FPR 4/30
    # M: 40 rows, 20 positives, 10 caught, 10 of 20 negatives flagged
    #    -> selection 20/40 = 0.5, TPR 0.5, FPR 0.5
    # X: 5 rows (below min_group_size 30), 2 positives, all flagged -> selection 1.0, TPR 1.0
    # Gaps over F and M only: DPD = 0.5 - 0.3 = 0.2, EOD = 0.8 - 0.5 = 0.3.
    y, d, g = [], [], []
    for name, spec in (("F", (40, 10, 8, 4)), ("M", (40, 20, 10, 10)), ("X", (5, 2, 2, 3))):
        gy, gd = _group(*spec)
        y += gy
        d += gd
        g += [name] * spec[0]
    return y, d, g


def test_gaps_match_hand_computation_and_small_groups_are_excluded() -> None:
    y, d, sex = _sex_data()
    result = fairness(y, d, {"sex": sex}, n_boot=20)
    assert result.status == "assessed"
    assert result.scorer == "fairness"
    assert result.evidences == ["HKMA-AI-8", "HKMA-BDAI-FAIR"]
    assert result.metrics["dpd.sex"] == pytest.approx(0.2)
    assert result.metrics["eod.sex"] == pytest.approx(0.3)
    assert result.metrics["dpd_max"] == pytest.approx(0.2)
    assert result.metrics["eod_max"] == pytest.approx(0.3)
    assert result.slices["sex"]["F"] == pytest.approx(
        {"n": 40, "selection_rate": 0.3, "tpr": 0.8, "fpr": 4 / 30, "positives": 10}
    )
    assert result.slices["sex"]["M"] == pytest.approx(
        {"n": 40, "selection_rate": 0.5, "tpr": 0.5, "fpr": 0.5, "positives": 20}
    )
    # The small group is reported but not part of the gaps (it would make DPD 0.7).
    assert result.slices["sex"]["X"]["n"] == 5
    assert result.slices["sex"]["X"]["selection_rate"] == 1.0
    assert any("sex" in note and "X" in note for note in result.notes)


def test_group_without_positives_is_excluded_from_equal_opportunity() -> None:
    # A: 40 rows, 10 positives, 6 caught, no false alarms -> selection 0.15, TPR 0.6
    # B: 30 rows, no positives, 3 flagged                 -> selection 0.10, TPR undefined
    # C: 30 rows, 10 positives, 9 caught, no false alarms -> selection 0.30, TPR 0.9
    # DPD = 0.30 - 0.10 = 0.2; EOD over A and C = 0.9 - 0.6 = 0.3 (0.9 if B counted as TPR 0).
    y, d, region = [], [], []
    for name, spec in (("A", (40, 10, 6, 0)), ("B", (30, 0, 0, 3)), ("C", (30, 10, 9, 0))):
        gy, gd = _group(*spec)
        y += gy
        d += gd
        region += [name] * spec[0]
    result = fairness(y, d, {"region": region}, n_boot=20)
    assert result.metrics["dpd.region"] == pytest.approx(0.2)
    assert result.metrics["eod.region"] == pytest.approx(0.3)
    assert math.isnan(result.slices["region"]["B"]["tpr"])
    assert result.slices["region"]["B"]["fpr"] == pytest.approx(0.1)
    assert any("without positives" in note and "B" in note for note in result.notes)


def test_maxima_across_attributes_and_attribute_without_two_groups() -> None:
    y, d, sex = _sex_data()
    # "half": F (40 rows) vs the other 45 rows: selection 25/45, TPR 12/22.
    # DPD.half = 25/45 - 0.3 ~= 0.256 > DPD.sex = 0.2; EOD.half = 0.8 - 12/22 ~= 0.255 < 0.3.
    half = ["first" if s == "F" else "second" for s in sex]
    segment = ["retail"] * 80 + ["private"] * 5  # only one group with 30+ rows
    result = fairness(y, d, {"sex": sex, "half": half, "segment": segment}, n_boot=20)
    assert result.metrics["dpd.half"] == pytest.approx(25 / 45 - 0.3)
    assert result.metrics["eod.half"] == pytest.approx(0.8 - 12 / 22)
    assert result.metrics["dpd_max"] == pytest.approx(25 / 45 - 0.3)
    assert result.metrics["eod_max"] == pytest.approx(0.3)
    assert "dpd.segment" not in result.metrics
    assert "eod.segment" not in result.metrics
    assert set(result.slices["segment"]) == {"retail", "private"}
    assert any("segment" in note and "fewer than two groups" in note for note in result.notes)


def test_no_attribute_with_two_eligible_groups_is_not_assessed_but_keeps_slices() -> None:
    y, d, sex = _sex_data()
    result = fairness(y, d, {"sex": sex}, min_group_size=50)
    assert result.status == "not_assessed"
    assert result.reason
    assert result.metrics == {}
    assert set(result.slices["sex"]) == {"F", "M", "X"}


def test_intervals_are_deterministic_for_a_seed() -> None:
    y, d, sex = _sex_data()
    first = fairness(y, d, {"sex": sex}, n_boot=50, seed=3)
    again = fairness(y, d, {"sex": sex}, n_boot=50, seed=3)
    other = fairness(y, d, {"sex": sex}, n_boot=50, seed=4)
    assert first.model_dump() == again.model_dump()
    assert first.intervals["dpd.sex"] != other.intervals["dpd.sex"]
    for key in ("dpd.sex", "eod.sex"):
        interval = first.intervals[key]
        assert 0 <= interval.low < interval.high <= 1
        assert interval.level == 0.95


def test_equal_treatment_gives_zero_gaps_and_zero_width_intervals() -> None:
    y, _, sex = _sex_data()
    nothing_flagged = [0] * len(y)
    result = fairness(y, nothing_flagged, {"sex": sex}, n_boot=20)
    assert result.metrics["dpd.sex"] == 0
    assert result.metrics["eod.sex"] == 0
    assert (result.intervals["dpd.sex"].low, result.intervals["dpd.sex"].high) == (0, 0)
    assert (result.intervals["eod.sex"].low, result.intervals["eod.sex"].high) == (0, 0)


def test_group_values_become_string_keys() -> None:
    y, d, sex = _sex_data()
    codes = np.array([{"F": 1, "M": 2, "X": 3}[s] for s in sex])
    result = fairness(y, d, {"code": codes}, n_boot=5)
    assert set(result.slices["code"]) == {"1", "2", "3"}
    assert result.metrics["dpd.code"] == pytest.approx(0.2)


def test_empty_input_or_no_attribute_is_not_assessed() -> None:
    assert fairness([], [], {"sex": []}).status == "not_assessed"
    y, d, _ = _sex_data()
    assert fairness(y, d, {}).status == "not_assessed"


def test_malformed_input_raises() -> None:
    y, d, sex = _sex_data()
    with pytest.raises(ValueError, match="values"):
        fairness(y, d, {"sex": sex[:-1]})
    with pytest.raises(ValueError, match="0 or 1"):
        fairness(y, [0.3] * len(y), {"sex": sex})
    with pytest.raises(ValueError, match="length"):
        fairness(y, d[:-1], {"sex": sex})


def test_gaps_and_slices_agree_with_fairlearn_on_the_rows() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    y = (rng.random(n) < 0.2).astype(int)
    d = (rng.random(n) < 0.1 + 0.5 * y).astype(int)
    district = rng.choice(["Central", "Kwun Tong", "Sha Tin", "Tuen Mun"], n)
    result = fairness(y, d, {"district": district}, n_boot=5)
    assert result.metrics["dpd.district"] == pytest.approx(
        demographic_parity_difference(y, d, sensitive_features=district)
    )
    assert result.metrics["eod.district"] == pytest.approx(
        equal_opportunity_difference(y, d, sensitive_features=district)
    )
    frame = MetricFrame(
        metrics={"selection_rate": selection_rate, "tpr": true_positive_rate},
        y_true=y,
        y_pred=d,
        sensitive_features=district,
    )
    for group, row in frame.by_group.iterrows():
        assert result.slices["district"][group]["selection_rate"] == pytest.approx(
            row["selection_rate"]
        )
        assert result.slices["district"][group]["tpr"] == pytest.approx(row["tpr"])
