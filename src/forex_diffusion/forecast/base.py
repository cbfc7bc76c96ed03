"""The forecasting lifecycle shared by every model (GluonTS style) and its helpers.

``Estimator.fit(candles) -> Predictor``; ``Predictor.predict(candles_up_to_t) -> Forecast``;
``Predictor.predict_batch(candles, origins) -> list[Forecast]`` for many origins at once.
:class:`Predictor` checks the arguments of every model once; a model gives the forecasts at
the checked bar positions (:class:`PathPredictor`: sample paths of cumulative log returns,
which :func:`forecasts_at` turns into prices).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.metrics import DEFAULT_LEVELS

__all__ = [
    "DEFAULT_HORIZONS",
    "DEFAULT_LEVELS",
    "Estimator",
    "ForecastRequest",
    "PathPredictor",
    "Predictor",
    "ewma_volatility",
    "forecasts_at",
    "log_returns",
    "origin_positions",
    "to_forecast",
]

DEFAULT_HORIZONS: tuple[int, ...] = (1, 4, 12, 24)
Floats = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ForecastRequest:
    """A checked :meth:`Predictor.predict_batch` call, as a model's hook receives it.

    Attributes
    ----------
    candles : pandas.DataFrame
        The candles; each forecast uses the bars up to its origin only.
    positions : numpy.ndarray
        The origins as bar positions of ``candles`` (non-negative, with enough history).
    num_samples : int
        Sample paths per origin.
    seed : int or None
        Seed of the model's randomness; ``None``: fresh randomness.
    noise : numpy.ndarray or None
        Starting noise ``(origins, num_samples, max(horizons))`` for a model that takes it
        (:attr:`Predictor.takes_noise`); ``None``: drawn from ``seed``.
    """

    candles: pd.DataFrame
    positions: np.ndarray
    num_samples: int
    seed: int | None
    noise: np.ndarray | None


class Predictor(ABC):
    """A fitted model: forecasts from origins (bar positions) of a candle frame.

    The signature and the argument checks of :meth:`predict_batch` and :meth:`predict` live
    here once; a model gives :attr:`min_history` and :meth:`_forecasts`.

    Attributes
    ----------
    model_id : str
        The model's name in its forecasts.
    horizons : tuple of int
        The forecast horizons, in bars, ascending.
    takes_noise : bool
        Whether :meth:`predict_batch` takes ``noise``: true for a model that maps starting
        noise to paths deterministically (the diffusion model); the others refuse it.
    """

    model_id: str
    horizons: tuple[int, ...]
    takes_noise: ClassVar[bool] = False

    @property
    @abstractmethod
    def min_history(self) -> int:
        """Bars of history an origin needs, its own bar included."""

    @abstractmethod
    def _forecasts(self, request: ForecastRequest) -> list[Forecast]:
        """One forecast per position of the checked ``request``, in its order."""

    def predict_batch(
        self,
        candles: pd.DataFrame,
        origins: Sequence[int] | None = None,
        *,
        num_samples: int = 100,
        seed: int | None = 0,
        noise: np.ndarray | None = None,
    ) -> list[Forecast]:
        """Forecasts at many origins of ``candles``, each using the bars up to its origin.

        Parameters
        ----------
        candles : pandas.DataFrame
            OHLC candles indexed by time.
        origins : sequence of int, optional
            Bar positions of the forecast origins (negative: from the end); default: the
            last bar.
        num_samples : int, default 100
            Sample paths per origin.
        seed : int or None, default 0
            Seed of the model's randomness; ``None``: fresh randomness.
        noise : numpy.ndarray, optional
            Only for a model that :attr:`takes_noise`: its starting noise,
            ``(origins, num_samples, max(horizons))``, instead of noise drawn from ``seed``.

        Returns
        -------
        list of Forecast
            One forecast per origin, in the order of ``origins``.

        Raises
        ------
        TypeError
            ``noise`` given to a model that draws its own.
        DataError
            An origin outside the candles or with fewer than :attr:`min_history` bars.
        ValueError
            ``noise`` of another shape.
        """
        if noise is not None and not self.takes_noise:
            raise TypeError(
                f"{type(self).__name__}.predict_batch() takes no noise (the model draws its own)"
            )
        positions = origin_positions(candles, origins, min_history=self.min_history)
        if noise is not None:
            future = max(self.horizons)
            if np.shape(noise) != (len(positions), num_samples, future):
                raise ValueError(
                    f"noise must have shape (origins, num_samples, future) = "
                    f"({len(positions)}, {num_samples}, {future}), got {np.shape(noise)}"
                )
        request = ForecastRequest(candles, positions, num_samples, seed, noise)
        return self._forecasts(request)

    def predict(
        self, candles: pd.DataFrame, *, num_samples: int = 100, seed: int | None = 0
    ) -> Forecast:
        """The forecast from the last bar of ``candles``.

        Parameters
        ----------
        candles : pandas.DataFrame
            OHLC candles indexed by time, up to the origin.
        num_samples : int, default 100
            Sample paths.
        seed : int or None, default 0
            Seed of the model's randomness; ``None``: fresh randomness.

        Returns
        -------
        Forecast
            As :meth:`predict_batch` gives it for the last bar.
        """
        return self.predict_batch(candles, None, num_samples=num_samples, seed=seed)[0]


class PathPredictor(Predictor):
    """A predictor whose forecasts come from sample paths of cumulative log returns.

    A model gives :meth:`_paths`; the prices, quantiles and labels of the forecasts are made
    here (:func:`forecasts_at`).

    Attributes
    ----------
    symbol : str
        The instrument of the forecasts.
    timeframe : str
        The bar timeframe of the forecasts.
    """

    symbol: str
    timeframe: str

    @abstractmethod
    def _paths(self, request: ForecastRequest) -> Floats:
        """Cumulative log-return paths at the horizons, ``(origins, samples, horizons)``."""

    def _forecasts(self, request: ForecastRequest) -> list[Forecast]:
        return forecasts_at(
            request.candles,
            request.positions,
            self._paths(request),
            horizons=self.horizons,
            symbol=self.symbol,
            timeframe=self.timeframe,
            model_id=self.model_id,
        )


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
        from scipy.signal import lfilter  # here: scipy.signal costs ~2 s to import

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
