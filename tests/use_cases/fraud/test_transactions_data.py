"""Tests for the synthetic Hong Kong transaction generator and its leakage-free features."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from use_cases.fraud.transactions_data import (
    CATEGORICAL_COLUMNS,
    CHANNELS,
    DISTRICTS,
    FAIRNESS_COLUMNS,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    TYPOLOGIES,
    TYPOLOGY_COLUMN,
    TransactionSimConfig,
    build_features,
    generate_transactions,
    temporal_split,
)

SMALL = TransactionSimConfig(seed=3, days=21, daily_volume=800, n_customers=1500)


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_transactions(SMALL)


def test_same_config_gives_identical_frames(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    again_txns, again_customers = generate_transactions(SMALL)
    pd.testing.assert_frame_equal(generated[0], again_txns)
    pd.testing.assert_frame_equal(generated[1], again_customers)


def test_different_seed_gives_different_transactions(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    other, _ = generate_transactions(SMALL.model_copy(update={"seed": 4}))
    assert not other["amount_hkd"].head(200).equals(generated[0]["amount_hkd"].head(200))


def test_config_rejects_unknown_keys_and_out_of_range_values() -> None:
    with pytest.raises(ValidationError, match="no_such_key"):
        TransactionSimConfig(no_such_key=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="fraud_rate_target"):
        TransactionSimConfig(fraud_rate_target=0.5)


def test_volume_fraud_rate_and_typologies(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    txns, customers = generated
    per_day = txns.groupby(txns["timestamp"].dt.normalize()).size()
    assert len(per_day) == SMALL.days
    # Legitimate volume is ~daily_volume per day; fraud adds well under 2 %.
    assert 0.7 * SMALL.daily_volume < per_day.mean() < 1.3 * SMALL.daily_volume
    fraud_rate = txns[LABEL_COLUMN].mean()
    assert 0.002 <= fraud_rate <= 0.01, fraud_rate
    fraud_typologies = set(txns.loc[txns[LABEL_COLUMN] == 1, TYPOLOGY_COLUMN])
    assert fraud_typologies == set(TYPOLOGIES) - {"none"}
    # Legitimate rows carry the typology "none"; every fraud row carries a real one.
    assert (txns.loc[txns[LABEL_COLUMN] == 0, TYPOLOGY_COLUMN] == "none").all()
    assert set(txns["channel"]) <= set(CHANNELS)
    assert txns["timestamp"].is_monotonic_increasing
    assert txns["txn_id"].is_unique
    assert customers["customer_id"].is_unique


def test_fairness_attributes_are_present_and_plausible(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    txns, customers = generated
    for column in FAIRNESS_COLUMNS:
        assert txns[column].notna().all(), column
    assert set(customers["district"]) <= set(DISTRICTS)
    # All 18 districts appear in a population of 1,500 customers.
    assert customers["district"].nunique() == len(DISTRICTS) == 18
    assert set(customers["sex"]) == {"F", "M"}


def test_features_have_the_declared_columns_and_no_labels(
    generated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    txns, _ = generated
    features = build_features(txns)
    assert list(features.columns) == list(FEATURE_COLUMNS) + list(CATEGORICAL_COLUMNS)
    assert features.index.equals(txns.index)
    numeric = features[list(FEATURE_COLUMNS)]
    assert numeric.notna().all().all()
    assert not set(features.columns) & {LABEL_COLUMN, TYPOLOGY_COLUMN, *FAIRNESS_COLUMNS}


def test_features_use_only_the_past(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Truncating the future must not change any feature of the remaining rows."""
    txns, _ = generated
    full = build_features(txns)
    cut = txns["timestamp"].min() + pd.Timedelta(days=10)
    past = txns[txns["timestamp"] < cut]
    truncated = build_features(past)
    pd.testing.assert_frame_equal(full.loc[past.index], truncated)


def test_temporal_split_is_by_whole_days(generated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    txns, _ = generated
    train_idx, test_idx = temporal_split(txns, test_days=7)
    assert len(train_idx) + len(test_idx) == len(txns)
    assert txns.loc[train_idx, "timestamp"].max() < txns.loc[test_idx, "timestamp"].min()
    assert txns.loc[test_idx, "timestamp"].dt.normalize().nunique() == 7
    with pytest.raises(ValueError, match="test_days"):
        temporal_split(txns, test_days=0)
    with pytest.raises(ValueError, match="empty"):
        temporal_split(txns.iloc[:0])
