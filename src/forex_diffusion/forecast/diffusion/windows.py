"""Causal inputs of the diffusion forecaster: per-bar features and (context, future) windows.

Everything about origin t uses bars <= t. FX volatility has two parts the model should not have
to learn: its level, which drifts slowly, and its intraday profile (the Asian night is two to
three times quieter than the London-New York overlap). Both are divided out before the model
sees a return: a return of the bar at New York hour ``k`` is divided by ``profile[k]`` (the
hour's typical size relative to the average, fitted on the training bars) and by the EWMA
volatility of such deseasonalised returns *at the origin*. The model then learns the shape of
standardised paths; a sampled step at future hour ``k`` is multiplied back by the same two
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from forex_diffusion.core.sessions import NEW_YORK
from forex_diffusion.forecast.base import ewma_volatility, log_returns

__all__ = ["FEATURES", "HOURS", "BarFeatures", "bar_features", "hourly_profile"]

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
"""Per-bar features; ``return`` and ``range`` are deseasonalised (divided by their hour's
``profile``) and scaled by the origin's volatility; the clock features are UTC."""
_SCALED = 2  # the first two features are divided by the origin's volatility
HOURS = 24
CLOCK = NEW_YORK
"""The clock of the hourly profile: FX sessions keep local hours, so in UTC they move by an
hour with daylight saving; on the New York clock the profile of the sample's winter months
(January to mid-March 2017) correlates 0.90 with the summer's, on UTC 0.74."""
_MIN_BARS_PER_HOUR = 20


@dataclass(frozen=True, slots=True)
class BarFeatures:
    """Per-bar features of a candle frame (all causal)."""

    values: NDArray[np.float32]  # (bars, features); the first two deseasonalised, not scaled
    returns: NDArray[np.float64]  # log returns
    vol: NDArray[np.float64]  # EWMA volatility of deseasonalised returns known at each bar
    hour: NDArray[np.int64]  # hour of day of each bar, New York clock (CLOCK)
    profile: NDArray[np.float64]  # (24,) typical size of a return by hour, mean 1

    def context(self, origins: np.ndarray, length: int) -> NDArray[np.float32]:
        """``(origins, length, features)`` windows ending at each origin, scaled by its vol."""
        windows = sliding_window_view(self.values, (length, self.values.shape[1]))[:, 0]
        out = windows[origins - length + 1].astype(np.float32, copy=True)
        out[:, :, :_SCALED] /= self.vol[origins].astype(np.float32)[:, None, None]
        return np.asarray(out, dtype=np.float32)

    def scale(self, origins: np.ndarray, horizon: int) -> NDArray[np.float64]:
        """``(origins, horizon)`` expected size of each next step, known at the origin.

        The hour of step ``k`` is taken as the origin's hour plus ``k`` (a weekend gap is not
        foreseen), the same at training and at prediction time.
        """
        steps = np.arange(1, horizon + 1)
        hours = (self.hour[origins][:, None] + steps[None, :]) % HOURS
        return np.asarray(self.profile[hours] * self.vol[origins][:, None], dtype=np.float64)

    def future(self, origins: np.ndarray, horizon: int) -> NDArray[np.float32]:
        """``(origins, horizon)`` next log returns divided by :meth:`scale`."""
        steps = sliding_window_view(self.returns, horizon)[origins + 1]
        return np.asarray(steps / self.scale(origins, horizon), dtype=np.float32)


def _hours(candles: pd.DataFrame) -> NDArray[np.int64]:
    """Hour of day of each bar on the New York clock (the FX day's clock, DESIGN.md)."""
    return np.asarray(pd.DatetimeIndex(candles.index).tz_convert(CLOCK).hour, dtype=np.int64)


def hourly_profile(candles: pd.DataFrame) -> NDArray[np.float64]:
    """Mean absolute log return by hour of day (New York clock) over the overall mean.

    Daily or slower bars, and hours with fewer than 20 returns, get 1: no seasonal scaling.
    """
    profile = np.ones(HOURS)
    index = pd.DatetimeIndex(candles.index)
    if len(index) < 2 or pd.Series(index[1:] - index[:-1]).median() >= pd.Timedelta(days=1):
        return profile
    size = np.abs(log_returns(candles)[1:])
    hour = _hours(candles)[1:]
    overall = float(size.mean())
    if overall <= 0:
        return profile
    for h in range(HOURS):
        picked = size[hour == h]
        if len(picked) >= _MIN_BARS_PER_HOUR:
            profile[h] = max(float(picked.mean()) / overall, 0.05)
    return profile


def bar_features(
    candles: pd.DataFrame, *, halflife: float, profile: NDArray[np.float64] | None = None
) -> BarFeatures:
    """Compute :class:`BarFeatures` (volume and regime terms are causal z-scores/ratios).

    ``profile`` is the hourly size profile fitted on training bars (:func:`hourly_profile`);
    ``None`` means no seasonal scaling.
    """
    season = np.ones(HOURS) if profile is None else np.asarray(profile, dtype=np.float64)
    if season.shape != (HOURS,) or not np.all(season > 0):
        raise ValueError(f"profile must hold {HOURS} positive numbers, got shape {season.shape}")
    hour = _hours(candles)
    returns = log_returns(candles)
    factor = season[hour]
    vol = ewma_volatility(returns / factor, halflife=halflife)
    long_vol = ewma_volatility(returns / factor, halflife=halflife * 10)
    high, low = candles["high"].to_numpy(float), candles["low"].to_numpy(float)
    log_volume = np.log1p(np.maximum(candles["volume"].to_numpy(float), 0.0))
    centre = _ewma(log_volume, halflife)
    spread = np.sqrt(_ewma((log_volume - centre) ** 2, halflife)) + 1e-6
    index = pd.DatetimeIndex(candles.index)
    clock = np.asarray(index.hour, float) + np.asarray(index.minute, float) / 60.0
    weekday = np.asarray(index.day_of_week, float)
    values = np.column_stack(
        [
            returns / factor,
            np.log(high / low) / factor,
            (log_volume - centre) / spread,
            np.log(vol / long_vol),
            np.sin(2 * np.pi * clock / 24),
            np.cos(2 * np.pi * clock / 24),
            np.sin(2 * np.pi * weekday / 7),
            np.cos(2 * np.pi * weekday / 7),
        ]
    ).astype(np.float32)
    return BarFeatures(values=values, returns=returns, vol=vol, hour=hour, profile=season)


def _ewma(x: NDArray[np.float64], halflife: float) -> NDArray[np.float64]:
    from scipy.signal import lfilter

    lam = 0.5 ** (1.0 / halflife)
    out, _ = lfilter([1.0 - lam], [1.0, -lam], x, zi=[lam * x[0]])
    return np.asarray(out, dtype=np.float64)
