from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import ConfigError, DataError
from forex_diffusion.data import load_sample, resample_candles
from forex_diffusion.features import calculate_indicators
from forex_diffusion.features.feature_name_utils import validate_feature_names
from forex_diffusion.features.indicator_pipeline import build_features

HIGHER = {"H4": ["rsi_14", "atr_5"], "D1": ["bb_10_2"]}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample("EURUSD", "H1").iloc[:2500]


@pytest.fixture(scope="module")
def full(sample: pd.DataFrame) -> pd.DataFrame:
    return build_features(sample, timeframe="H1", higher=HIGHER)


def test_columns_are_standard_names(full: pd.DataFrame) -> None:
    assert validate_feature_names(full.columns) == (True, [])
    for col in (
        "rsi_14",
        "macd_signal_12_26_9",
        "rsi_h4_14",
        "atr_h4_5",
        "bb_upper_d1_10_2",
        "hour_sin",
        "weekday_cos",
        "session_london",
        "ret_1",
        "ret_24",
        "realized_vol_24",
        "log_range",
    ):
        assert col in full.columns


@pytest.mark.parametrize("t", [0, 1, 30, 97, 98, 99, 100, 101, 500, 1234, 1771, 2000, 2499])
def test_prefix_test_every_column(sample: pd.DataFrame, full: pd.DataFrame, t: int) -> None:
    prefix = build_features(sample.iloc[: t + 1], timeframe="H1", higher=HIGHER)
    np.testing.assert_allclose(
        prefix.iloc[-1].to_numpy(float),
        full.iloc[t].to_numpy(float),
        rtol=0,
        atol=1e-12,
        equal_nan=True,
    )


def test_higher_timeframe_value_appears_only_when_its_bar_has_closed(
    sample: pd.DataFrame, full: pd.DataFrame
) -> None:
    h4 = resample_candles(sample, "H4")
    rsi = calculate_indicators(h4, "rsi_14")["rsi_14"]
    # the H4 bar opening 2017-01-05 08:00 covers H1 bars 08..11; it is final when the 11:00 bar
    # closes, so rows 08:00-10:00 still show the previous H4 bar and 11:00 shows this one
    bar = pd.Timestamp("2017-01-05 08:00", tz="UTC")
    prev = pd.Timestamp("2017-01-05 04:00", tz="UTC")
    for hour in (8, 9, 10):
        row = pd.Timestamp(f"2017-01-05 {hour:02d}:00", tz="UTC")
        assert full.loc[row, "rsi_h4_14"] == rsi[prev]
    assert full.loc[pd.Timestamp("2017-01-05 11:00", tz="UTC"), "rsi_h4_14"] == rsi[bar]


def test_calendar_and_returns(full: pd.DataFrame, sample: pd.DataFrame) -> None:
    row = full.loc[pd.Timestamp("2017-01-04 06:00", tz="UTC")]
    assert row["hour_sin"] == pytest.approx(1.0)  # 06:00 is a quarter of the day
    assert row["session_tokyo"] == 1.0
    assert row["session_new_york"] == 0.0
    close = sample["close"]
    assert full["ret_4"].iloc[10] == pytest.approx(np.log(close.iloc[10] / close.iloc[6]))
    assert full["realized_vol_24"].iloc[:24].isna().all()
    assert full["realized_vol_24"].iloc[24] == pytest.approx(
        np.std(np.diff(np.log(close.iloc[:25].to_numpy())))
    )


def test_bad_requests(sample: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="not longer than H1"):
        build_features(sample, higher={"M30": ["rsi"]})
    with pytest.raises(DataError, match="no candles"):
        build_features(sample.iloc[:0])
