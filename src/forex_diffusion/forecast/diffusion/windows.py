"""Causal inputs of the diffusion forecaster: per-bar features and (context, future) windows.

Everything about origin t uses bars <= t. Returns and ranges are divided by the EWMA
volatility *at the origin*, so the model sees shape, not level; the sampled future is
multiplied back by the same number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from forex_diffusion.forecast.base import ewma_volatility, log_returns

__all__ = ["FEATURES", "BarFeatures", "bar_features"]

FEATURES: tuple[str, ...] = (
    "return",
    "range",
    "volume",
    "vol_regime",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
)
"""Per-bar features; ``return`` and ``range`` are scaled by the origin's volatility."""
_SCALED = 2  # the first two features are divided by the origin's volatility


@dataclass(frozen=True, slots=True)
class BarFeatures:
    """Per-bar features of a candle frame (all causal)."""

    values: NDArray[np.float32]  # (bars, features); the first two still unscaled
    returns: NDArray[np.float64]  # log returns
    vol: NDArray[np.float64]  # EWMA volatility known at each bar

    def context(self, origins: np.ndarray, length: int) -> NDArray[np.float32]:
        """``(origins, length, features)`` windows ending at each origin, scaled by its vol."""
        windows = sliding_window_view(self.values, (length, self.values.shape[1]))[:, 0]
        out = windows[origins - length + 1].astype(np.float32, copy=True)
        out[:, :, :_SCALED] /= self.vol[origins].astype(np.float32)[:, None, None]
        return np.asarray(out, dtype=np.float32)

    def future(self, origins: np.ndarray, horizon: int) -> NDArray[np.float32]:
        """``(origins, horizon)`` next log returns scaled by each origin's volatility."""
        steps = sliding_window_view(self.returns, horizon)[origins + 1]
        return np.asarray(steps / self.vol[origins][:, None], dtype=np.float32)


def bar_features(candles: pd.DataFrame, *, halflife: float) -> BarFeatures:
    """Compute :class:`BarFeatures` (volume and regime terms are causal z-scores/ratios)."""
    returns = log_returns(candles)
    vol = ewma_volatility(returns, halflife=halflife)
    long_vol = ewma_volatility(returns, halflife=halflife * 10)
    high, low = candles["high"].to_numpy(float), candles["low"].to_numpy(float)
    log_volume = np.log1p(np.maximum(candles["volume"].to_numpy(float), 0.0))
    centre = _ewma(log_volume, halflife)
    spread = np.sqrt(_ewma((log_volume - centre) ** 2, halflife)) + 1e-6
    index = pd.DatetimeIndex(candles.index)
    hour = np.asarray(index.hour, float) + np.asarray(index.minute, float) / 60.0
    weekday = np.asarray(index.day_of_week, float)
    values = np.column_stack(
        [
            returns,
            np.log(high / low),
            (log_volume - centre) / spread,
            np.log(vol / long_vol),
            np.sin(2 * np.pi * hour / 24),
            np.cos(2 * np.pi * hour / 24),
            np.sin(2 * np.pi * weekday / 7),
            np.cos(2 * np.pi * weekday / 7),
        ]
    ).astype(np.float32)
    return BarFeatures(values=values, returns=returns, vol=vol)


def _ewma(x: NDArray[np.float64], halflife: float) -> NDArray[np.float64]:
    from scipy.signal import lfilter

    lam = 0.5 ** (1.0 / halflife)
    out, _ = lfilter([1.0 - lam], [1.0, -lam], x, zi=[lam * x[0]])
    return np.asarray(out, dtype=np.float64)
