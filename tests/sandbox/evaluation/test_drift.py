import math

import numpy as np
import pandas as pd
import pytest

from sandbox.evaluation.drift import population_drift, psi, psi_band

# Two bins with shares 0.5/0.5 (expected) and 0.75/0.25 (actual):
# PSI = (0.75 - 0.5) ln(0.75 / 0.5) + (0.25 - 0.5) ln(0.25 / 0.5)
#     = 0.25 ln 1.5 + 0.25 ln 2 = 0.25 ln 3 ~= 0.2747
QUARTER_LN3 = 0.25 * math.log(3)


def test_categorical_psi_by_hand() -> None:
    assert psi(["a", "a", "b", "b"], ["a", "a", "a", "b"]) == pytest.approx(QUARTER_LN3)


def test_bool_is_categorical() -> None:
    expected = pd.Series([True, True, False, False])
    actual = pd.Series([True, True, True, False])
    assert psi(expected, actual) == pytest.approx(QUARTER_LN3)


def test_new_category_uses_floored_share() -> None:
    # Expected shares a=1, b=0 -> floored to 1e-4; actual a=0.5, b=0.5.
    by_hand = (0.5 - 1) * math.log(0.5 / 1) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert psi(["a"] * 4, ["a", "a", "b", "b"]) == pytest.approx(by_hand)


def test_numeric_psi_uses_expected_quantiles() -> None:
    # Expected 1..10 with 2 bins: median edge 5.5 -> shares 0.5 / 0.5.
    # Actual [1, 2, 3, 6]: three below 5.5, one above -> 0.75 / 0.25.
    expected = np.arange(1, 11, dtype=float)
    assert psi(expected, [1.0, 2.0, 3.0, 6.0], bins=2) == pytest.approx(QUARTER_LN3)


def test_values_beyond_the_reference_range_fall_in_the_outer_bins() -> None:
    expected = np.arange(1, 11, dtype=float)
    assert psi(expected, [-100.0, -50.0, 0.0, 1e6], bins=2) == pytest.approx(QUARTER_LN3)


def test_identical_samples_have_zero_psi() -> None:
    rng = np.random.default_rng(0)
    sample = rng.normal(size=200)
    assert psi(sample, sample) == pytest.approx(0.0)
    assert psi(["x", "y", "y"], ["x", "y", "y"]) == pytest.approx(0.0)


def test_duplicate_quantile_edges_are_merged() -> None:
    # Eight 0s and two 1s: the decile edges collapse, leaving one bin per value, so the PSI
    # equals the categorical PSI of shares 0.8/0.2 vs 0.5/0.5:
    # (0.5 - 0.8) ln(0.5 / 0.8) + (0.5 - 0.2) ln(0.5 / 0.2) = 0.3 ln 4.
    expected = [0.0] * 8 + [1.0] * 2
    actual = [0.0] * 5 + [1.0] * 5
    assert psi(expected, actual, bins=10) == pytest.approx(0.3 * math.log(4))
    assert psi([str(v) for v in expected], [str(v) for v in actual]) == pytest.approx(
        0.3 * math.log(4)
    )


def test_missing_values_get_their_own_bin() -> None:
    # Bins (-inf, 2.5), [2.5, inf), missing. Expected shares 0.5, 0.5, 0 -> 1e-4;
    # actual 0.5, 0 -> 1e-4, 0.5.
    by_hand = 2 * (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert psi([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, np.nan, np.nan], bins=2) == pytest.approx(by_hand)


def test_psi_rejects_empty_samples() -> None:
    with pytest.raises(ValueError):
        psi([], [1.0])


@pytest.mark.parametrize(
    ("value", "band"),
    [(0.0, "stable"), (0.0999, "stable"), (0.1, "moderate"), (0.2499, "moderate")]
    + [(0.25, "significant"), (3.0, "significant")],
)
def test_bands(value: float, band: str) -> None:
    assert psi_band(value) == band


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    reference = pd.DataFrame(
        {
            "amount": np.arange(1, 11, dtype=float),
            "channel": ["app"] * 5 + ["web"] * 5,
            "memo": [f"customer wrote a long free-text memo number {i}" for i in range(10)],
        }
    )
    current = pd.DataFrame(
        {
            "amount": [1.0, 2.0, 3.0, 6.0],
            "channel": ["app"] * 2 + ["web"] * 2,
            "memo": ["another long free-text memo written today"] * 4,
        }
    )
    return reference, current


def test_population_drift_table_and_metrics() -> None:
    reference, current = _frames()
    result = population_drift(reference, current, ["channel", "amount", "memo", "ghost"], bins=2)
    assert result.status == "assessed"
    assert result.scorer == "drift"
    assert result.evidences == ["HKMA-AI-4", "HKMA-AI-9"]
    assert result.metrics["psi.amount"] == pytest.approx(QUARTER_LN3)
    assert result.metrics["psi.channel"] == pytest.approx(0.0)
    assert result.metrics["psi_max"] == pytest.approx(QUARTER_LN3)
    assert "psi.memo" not in result.metrics
    assert [(row["feature"], row["band"]) for row in result.evidence["table"]] == [
        ("amount", "significant"),
        ("channel", "stable"),
    ]
    notes = " ".join(result.notes)
    assert "memo" in notes and "free text" in notes
    assert "ghost" in notes
    assert "0.25" in notes  # the bands are explained


def test_short_repeated_strings_are_categorical_not_free_text() -> None:
    reference = pd.DataFrame({"merchant": ["a supermarket chain in Kowloon"] * 10})
    current = pd.DataFrame({"merchant": ["a supermarket chain in Kowloon"] * 10})
    result = population_drift(reference, current, ["merchant"])
    assert result.metrics["psi.merchant"] == pytest.approx(0.0)


def test_nothing_assessable_is_not_assessed() -> None:
    reference, current = _frames()
    result = population_drift(reference, current, ["memo"])
    assert result.status == "not_assessed"
    assert result.reason
    assert any("memo" in note for note in result.notes)


def test_empty_frames_are_not_assessed() -> None:
    reference, _ = _frames()
    result = population_drift(reference, reference.iloc[:0], ["amount"])
    assert result.status == "not_assessed"
