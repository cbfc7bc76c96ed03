"""The forecasting lifecycle shared by every model (GluonTS style) and its helpers.

``Estimator.fit(candles) -> Predictor``; ``Predictor.predict(candles_up_to_t) -> Forecast``;
``Predictor.predict_batch(candles, origins) -> list[Forecast]`` for many origins at once.
Models forecast log returns; :func:`to_forecast` turns return sample paths into prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.signal import lfilter

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.metrics import DEFAULT_LEVELS

__all__ = [
    "DEFAULT_HORIZONS",
    "DEFAULT_LEVELS",
    "Estimator",
    "Predictor",
    "ewma_volatility",
    "forecasts_at",
    "log_returns",
    "origin_positions",
    "to_forecast",
]

DEFAULT_HORIZONS: tuple[int, ...] = (1, 4, 12, 24)
Floats = NDArray[np.float64]


class Predictor(Protocol):
    """A fitted model."""

    model_id: str
    horizons: tuple[int, ...]

    def predict(
        self, candles: pd.DataFrame, *, num_samples: int = 100, seed: int | None = 0
    ) -> Forecast: ...

    def predict_batch(
        self,
        candles: pd.DataFrame,
        origins: Sequence[int] | None = None,
        *,
        num_samples: int = 100,
        seed: int | None = 0,
    ) -> list[Forecast]: ...


class Estimator(Protocol):
    """An untrained model and its configuration."""

    def fit(self, candles: pd.DataFrame) -> Predictor: ...


def log_returns(candles: pd.DataFrame) -> Floats:
    """Close-to-close log returns; the first is 0 (no previous close)."""
    close = candles["close"].to_numpy(dtype=np.float64)
    return np.asarray(np.r_[0.0, np.diff(np.log(close))], dtype=np.float64)


def ewma_volatility(returns: Floats, *, halflife: float, warmup: int = 24) -> Floats:
    """Causal EWMA volatility: ``var[t] = lam * var[t-1] + (1 - lam) * r[t]^2`` with
    ``lam = 0.5 ** (1 / halflife)``, seeded with the mean square of the first ``warmup``
    returns (the first ``warmup`` values use the running mean square so far). ``vol[t]`` uses
    returns up to t only."""
    r2 = np.asarray(returns, float) ** 2
    n = len(r2)
    lam = 0.5 ** (1.0 / halflife)
    var = np.empty(n)
    head = min(warmup, n)
    var[:head] = np.cumsum(r2[:head]) / np.arange(1, head + 1)
    if n > head:
        var[head:], _ = lfilter([1.0 - lam], [1.0, -lam], r2[head:], zi=[lam * var[head - 1]])
    floor = max(float(np.mean(r2)) * 1e-4, 1e-16)
    return np.asarray(np.sqrt(np.maximum(var, floor)), dtype=np.float64)


def origin_positions(
    candles: pd.DataFrame, origins: Sequence[int] | None, *, min_history: int
) -> np.ndarray:
    """Validated bar positions of forecast origins (default: the last bar)."""
    n = len(candles)
    pos = np.array([n - 1] if origins is None else list(origins), dtype=np.int64)
    pos = np.where(pos < 0, pos + n, pos)
    if len(pos) and (pos.min() < min_history - 1 or pos.max() >= n):
        raise DataError(
            f"forecast origins must lie in [{min_history - 1}, {n - 1}] "
            f"(the model needs {min_history} bars of history)"
        )
    return pos


def to_forecast(
    *,
    return_paths: Floats,
    origin_price: float,
    origin_ts: pd.Timestamp,
    horizons: Sequence[int],
    symbol: str,
    timeframe: str,
    model_id: str,
    levels: Sequence[float] = DEFAULT_LEVELS,
    keep_samples: bool = True,
) -> Forecast:
    """A ``Forecast`` from sample paths of cumulative log returns at ``horizons``
    (shape ``(n, len(horizons))``)."""
    paths = np.asarray(return_paths, float)
    prices = origin_price * np.exp(paths)
    quantiles = np.quantile(prices, np.asarray(levels), axis=0).T
    quantiles = np.maximum.accumulate(quantiles, axis=1)  # guard against rounding inversions
    return Forecast(
        symbol=symbol,
        timeframe=timeframe,
        origin_ts=origin_ts,
        origin_price=float(origin_price),
        horizons=tuple(int(h) for h in horizons),
        quantile_levels=tuple(float(v) for v in levels),
        quantiles=quantiles,
        model_id=model_id,
        samples=prices if keep_samples else None,
    )


def forecasts_at(
    candles: pd.DataFrame,
    positions: np.ndarray,
    paths: Floats,
    *,
    horizons: Sequence[int],
    symbol: str,
    timeframe: str,
    model_id: str,
) -> list[Forecast]:
    """One ``Forecast`` per origin position from paths of shape
    ``(origins, samples, horizons)`` (cumulative log returns)."""
    close = candles["close"].to_numpy(float)
    index = pd.DatetimeIndex(candles.index)
    return [
        to_forecast(
            return_paths=paths[i],
            origin_price=close[p],
            origin_ts=index[p],
            horizons=horizons,
            symbol=symbol,
            timeframe=timeframe,
            model_id=model_id,
        )
        for i, p in enumerate(positions)
    ]
