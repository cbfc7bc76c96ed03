from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.events import Forecast, PatternEvent
from forex_diffusion.intelligence.candidates import signal_from_forecast, signal_from_pattern

T0 = pd.Timestamp("2017-03-01 10:00", tz="UTC")
HOUR = pd.Timedelta(hours=1)
LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)


def forecast(q: list[float], *, origin: float = 1.1000) -> Forecast:
    return Forecast(
        symbol="EURUSD",
        timeframe="H1",
        origin_ts=T0,
        origin_price=origin,
        horizons=(4, 12),
        quantile_levels=LEVELS,
        quantiles=np.array([[origin - 1e-4, origin, origin, origin, origin + 1e-4], q]),
        model_id="m1",
    )


def test_forecast_to_bull_signal_by_hand() -> None:
    # median 1.1010: a 10-pip move; 80 % interval 1.0980..1.1040 (60 pips); spread 2 pips
    made = signal_from_forecast(
        forecast([1.0980, 1.0995, 1.1010, 1.1025, 1.1040]), bar=HOUR, spread=0.0002
    )
    assert made is not None
    sigma = 0.0060 / (2 * NormalDist().inv_cdf(0.9))  # 0.0060 / 2.5631 = 0.002341
    assert made.strength == pytest.approx(NormalDist().cdf(0.0008 / sigma))  # Phi(0.3417)
    assert made.strength == pytest.approx(0.6337, abs=1e-4)
    assert made.direction == "bull"
    assert made.entry_price == 1.1000
    assert made.target_price == pytest.approx(1.1025)  # the 75 % quantile
    assert made.stop_price == pytest.approx(1.0980)  # the 10 % quantile
    assert made.valid_until == T0 + 12 * HOUR  # the longest horizon by default
    assert made.metadata["horizon"] == 12


def test_forecast_to_bear_signal_and_no_signal_inside_the_spread() -> None:
    bear = signal_from_forecast(
        forecast([1.0950, 1.0970, 1.0985, 1.1000, 1.1020]), bar=HOUR, spread=0.0001
    )
    assert bear is not None and bear.direction == "bear"
    assert bear.target_price == pytest.approx(1.0970)  # the 25 % quantile
    assert bear.stop_price == pytest.approx(1.1020)  # the 90 % quantile
    flat = forecast([1.0980, 1.0995, 1.10015, 1.1025, 1.1040])
    assert signal_from_forecast(flat, bar=HOUR, spread=0.0002) is None  # 1.5 pips < 2
    assert signal_from_forecast(flat, bar=HOUR, spread=0.0001) is not None
    # horizon 4 has a median equal to the origin: no direction at all
    assert signal_from_forecast(flat, bar=HOUR, spread=0.0, horizon=4) is None


def test_very_bullish_forecast_puts_the_stop_half_an_interval_away() -> None:
    made = signal_from_forecast(
        forecast([1.1005, 1.1010, 1.1020, 1.1030, 1.1045]), bar=HOUR, spread=0.0001
    )
    assert made is not None
    assert made.stop_price == pytest.approx(1.1000 - 0.0040 / 2)


def event(direction: str, *, target: float | None, failure: float | None) -> PatternEvent:
    return PatternEvent(
        pattern_key="hammer",
        kind="candle",
        direction=direction,  # type: ignore[arg-type]
        start_ts=T0,
        confirm_ts=T0,
        state="confirmed",
        score=0.7,
        target_price=target,
        failure_price=failure,
        horizon_bars=5,
    )


def test_pattern_to_signal() -> None:
    made = signal_from_pattern(
        event("bull", target=1.1030, failure=1.0990),
        entry_price=1.1000,
        atr=0.0015,
        bar=HOUR,
        strength=0.56,
        family="reversal",
    )
    assert made is not None
    assert (made.target_price, made.stop_price, made.strength) == (1.1030, 1.0990, 0.56)
    assert made.valid_until == T0 + 5 * HOUR
    assert made.metadata["family"] == "reversal" and made.metadata["raw_score"] == 0.7
    # missing or wrong-side levels fall back to one ATR
    odd = signal_from_pattern(
        event("bear", target=1.1030, failure=None),
        entry_price=1.1000,
        atr=0.0015,
        bar=HOUR,
        strength=0.5,
    )
    assert odd is not None
    assert odd.target_price == pytest.approx(1.0985) and odd.stop_price == pytest.approx(1.1015)
    neutral = event("neutral", target=None, failure=None)
    assert signal_from_pattern(neutral, entry_price=1.1, atr=1e-3, bar=HOUR, strength=0.5) is None
