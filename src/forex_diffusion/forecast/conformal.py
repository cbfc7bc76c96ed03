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
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.base import Predictor

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
class ConformalPredictor:
    """A predictor whose sample paths are rescaled per horizon by conformal factors."""

    base: Predictor
    factors: dict[int, float]
    level: float

    @property
    def model_id(self) -> str:
        return f"{self.base.model_id}+conformal{int(self.level * 100)}"

    @property
    def horizons(self) -> tuple[int, ...]:
        return self.base.horizons

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

    def predict_batch(
        self,
        candles: pd.DataFrame,
        origins: Sequence[int] | None = None,
        *,
        num_samples: int = 100,
        seed: int | None = 0,
    ) -> list[Forecast]:
        return [
            self._adjust(f)
            for f in self.base.predict_batch(candles, origins, num_samples=num_samples, seed=seed)
        ]

    def predict(
        self, candles: pd.DataFrame, *, num_samples: int = 100, seed: int | None = 0
    ) -> Forecast:
        return self.predict_batch(candles, None, num_samples=num_samples, seed=seed)[0]


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
