from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forex_diffusion.core import CandleDataError
from forex_diffusion.data import OHLCV, load_candles, validate_candles
from tests.data.strategies import candle_frames, random_candles


def test_normalises_spellings_ts_utc_and_dtypes() -> None:
    raw = pd.DataFrame(
        {
            "ts_utc": [1483394400000, 1483398000000],
            "Open": ["1.05", "1.06"],
            "High": [1.07, 1.08],
            "Low": [1.04, 1.05],
            "Close": [1.06, 1.07],
            "Volume": [10, 0],
            "spread": [1.2, 1.1],
        }
    )
    out = validate_candles(raw)
    assert list(out.columns) == [*OHLCV, "spread"]
    assert all(out[c].dtype == np.float64 for c in OHLCV)
    assert str(out.index.dtype) == "datetime64[ns, UTC]"
    assert out.index.name == "time"
    assert out.index[0] == pd.Timestamp("2017-01-02 22:00", tz="UTC")


def test_other_time_zones_are_converted_and_missing_volume_is_zero() -> None:
    index = pd.date_range("2017-01-02 09:00", periods=2, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame(
        {"open": [1, 1], "high": [2, 2], "low": [1, 1], "close": [1.5, 1.5]}, index=index
    )
    out = validate_candles(frame)
    assert out.index[0] == pd.Timestamp("2017-01-02 08:00", tz="UTC")
    assert (out["volume"] == 0).all()


def test_naive_index_is_refused_with_the_fix() -> None:
    frame = random_candles(3, seed=1).tz_localize(None)
    with pytest.raises(CandleDataError, match=r"no time zone; localise them first"):
        validate_candles(frame)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("close", np.nan, "not finite"),
        ("high", np.inf, "not finite"),
        ("open", -1.0, "price must be > 0"),
        ("low", 0.0, "price must be > 0"),
        ("volume", -5.0, "volume must be >= 0"),
    ],
)
def test_bad_values_name_row_time_and_column(column: str, value: float, message: str) -> None:
    frame = random_candles(10, seed=2)
    frame.iloc[6, frame.columns.get_loc(column)] = value
    with pytest.raises(CandleDataError, match=message) as info:
        validate_candles(frame)
    err = info.value
    assert (err.position, err.column) == (6, column)
    assert str(err).startswith(f"row 6 (2017-01-02 00:06 UTC), column '{column}'")


def test_ohlc_inconsistency_is_caught() -> None:
    frame = random_candles(10, seed=3)
    frame.iloc[4, frame.columns.get_loc("high")] = frame["low"].iloc[4] * 0.999
    with pytest.raises(CandleDataError, match=r"row 4 .*column 'high': high is below low"):
        validate_candles(frame)
    frame = random_candles(10, seed=3)
    frame.iloc[2, frame.columns.get_loc("low")] = frame[["open", "close"]].iloc[2].min() * 1.0001
    with pytest.raises(CandleDataError, match=r"low is above min\(open, close\)"):
        validate_candles(frame)


def test_text_in_numbers_is_named() -> None:
    frame = random_candles(5, seed=4).astype({"close": object})
    frame.iloc[3, frame.columns.get_loc("close")] = "abc"
    with pytest.raises(CandleDataError, match=r"row 3 .*column 'close': 'abc' is not a number"):
        validate_candles(frame)


def test_duplicates_and_unsorted_fail_unless_repaired() -> None:
    frame = random_candles(6, seed=5)
    dup = pd.concat([frame.iloc[:3], frame.iloc[2:3], frame.iloc[3:]])
    with pytest.raises(CandleDataError, match=r"row 3 .*timestamp duplicated"):
        validate_candles(dup)
    unsorted = frame.iloc[[0, 2, 1, 3, 4, 5]]
    with pytest.raises(CandleDataError, match=r"row 2 .*out of order"):
        validate_candles(unsorted)
    repaired = validate_candles(pd.concat([unsorted, dup]), repair=True)
    pd.testing.assert_frame_equal(repaired, validate_candles(frame), check_freq=False)


def test_empty_and_missing_columns() -> None:
    with pytest.raises(CandleDataError, match="empty"):
        validate_candles(random_candles(3, seed=1).iloc[:0])
    with pytest.raises(CandleDataError, match="missing column"):
        validate_candles(random_candles(3, seed=1).drop(columns="low"))
    with pytest.raises(CandleDataError, match="must be a pandas DataFrame"):
        validate_candles([1, 2, 3])  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(candle_frames())
def test_valid_frames_pass_unchanged(frame: pd.DataFrame) -> None:
    out = validate_candles(frame)
    np.testing.assert_array_equal(out[list(OHLCV)].to_numpy(), frame.to_numpy())
    assert out.index.is_monotonic_increasing and out.index.is_unique
    assert validate_candles(out).equals(out)  # idempotent


@settings(max_examples=60, deadline=None)
@given(candle_frames(min_size=2), st.data())
def test_first_corrupted_row_is_the_one_reported(frame: pd.DataFrame, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(frame) - 1))
    column = data.draw(st.sampled_from(["open", "high", "low", "close"]))
    frame.iloc[pos, frame.columns.get_loc(column)] = -1.0
    with pytest.raises(CandleDataError) as info:
        validate_candles(frame)
    assert info.value.position == pos


def test_a_time_outside_the_nanosecond_range_names_its_row() -> None:
    index = pd.DatetimeIndex(
        [pd.Timestamp("2017-01-02 00:00"), pd.Timestamp("0170-10-02 05:00")], tz="UTC"
    ).as_unit("s")
    frame = pd.DataFrame({c: [1.1, 1.1] for c in ("open", "high", "low", "close")}, index=index)
    with pytest.raises(
        CandleDataError,
        match=r"row 1, column 'time': time 0170-10-02 .*outside the supported range \(1677-2262\)",
    ):
        validate_candles(frame)


def test_a_file_with_a_year_0_time_names_its_line(tmp_path: Path) -> None:
    """The fuzzer's case: the message's time is written from its fields (strftime refuses
    year 0)."""
    path = tmp_path / "year0.csv"
    path.write_text("time,open,high,low,close\n0000-01-02 00:00,1,2,1,1.5\n")
    with pytest.raises(
        CandleDataError, match=r"year0.csv: line 2, column 'time': .*\(time 0000-01-02 00:00 UTC\)"
    ):
        load_candles(path)
