from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forex_diffusion.core import ConfigError, DataError, Timeframe
from forex_diffusion.data import OHLCV, load_sample, resample_candles
from tests.data.strategies import candle_frames, random_candles


def test_hand_computed_m5_bars() -> None:
    index = pd.date_range("2017-01-02 10:02", periods=6, freq="1min", tz="UTC")
    frame = pd.DataFrame(
        {
            "open": [1.0, 1.1, 1.2, 1.3, 1.4, 1.5],
            "high": [1.2, 1.3, 1.4, 1.5, 1.6, 1.7],
            "low": [0.9, 1.0, 1.1, 1.2, 1.3, 1.4],
            "close": [1.1, 1.2, 1.3, 1.4, 1.5, 1.6],
            "volume": [1, 2, 3, 4, 5, 6],
        },
        index=index,
    )
    out = resample_candles(frame, "M5")
    assert list(out.index) == [
        pd.Timestamp("2017-01-02 10:00", tz="UTC"),
        pd.Timestamp("2017-01-02 10:05", tz="UTC"),
    ]
    # bucket 10:00 holds 10:02-10:04, bucket 10:05 holds 10:05-10:07 (so far)
    np.testing.assert_allclose(out.iloc[0][list(OHLCV)].to_numpy(float), [1.0, 1.4, 0.9, 1.3, 6])
    np.testing.assert_allclose(out.iloc[1][list(OHLCV)].to_numpy(float), [1.3, 1.7, 1.2, 1.6, 15])
    assert out["complete"].tolist() == [True, False]  # 10:05 bucket needs 10:09 to close
    assert out["bars"].tolist() == [3, 3]


@settings(max_examples=50, deadline=None)
@given(candle_frames(min_size=1), st.sampled_from(["M5", "M15", "H1", "H4"]))
def test_ohlc_invariants_and_volume_conservation(frame: pd.DataFrame, target: str) -> None:
    out = resample_candles(frame, target, source_timeframe="M1")
    assert (out["high"] >= out[["open", "close"]].max(axis=1)).all()
    assert (out["low"] <= out[["open", "close"]].min(axis=1)).all()
    assert out["bars"].sum() == len(frame)
    assert out["volume"].sum() == pytest.approx(frame["volume"].sum())
    assert out["high"].max() == frame["high"].max()
    assert out["low"].min() == frame["low"].min()
    assert out["complete"].iloc[:-1].all()
    assert (out.index.asi8 % Timeframe.parse(target).nanos == 0).all()


@settings(max_examples=40, deadline=None)
@given(candle_frames(min_size=1))
def test_resampling_in_steps_equals_resampling_at_once(frame: pd.DataFrame) -> None:
    direct = resample_candles(frame, "H1", source_timeframe="M1")
    m15 = resample_candles(frame, "M15", source_timeframe="M1")
    stepped = resample_candles(m15[list(OHLCV)], "H1", source_timeframe="M15")
    pd.testing.assert_frame_equal(direct[list(OHLCV)], stepped[list(OHLCV)])
    assert direct["complete"].iloc[:-1].equals(stepped["complete"].iloc[:-1])


@settings(max_examples=40, deadline=None)
@given(candle_frames(min_size=2, max_size=400), st.data())
def test_prefix_complete_bars_never_change(frame: pd.DataFrame, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(["M5", "M30", "H1"]))
    t = data.draw(st.integers(0, len(frame) - 1))
    full = resample_candles(frame, target, source_timeframe="M1")
    prefix = resample_candles(frame.iloc[: t + 1], target, source_timeframe="M1")
    done = prefix[prefix["complete"]]
    pd.testing.assert_frame_equal(done, full.loc[done.index])
    # the last prefix bar, complete or not, only ever uses bars <= t
    last = prefix.iloc[-1]
    inside = frame.iloc[: t + 1].loc[frame.index[: t + 1] >= prefix.index[-1]]
    assert last["high"] == inside["high"].max()
    assert last["close"] == inside["close"].iloc[-1]


def test_last_bar_flags_on_the_real_sample() -> None:
    candles = load_sample("EURUSD", "H1")
    h4 = resample_candles(candles, "H4")
    # last H1 bar 21:00 closes at 22:00 = Friday 17:00 New York: the week ended, bar complete
    assert bool(h4["complete"].iloc[-1])
    cut = resample_candles(candles.loc[:"2017-12-29 18:00"], "H4")
    assert not bool(cut["complete"].iloc[-1])  # 16:00 bucket still waits for 19:00


def test_new_york_days_and_weeks_on_the_sample() -> None:
    candles = load_sample("EURUSD", "H1")
    daily = resample_candles(candles, "D1", anchor="new_york")
    local = daily.index.tz_convert("America/New_York")
    assert (local.hour == 17).all()
    assert (daily["bars"] == 24).mean() > 0.99
    weekly = resample_candles(candles, "W1", anchor="new_york")
    assert (weekly.index.tz_convert("America/New_York").day_of_week == 6).all()  # Sunday 17:00
    utc_weeks = resample_candles(candles, "W1")
    assert (utc_weeks.index.day_of_week == 6).all() and (utc_weeks.index.hour == 0).all()
    assert weekly["volume"].sum() == pytest.approx(candles["volume"].sum())


def test_bad_requests() -> None:
    frame = random_candles(10, seed=1, freq="1h")
    with pytest.raises(ConfigError, match="target must be a longer timeframe"):
        resample_candles(frame, "M30")
    with pytest.raises(ConfigError, match="unknown resample anchor"):
        resample_candles(frame, "D1", anchor="tokyo")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="cannot infer the source timeframe"):
        resample_candles(frame.iloc[:1], "D1")
