from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core import CandleDataError, Timeframe
from forex_diffusion.data import check_spacing, find_gaps, infer_timeframe, load_sample
from forex_diffusion.data.spacing import format_duration
from tests.data.strategies import random_candles


def test_infer_timeframe() -> None:
    assert infer_timeframe(random_candles(50, seed=1, freq="15min", drop=0.2).index) is (
        Timeframe.M15
    )
    assert infer_timeframe(random_candles(1, seed=1).index) is None
    assert infer_timeframe(random_candles(5, seed=1, freq="7min").index) is None


def test_sample_gaps_exclude_weekends_and_find_christmas() -> None:
    candles = load_sample("EURUSD", "H1")
    gaps = find_gaps(candles.index, Timeframe.H1)
    assert len(gaps) == 2
    assert gaps["after"].iloc[0] == pd.Timestamp("2017-12-22 21:00", tz="UTC")
    assert gaps["before"].iloc[1] == pd.Timestamp("2017-12-25 22:00", tz="UTC")
    assert gaps["missing_bars"].tolist() == [49, 14]


def test_midweek_gap_is_counted() -> None:
    index = pd.date_range("2017-01-03 00:00", periods=10, freq="h", tz="UTC").delete([4, 5, 6])
    gaps = find_gaps(index, Timeframe.H1)
    assert gaps[["missing_bars"]].to_numpy().ravel().tolist() == [3]
    assert gaps["after"].iloc[0] == pd.Timestamp("2017-01-03 03:00", tz="UTC")


def test_format_duration() -> None:
    minute = 60_000_000_000
    assert format_duration(30 * minute) == "30min"
    assert format_duration(60 * minute) == "1h"
    assert format_duration(1500 * minute) == "1d 1h"
    assert format_duration(1_500_000_000) == "1.5s"


def test_a_single_bar_off_the_grid_is_refused() -> None:
    """One bar has no spacing to check, but its time must still be on the timeframe's grid
    (an H1 bar at 05:30 is not an H1 bar)."""
    check_spacing(pd.DatetimeIndex([pd.Timestamp("2017-01-03 05:00", tz="UTC")]), Timeframe.H1)
    one = pd.DatetimeIndex([pd.Timestamp("2017-01-03 05:30", tz="UTC")])
    with pytest.raises(CandleDataError, match=r"row 0 \(2017-01-03 05:30 UTC\), column 'time'"):
        check_spacing(one, Timeframe.H1)
    check_spacing(one, Timeframe.D1)  # daily bars have no single grid
