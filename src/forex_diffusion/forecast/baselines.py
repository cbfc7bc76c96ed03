"""Baseline forecasters behind the Estimator/Predictor interface.

* ``RandomWalkEstimator``: Gaussian random walk, volatility from a causal EWMA;
* ``GarchEstimator``: GARCH(1,1) with Student-t innovations (fitted with ``arch``), paths
  simulated from the conditional variance filtered up to the origin;
* ``BootstrapEstimator``: resampled standardised training returns times the current EWMA
  volatility (an empirical random walk);
* ``SeasonalRandomWalkEstimator``: a Gaussian random walk whose volatility follows the training
  bars' New York hourly profile (FX is quiet in the Asian hours and busy at the London and New
  York opens): a model's skill beyond the daily seasonality shows against it.

All four have zero drift: FX is close to a random walk, and these are the bar to beat.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.random import Generator

from forex_diffusion.core.errors import DataError, ModelError
from forex_diffusion.core.sessions import NEW_YORK
from forex_diffusion.core.types import Timeframe
from forex_diffusion.forecast.base import (
    DEFAULT_HORIZONS,
    Floats,
    ForecastRequest,
    PathPredictor,
    ewma_volatility,
    log_returns,
)

__all__ = [
    "BASELINE_NAMES",
    "BootstrapEstimator",
    "GarchEstimator",
    "RandomWalkEstimator",
    "SeasonalRandomWalkEstimator",
    "baseline_estimators",
]

_MIN_HISTORY = 2
BASELINE_NAMES = ("random_walk", "garch_t", "bootstrap_rw", "seasonal_rw")
"""The names :func:`baseline_estimators` gives the baselines (the evaluation's columns)."""


@dataclass
class _ZeroDriftPredictor(PathPredictor):
    """Zero-drift return models of one series."""

    model_id: str
    horizons: tuple[int, ...]
    symbol: str
    timeframe: str

    @property
    def min_history(self) -> int:
        """Bars of history an origin needs: one return."""
        return _MIN_HISTORY


@dataclass
class _ReturnPredictor(_ZeroDriftPredictor):
    """Zero-drift return models: per-bar steps drawn from the returns up to each origin."""

    @abstractmethod
    def _steps(
        self, returns: Floats, positions: np.ndarray, num_samples: int, rng: Generator
    ) -> Floats:
        """Per-bar log returns after the ``positions`` of ``returns``, whole paths (so the
        horizons of one sample are consistent): ``(origins, samples, longest horizon)``."""

    def _paths(self, request: ForecastRequest) -> Floats:
        returns = log_returns(request.candles)
        rng = np.random.default_rng(request.seed)
        steps = self._steps(returns, request.positions, request.num_samples, rng)
        return _cumulate(steps, self.horizons)


def ny_hours(times: pd.DatetimeIndex) -> np.ndarray:
    """The New York hour (0-23) of each time."""
    return np.asarray(pd.DatetimeIndex(times).tz_convert(NEW_YORK).hour, dtype=np.int64)


@dataclass
class SeasonalRandomWalkPredictor(_ZeroDriftPredictor):
    """Gaussian steps times the EWMA volatility of the deseasonalised returns at the origin
    times the hourly profile of each step's New York hour."""

    halflife: float = 120.0
    profile: Floats = field(default_factory=lambda: np.ones(24))
    bar: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(hours=1))

    def _paths(self, request: ForecastRequest) -> Floats:
        times = pd.DatetimeIndex(request.candles.index)
        returns = log_returns(request.candles)
        deseasoned = returns / self.profile[ny_hours(times)]
        vol = ewma_volatility(deseasoned, halflife=self.halflife)[request.positions]
        longest = max(self.horizons)
        ahead = np.arange(1, longest + 1) * self.bar
        future = ny_hours(
            pd.DatetimeIndex(times[request.positions].repeat(longest))
            + np.tile(ahead, len(request.positions))
        )
        scale = self.profile[future].reshape(len(request.positions), 1, longest)
        rng = np.random.default_rng(request.seed)
        steps = rng.standard_normal((len(request.positions), request.num_samples, longest))
        return _cumulate(steps * vol[:, None, None] * scale, self.horizons)


@dataclass
class SeasonalRandomWalkEstimator:
    """Gaussian random walk with the training bars' New York hourly volatility profile: the
    median absolute return of each New York hour over that of all hours (medians: the weekend's
    gap would inflate the Sunday open's hour; 1 for an hour the bars do not have); volatility:
    EWMA of the returns divided by their hour's profile."""

    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    halflife: float = 120.0
    symbol: str = "EURUSD"
    timeframe: str = "H1"

    def fit(self, candles: pd.DataFrame) -> SeasonalRandomWalkPredictor:
        returns = log_returns(candles)[1:]
        if len(returns) < 50:
            raise DataError(
                f"the seasonal random walk needs at least 50 returns, got {len(returns)}"
            )
        hours = ny_hours(pd.DatetimeIndex(candles.index))[1:]
        overall = float(np.median(np.abs(returns)))
        profile = np.ones(24)
        for h in range(24):
            at = returns[hours == h]
            if len(at) >= 5 and overall > 0:
                profile[h] = max(float(np.median(np.abs(at))) / overall, 0.05)
        return SeasonalRandomWalkPredictor(
            model_id="seasonal_rw",
            horizons=tuple(self.horizons),
            symbol=self.symbol,
            timeframe=self.timeframe,
            halflife=self.halflife,
            profile=profile,
            bar=pd.Timedelta(Timeframe.parse(self.timeframe).delta),
        )


def _cumulate(steps: Floats, horizons: Sequence[int]) -> Floats:
    """Cumulative sums of per-bar returns (..., max_h) at ``horizons`` -> (..., len(horizons))."""
    return np.cumsum(steps, axis=-1)[..., np.asarray(horizons) - 1]


@dataclass
class _VolScaledPredictor(_ReturnPredictor):
    """Paths of standardised steps times the EWMA volatility at the origin (held constant)."""

    halflife: float = 120.0

    @abstractmethod
    def _standard_steps(self, rng: Generator, shape: tuple[int, ...]) -> Floats:
        """Unit-scale per-bar steps of the given shape."""

    def _steps(
        self, returns: Floats, positions: np.ndarray, num_samples: int, rng: Generator
    ) -> Floats:
        vol: Floats = ewma_volatility(returns, halflife=self.halflife)[positions]
        steps = self._standard_steps(rng, (len(positions), num_samples, max(self.horizons)))
        return steps * vol[:, None, None]


@dataclass
class RandomWalkPredictor(_VolScaledPredictor):
    def _standard_steps(self, rng: Generator, shape: tuple[int, ...]) -> Floats:
        return rng.standard_normal(shape)


@dataclass
class RandomWalkEstimator:
    """Gaussian random walk; volatility: EWMA with ``halflife`` bars (no fitting needed)."""

    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    halflife: float = 120.0
    symbol: str = "EURUSD"
    timeframe: str = "H1"

    def fit(self, candles: pd.DataFrame) -> RandomWalkPredictor:
        return RandomWalkPredictor(
            model_id="random_walk",
            horizons=tuple(self.horizons),
            symbol=self.symbol,
            timeframe=self.timeframe,
            halflife=self.halflife,
        )


@dataclass
class GarchPredictor(_ReturnPredictor):
    omega: float = 0.0
    alpha: float = 0.0
    beta: float = 0.0
    nu: float = 8.0
    scale: float = 100.0

    def _variance(self, returns: Floats) -> Floats:
        """Conditional variance of the next return, filtered through ``returns`` (scaled)."""
        r2 = (returns * self.scale) ** 2
        long_run = self.omega / max(1.0 - self.alpha - self.beta, 1e-6)
        from scipy.signal import lfilter  # here: scipy.signal costs ~2 s to import

        out, _ = lfilter(
            [1.0], [1.0, -self.beta], self.omega + self.alpha * r2, zi=[self.beta * long_run]
        )
        return np.asarray(out, dtype=np.float64)  # out[t] = var of r[t+1] given r up to t

    def _steps(
        self, returns: Floats, positions: np.ndarray, num_samples: int, rng: Generator
    ) -> Floats:
        var_next = self._variance(returns)[positions]
        shape = (len(positions), num_samples)
        var = np.broadcast_to(var_next[:, None], shape).copy()
        t_scale = np.sqrt((self.nu - 2.0) / self.nu)  # unit-variance Student-t
        steps = np.empty((*shape, max(self.horizons)))
        for k in range(steps.shape[-1]):  # a loop over horizon steps, vectorised over paths
            r = np.sqrt(var) * rng.standard_t(self.nu, size=shape) * t_scale
            steps[..., k] = r
            var = self.omega + self.alpha * r * r + self.beta * var
        return steps / self.scale


@dataclass
class GarchEstimator:
    """GARCH(1,1), zero mean, Student-t innovations, fitted by maximum likelihood (``arch``)."""

    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    symbol: str = "EURUSD"
    timeframe: str = "H1"
    scale: float = 100.0  # returns are fitted in percent, as ``arch`` recommends

    def fit(self, candles: pd.DataFrame) -> GarchPredictor:
        from arch import arch_model  # heavy import, only when fitting

        returns = log_returns(candles)[1:] * self.scale
        if len(returns) < 100:
            raise DataError(f"GARCH needs at least 100 returns to fit, got {len(returns)}")
        result = arch_model(
            returns, mean="Zero", vol="GARCH", p=1, q=1, dist="t", rescale=False
        ).fit(disp="off", show_warning=False)
        params = result.params
        if result.convergence_flag != 0:
            raise ModelError(f"GARCH fit did not converge (flag {result.convergence_flag})")
        return GarchPredictor(
            model_id="garch_t",
            horizons=tuple(self.horizons),
            symbol=self.symbol,
            timeframe=self.timeframe,
            omega=float(params["omega"]),
            alpha=float(params["alpha[1]"]),
            beta=float(params["beta[1]"]),
            nu=float(params["nu"]),
            scale=self.scale,
        )


@dataclass
class BootstrapPredictor(_VolScaledPredictor):
    residuals: Floats = field(default_factory=lambda: np.zeros(1))

    def _standard_steps(self, rng: Generator, shape: tuple[int, ...]) -> Floats:
        return np.asarray(rng.choice(self.residuals, size=shape), dtype=np.float64)


@dataclass
class BootstrapEstimator:
    """Empirical random walk: training returns standardised by the EWMA volatility known
    before them, demeaned (the training bars' trend is not carried forward), resampled i.i.d.
    and rescaled by the volatility at the origin."""

    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    halflife: float = 120.0
    symbol: str = "EURUSD"
    timeframe: str = "H1"

    def fit(self, candles: pd.DataFrame) -> BootstrapPredictor:
        returns = log_returns(candles)
        vol = ewma_volatility(returns, halflife=self.halflife)
        residuals = returns[2:] / vol[1:-1]  # r[t] / vol known at t-1
        if len(residuals) < 50:
            raise DataError(f"bootstrap needs at least 50 returns, got {len(residuals)}")
        residuals = residuals - residuals.mean()  # zero drift: a training trend is not a forecast
        return BootstrapPredictor(
            model_id="bootstrap_rw",
            horizons=tuple(self.horizons),
            symbol=self.symbol,
            timeframe=self.timeframe,
            halflife=self.halflife,
            residuals=residuals,
        )


def baseline_estimators(
    *, horizons: tuple[int, ...] = DEFAULT_HORIZONS, symbol: str = "EURUSD", timeframe: str = "H1"
) -> dict[
    str, RandomWalkEstimator | GarchEstimator | BootstrapEstimator | SeasonalRandomWalkEstimator
]:
    """The three baselines by name, configured alike."""
    kinds = (RandomWalkEstimator, GarchEstimator, BootstrapEstimator, SeasonalRandomWalkEstimator)
    return {
        name: kind(horizons=horizons, symbol=symbol, timeframe=timeframe)
        for name, kind in zip(BASELINE_NAMES, kinds, strict=True)
    }
