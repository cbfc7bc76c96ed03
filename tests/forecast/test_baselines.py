from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.data import load_sample
from forex_diffusion.forecast.baselines import baseline_estimators
from forex_diffusion.forecast.metrics import coverage


def gaussian_walk(n: int, *, vol: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    index = pd.date_range("2017-01-02", periods=n, freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "open": close,
            "high": close * 1.0001,
            "low": close * 0.9999,
            "close": close,
            "volume": 1.0,
        },
        index=index,
    )


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    return gaussian_walk(6000, vol=1e-3, seed=3)


@pytest.mark.parametrize("name", ["random_walk", "garch_t", "bootstrap_rw", "seasonal_rw"])
def test_coverage_on_a_gaussian_random_walk(walk: pd.DataFrame, name: str) -> None:
    predictor = baseline_estimators()[name].fit(walk.iloc[:4000])
    origins = list(range(4000, 5950, 5))
    forecasts = predictor.predict_batch(walk, origins, num_samples=400)
    close = walk["close"].to_numpy()
    for h in (1, 4, 24):
        y = close[np.array(origins) + h]
        lo = [f.quantile(0.1, h) for f in forecasts]
        hi = [f.quantile(0.9, h) for f in forecasts]
        assert 0.74 <= coverage(y, lo, hi) <= 0.86, (name, h)


@pytest.mark.parametrize("name", ["random_walk", "garch_t", "bootstrap_rw", "seasonal_rw"])
def test_shapes_monotone_quantiles_and_prefix(name: str) -> None:
    candles = load_sample().iloc[:1500]
    predictor = baseline_estimators()[name].fit(candles.iloc[:1000])
    forecast = predictor.predict(candles.iloc[:1200], num_samples=50, seed=7)
    assert isinstance(forecast, Forecast)
    assert forecast.horizons == (1, 4, 12, 24)
    assert forecast.quantiles.shape == (4, 19)
    assert (np.diff(forecast.quantiles, axis=1) >= 0).all()
    assert forecast.origin_ts == candles.index[1199]
    assert forecast.samples is not None
    assert forecast.samples.shape == (50, 4)
    # the prefix test: a forecast for origin t never depends on later bars
    again = predictor.predict_batch(candles, [1199], num_samples=50, seed=7)[0]
    np.testing.assert_array_equal(again.samples, forecast.samples)
    # wider intervals further out
    width = forecast.quantiles[:, -1] - forecast.quantiles[:, 0]
    assert (np.diff(width) > 0).all()


def test_bad_origins_and_short_history() -> None:
    candles = load_sample().iloc[:300]
    predictor = baseline_estimators()["random_walk"].fit(candles)
    with pytest.raises(DataError, match="forecast origins"):
        predictor.predict_batch(candles, [300])
    with pytest.raises(DataError, match="at least 100 returns"):
        baseline_estimators()["garch_t"].fit(candles.iloc[:50])


def test_forecast_event_contract() -> None:
    ts = pd.Timestamp("2017-01-02", tz="UTC")
    ok = {
        "symbol": "EURUSD",
        "timeframe": "H1",
        "origin_ts": ts,
        "origin_price": 1.1,
        "horizons": (1, 4),
        "quantile_levels": (0.1, 0.5, 0.9),
        "model_id": "m",
        "quantiles": np.array([[1.0, 1.1, 1.2], [0.9, 1.1, 1.3]]),
    }
    forecast = Forecast(**ok)  # type: ignore[arg-type]
    assert forecast.quantile(0.5, 4) == pytest.approx(1.1)
    assert forecast.quantile(0.3, 1) == pytest.approx(1.05)  # interpolated between levels
    assert forecast.median(1) == pytest.approx(1.1)
    with pytest.raises(KeyError):
        forecast.quantile(0.5, 12)
    bad_shapes = {**ok, "quantiles": np.ones((3, 3))}
    crossing = {**ok, "quantiles": np.array([[1.2, 1.1, 1.0], [0.9, 1.1, 1.3]])}
    for bad in (
        bad_shapes,
        crossing,
        {**ok, "horizons": (4, 1)},
        {**ok, "quantile_levels": (0.0, 0.5, 1.0)},
    ):
        with pytest.raises(ValueError, match="Forecast"):
            Forecast(**bad)  # type: ignore[arg-type]


def test_the_seasonal_walk_follows_the_new_york_hours() -> None:
    # a walk whose volatility is 3x in the New York hours 8-11 and flat otherwise
    rng = np.random.default_rng(4)
    index = pd.date_range("2017-01-02", periods=4000, freq="h", tz="UTC")
    hours = index.tz_convert("America/New_York").hour
    vol = np.where((hours >= 8) & (hours < 12), 3e-3, 1e-3)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0, vol)))
    candles = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index
    )
    predictor = baseline_estimators(horizons=(1,))["seasonal_rw"].fit(candles.iloc[:3000])
    assert predictor.profile[9] / predictor.profile[2] == pytest.approx(3.0, rel=0.2)
    busy = [i for i in range(3000, 3990) if hours[i + 1] == 9]
    quiet = [i for i in range(3000, 3990) if hours[i + 1] == 2]
    width = {
        name: np.mean(
            [
                f.quantile(0.9, 1) - f.quantile(0.1, 1)
                for f in predictor.predict_batch(candles, origins, num_samples=400, seed=1)
            ]
        )
        for name, origins in (("busy", busy), ("quiet", quiet))
    }
    assert width["busy"] / width["quiet"] == pytest.approx(3.0, rel=0.2)
