"""Split conformal recalibration of forecast intervals (normalised residual scores).

On a calibration window (origins after training, before the test), the score of each outcome
is ``|y - median| / half-width`` of the model's central ``level`` interval at that horizon. The
finite-sample conformal quantile of the scores, ``k``, rescales every sample path around its
median by ``k``: the recalibrated ``level`` interval then covers with probability at least
``level`` under exchangeability, and all other quantiles move consistently with it.
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

__all__ = ["ConformalPredictor", "calibrate"]


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
        if forecast.samples is None:
            raise DataError("conformal recalibration needs forecasts with sample paths")
        samples = forecast.samples.copy()
        for i, h in enumerate(forecast.horizons):
            med = np.median(samples[:, i])
            samples[:, i] = med + self.factors[h] * (samples[:, i] - med)
        quantiles = np.quantile(samples, np.asarray(forecast.quantile_levels), axis=0).T
        return replace(
            forecast,
            samples=samples,
            quantiles=np.maximum.accumulate(quantiles, 1),
            model_id=self.model_id,
        )

    def _forecasts(self, request: ForecastRequest) -> list[Forecast]:
        forecasts = self.base.predict_batch(
            request.candles,
            request.positions.tolist(),
            num_samples=request.num_samples,
            seed=request.seed,
        )
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
