"""Conformal recalibration of forecast intervals: split (fitted once) and adaptive (online).

Split conformal (:func:`calibrate`): on a calibration window (origins after training, before
the test), the score of each outcome is ``|y - median| / half-width`` of the model's central
``level`` interval at that horizon. The finite-sample conformal quantile of the scores, ``k``,
rescales every sample path around its median by ``k``: the recalibrated ``level`` interval then
covers with probability at least ``level`` under exchangeability, and all other quantiles move
consistently with it.

Adaptive conformal (:class:`AdaptiveConformal`, after Gibbs and Candès, "Adaptive conformal
inference under distribution shift", 2021): FX volatility shifts, so one factor fitted once
drifts out of calibration. Each horizon ``h`` keeps a factor ``k_h`` (the paths rescaled around
their median, as above), updated *causally* each time a forecast's outcome at ``h`` becomes
known: ``log k_h += gamma / sqrt(h) x (miss - (1 - level))``, where ``miss`` is 1 when the
realized close fell outside the (rescaled) central ``level`` interval; the outcomes of
overlapping ``h``-bar windows come in runs, so a long horizon takes smaller steps. A factor
rises after misses and falls after hits, so the long-run share of misses tends to
``1 - level`` whatever the base model's errors (the paper's guarantee: off by at most the range
of ``log k`` over ``gamma T`` after ``T`` outcomes). Outcomes are read from the candles of later
calls by counting bars from the origin, so a model called bar by bar (a strategy) and one
called once over many origins (an evaluation) update alike, and neither reads a close after
the origin it forecasts from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.base import ForecastRequest, Predictor

__all__ = ["ACI_GAMMA", "AdaptiveConformal", "ConformalPredictor", "calibrate", "halves"]

ACI_GAMMA = 0.05
"""Step of the adaptive factors' logarithm per outcome."""


def _scores(forecasts: Sequence[Forecast], actual: np.ndarray, i: int, level: float) -> np.ndarray:
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    out = []
    for f, y in zip(forecasts, actual, strict=True):
        assert f.samples is not None
        med = float(np.median(f.samples[:, i]))
        lo, hi = np.quantile(f.samples[:, i], [lo_q, hi_q])
        half = max((hi - lo) / 2.0, 1e-12)
        out.append(abs(y - med) / half)
    return np.asarray(out)


def _rescaled(forecast: Forecast, factors: Sequence[float], model_id: str) -> Forecast:
    """``forecast`` with each horizon's sample paths rescaled around their median."""
    if forecast.samples is None:
        raise DataError("conformal recalibration needs forecasts with sample paths")
    samples = forecast.samples.copy()
    med = np.median(samples, axis=0)
    samples = med + np.asarray(factors, float) * (samples - med)
    quantiles = np.quantile(samples, np.asarray(forecast.quantile_levels), axis=0).T
    return replace(
        forecast,
        samples=samples,
        quantiles=np.maximum.accumulate(quantiles, 1),
        model_id=model_id,
    )


def halves(forecast: Forecast) -> tuple[Forecast, Forecast]:
    """The forecast's first and second half of sample paths as two forecasts (independent
    draws of the same model: one may choose what the other values)."""
    if forecast.samples is None or len(forecast.samples) < 2:
        raise DataError("splitting a forecast needs at least two sample paths")
    n = len(forecast.samples) // 2
    out = []
    for part in (forecast.samples[:n], forecast.samples[n:]):
        quantiles = np.quantile(part, np.asarray(forecast.quantile_levels), axis=0).T
        out.append(replace(forecast, samples=part, quantiles=np.maximum.accumulate(quantiles, 1)))
    return out[0], out[1]


def _base_forecasts(base: Predictor, request: ForecastRequest) -> list[Forecast]:
    """The recalibrated model's own forecasts of a request."""
    return base.predict_batch(
        request.candles,
        request.positions.tolist(),
        num_samples=request.num_samples,
        seed=request.seed,
    )


@dataclass
class ConformalPredictor(Predictor):
    """A predictor whose sample paths are rescaled per horizon by conformal factors.

    Its origins are checked as the ``base`` model's (the same history); the forecasts are the
    base's, each recalibrated.

    Attributes
    ----------
    base : Predictor
        The recalibrated model.
    factors : dict of int to float
        The conformal factor of each horizon.
    level : float
        The central interval the factors were fitted for.
    """

    base: Predictor
    factors: dict[int, float]
    level: float
    model_id: str = field(init=False, repr=False, compare=False)
    horizons: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.model_id = f"{self.base.model_id}+conformal{int(self.level * 100)}"
        self.horizons = self.base.horizons

    @property
    def min_history(self) -> int:
        """Bars of history an origin needs: as many as the base model."""
        return self.base.min_history

    def _adjust(self, forecast: Forecast) -> Forecast:
        return _rescaled(forecast, [self.factors[h] for h in forecast.horizons], self.model_id)

    def _forecasts(self, request: ForecastRequest) -> list[Forecast]:
        forecasts = _base_forecasts(self.base, request)
        return [self._adjust(f) for f in forecasts]


def calibrate(
    predictor: Predictor,
    candles: pd.DataFrame,
    origins: Sequence[int],
    *,
    level: float = 0.8,
    num_samples: int = 100,
    seed: int = 0,
) -> ConformalPredictor:
    """Fit the conformal factors on calibration ``origins`` of ``candles`` (their futures must
    lie inside ``candles`` and before any test data)."""
    pos = np.asarray(origins, dtype=np.int64)
    if len(pos) < 10:
        raise DataError(f"conformal calibration needs at least 10 origins, got {len(pos)}")
    if pos.max() + max(predictor.horizons) >= len(candles):
        raise DataError("calibration origins need their whole future inside the candles")
    forecasts = predictor.predict_batch(candles, pos.tolist(), num_samples=num_samples, seed=seed)
    close = candles["close"].to_numpy(float)
    factors = {}
    n = len(pos)
    rank = min(n, math.ceil((n + 1) * level))  # finite-sample conformal quantile
    for i, h in enumerate(predictor.horizons):
        scores = np.sort(_scores(forecasts, close[pos + h], i, level))
        factors[h] = float(scores[rank - 1])
    return ConformalPredictor(base=predictor, factors=factors, level=level)


@dataclass
class AdaptiveConformal(Predictor):
    """A predictor whose sample paths are rescaled per horizon by online adaptive conformal
    factors (see the module docstring); stateful: each call learns from the outcomes that
    its candles reveal.

    Attributes
    ----------
    base : Predictor
        The recalibrated model.
    level : float
        The central interval whose coverage the factors track.
    gamma : float
        Step of ``log k`` per outcome at one bar (``gamma / sqrt(h)`` at ``h`` bars).
    """

    base: Predictor
    level: float = 0.8
    gamma: float = ACI_GAMMA
    model_id: str = field(init=False, repr=False, compare=False)
    horizons: tuple[int, ...] = field(init=False, repr=False, compare=False)
    log_factors: np.ndarray = field(init=False, repr=False, compare=False)
    outcomes: np.ndarray = field(init=False, repr=False, compare=False)
    """Outcomes learned from, per horizon."""
    misses: np.ndarray = field(init=False, repr=False, compare=False)
    """Outcomes outside their interval, per horizon."""
    _pending: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not 0 < self.level < 1 or self.gamma <= 0:
            raise DataError(f"adaptive conformal: level {self.level}, gamma {self.gamma}")
        self.model_id = f"{self.base.model_id}+aci{int(self.level * 100)}"
        self.horizons = self.base.horizons
        n = len(self.horizons)
        self.log_factors = np.zeros(n)
        self.outcomes = np.zeros(n, dtype=np.int64)
        self.misses = np.zeros(n, dtype=np.int64)
        self._pending = {}

    @property
    def min_history(self) -> int:
        """Bars of history an origin needs: as many as the base model."""
        return self.base.min_history

    @property
    def factors(self) -> dict[int, float]:
        """The factor in force for each horizon."""
        return {h: float(math.exp(v)) for h, v in zip(self.horizons, self.log_factors, strict=True)}

    def coverage(self) -> dict[int, float]:
        """The share of learned outcomes inside their interval, per horizon."""
        return {
            h: 1.0 - float(m) / n if n else math.nan
            for h, m, n in zip(self.horizons, self.misses, self.outcomes, strict=True)
        }

    def _learn(self, times: np.ndarray, close: np.ndarray, upto: int) -> None:
        """Update the factors with the outcomes known at bar ``upto`` of these candles."""
        steps = np.asarray(self.horizons)
        alpha = 1.0 - self.level
        for origin in list(self._pending):
            at = int(np.searchsorted(times, origin))
            if at >= len(times) or times[at] != origin:
                del self._pending[origin]  # its bars left the window: never learned from
                continue
            lo, hi, done = self._pending[origin]
            due = ~done & (at + steps <= upto)
            if due.any():
                y = close[at + steps[due]]
                miss = (y < lo[due]) | (y > hi[due])
                self.log_factors[due] += self.gamma / np.sqrt(steps[due]) * (miss - alpha)
                self.outcomes[due] += 1
                self.misses[due] += miss
                done |= due
            if done.all():
                del self._pending[origin]

    def _forecasts(self, request: ForecastRequest) -> list[Forecast]:
        forecasts = _base_forecasts(self.base, request)
        times = pd.DatetimeIndex(request.candles.index).asi8
        close = request.candles["close"].to_numpy(float)
        levels = [(1 - self.level) / 2, (1 + self.level) / 2]
        out = []
        for pos, forecast in zip(request.positions.tolist(), forecasts, strict=True):
            self._learn(times, close, int(pos))
            scaled = _rescaled(forecast, np.exp(self.log_factors).tolist(), self.model_id)
            assert scaled.samples is not None
            lo, hi = np.quantile(scaled.samples, levels, axis=0)
            self._pending[int(times[pos])] = (lo, hi, np.zeros(len(self.horizons), bool))
            out.append(scaled)
        return out
