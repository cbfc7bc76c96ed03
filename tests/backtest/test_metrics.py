"""Every metric against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.backtest.metrics import (
    PERIODS_PER_YEAR,
    cagr,
    daily_returns,
    exposure,
    max_drawdown,
    performance,
    sharpe,
    sortino,
)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_daily_returns_close_fx_days_at_17_new_york() -> None:
    # 2017-03-06 is EST: the FX day ends at 22:00 UTC
    equity = pd.Series(
        [100.0, 110.0, 99.0, 99.0],
        index=pd.DatetimeIndex(
            [
                utc("2017-03-06 10:00"),
                utc("2017-03-06 21:00"),
                utc("2017-03-06 22:00"),
                utc("2017-03-07 21:00"),
            ]
        ),
    )
    r = daily_returns(equity)
    assert r.to_numpy() == pytest.approx([110 / 100 - 1, 99 / 110 - 1])


def test_sharpe_and_sortino_by_hand() -> None:
    r = pd.Series([0.01, -0.02, 0.03, 0.0])
    mean, sd = 0.005, math.sqrt((0.005**2 + 0.025**2 + 0.025**2 + 0.005**2) / 3)
    assert sharpe(r) == pytest.approx(mean / sd * math.sqrt(PERIODS_PER_YEAR))
    downside = math.sqrt(0.02**2 / 4)  # 0.01
    assert sortino(r) == pytest.approx(mean / downside * math.sqrt(PERIODS_PER_YEAR))
    assert sharpe(pd.Series([0.01, 0.01])) is None and sortino(pd.Series([0.01, 0.02])) is None


def test_max_drawdown_depth_and_duration() -> None:
    times = pd.date_range("2017-01-02", periods=6, freq="D", tz="UTC")
    equity = pd.Series([100, 120, 90, 110, 125, 100], index=times, dtype=float)
    depth, duration = max_drawdown(equity)
    assert depth == pytest.approx(30 / 120)  # 120 -> 90
    # under the 120 peak from day 1 to day 4 (3 days); under 125 from day 4 to the end (1 day)
    assert duration == pd.Timedelta(days=3)


def test_cagr_over_calendar_time() -> None:
    times = pd.DatetimeIndex([utc("2017-01-01"), utc("2019-01-01")])
    equity = pd.Series([100.0, 121.0], index=times)
    years = 730 / 365.25
    assert cagr(equity, initial=100.0) == pytest.approx(1.21 ** (1 / years) - 1)


def test_exposure_counts_bars_with_an_open_position() -> None:
    index = pd.date_range("2017-01-02", periods=10, freq="h", tz="UTC")
    entries = pd.Series([index[1], index[5]])
    exits = pd.Series([index[3], index[6]])  # open on bars 1, 2 and 5
    assert exposure(index, entries, exits) == pytest.approx(3 / 10)


def test_performance_of_three_trades() -> None:
    index = pd.date_range("2017-03-06 00:00", periods=72, freq="h", tz="UTC")
    equity = pd.Series(np.linspace(100_000, 100_150, 72), index=index)
    trades = pd.DataFrame(
        {
            "entry_time": [index[0], index[10], index[30]],
            "exit_time": [index[4], index[20], index[31]],
            "pnl": [200.0, -100.0, 50.0],
            "risk": [100.0, 100.0, 50.0],
            "commission": [7.0, 7.0, 3.5],
            "swap": [0.0, -6.0, 0.0],
            "spread_cost": [6.0, 6.0, 3.0],
            "slippage_cost": [2.0, 2.0, 1.0],
        }
    )
    m = performance(equity, trades, initial=100_000.0)
    assert m["trade_count"] == 3 and m["win_rate"] == pytest.approx(2 / 3)
    assert m["profit_factor"] == pytest.approx(250 / 100)
    assert m["expectancy"] == pytest.approx(50.0)
    assert m["expectancy_r"] == pytest.approx((2 - 1 + 1) / 3)
    assert m["average_win"] == pytest.approx(125.0) and m["average_loss"] == pytest.approx(-100.0)
    assert m["average_holding_hours"] == pytest.approx((4 + 10 + 1) / 3)
    assert m["exposure"] == pytest.approx((4 + 10 + 1) / 72)
    assert m["costs"] == {
        "spread_cost": 15.0,
        "slippage_cost": 5.0,
        "commission": 17.5,
        "swap": -6.0,
    }
    assert m["total_return"] == pytest.approx(0.0015) and m["max_drawdown"] == 0.0
    assert m["calmar"] is None and m["net_pnl"] == pytest.approx(150.0)


def test_performance_without_trades() -> None:
    index = pd.date_range("2017-03-06", periods=3, freq="h", tz="UTC")
    m = performance(pd.Series([1e5] * 3, index=index), pd.DataFrame(), initial=1e5)
    assert m["trade_count"] == 0 and m["win_rate"] is None and m["exposure"] == 0.0
    assert m["sharpe"] is None and m["total_return"] == 0.0
