"""Combining forecasts of several models into one (quantile averaging, "Vincentisation")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from forex_diffusion.core.errors import ModelError
from forex_diffusion.core.events import Forecast

__all__ = ["Method", "aggregate"]

Method = Literal["mean", "median", "crps_weighted"]


def aggregate(
    forecasts: Sequence[Forecast],
    *,
    method: Method = "mean",
    val_crps: Sequence[float | None] | None = None,
) -> Forecast:
    """One forecast from several: quantiles averaged level by level over the horizons all
    models share (``mean``), their median, or a mean weighted by ``1 / validation CRPS``
    (models without a validation score get the mean weight of the others; never weighted by
    speed)."""
    if not forecasts:
        raise ModelError("nothing to aggregate: no model returned a forecast")
    first = forecasts[0]
    horizons = sorted(set.intersection(*(set(f.horizons) for f in forecasts)))
    if not horizons:
        raise ModelError("the forecasts share no horizon")
    levels = first.quantile_levels
    if any(f.quantile_levels != levels for f in forecasts):
        raise ModelError("the forecasts use different quantile levels")
    stack = np.stack([f.quantiles[[f.horizons.index(h) for h in horizons]] for f in forecasts])
    if method == "median":
        quantiles = np.median(stack, axis=0)
    else:
        weights = np.ones(len(forecasts))
        if method == "crps_weighted":
            scores = [
                None if s is None or not np.isfinite(s) or s <= 0 else float(s)
                for s in (val_crps or [None] * len(forecasts))
            ]
            known = [1.0 / s for s in scores if s is not None]
            fallback = float(np.mean(known)) if known else 1.0
            weights = np.array([fallback if s is None else 1.0 / s for s in scores])
        quantiles = np.tensordot(weights / weights.sum(), stack, axes=1)
    return Forecast(
        symbol=first.symbol,
        timeframe=first.timeframe,
        origin_ts=first.origin_ts,
        origin_price=first.origin_price,
        horizons=tuple(horizons),
        quantile_levels=levels,
        quantiles=np.maximum.accumulate(quantiles, axis=1),
        model_id=f"ensemble-{method}({'+'.join(f.model_id for f in forecasts)})",
    )
