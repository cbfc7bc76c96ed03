"""``POST /forecast``: price quantiles per horizon from the newest stored bar."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from forex_diffusion.api.common import parse_series, stored_candles
from forex_diffusion.api.deps import StoreDep
from forex_diffusion.api.schemas import ForecastOut
from forex_diffusion.core.errors import ConfigError, ConflictError, ModelError, one_line
from forex_diffusion.storage import TrainedModelRepository

__all__ = ["ForecastRequest", "router"]

LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""The quantiles answered per horizon."""

router = APIRouter(tags=["forecast"])


class ForecastRequest(BaseModel):
    """A forecast from the newest stored bar of a series."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(max_length=16)
    timeframe: str = Field(max_length=8)
    model: Literal["auto", "diffusion", "random_walk"] = Field(
        default="diffusion",
        description="auto: the diffusion model when one is registered, else the random walk",
    )
    horizons: list[int] | None = Field(
        default=None,
        max_length=100,
        description="subset of the model's horizons (bars); default: all",
    )
    samples: int = Field(default=200, ge=10, le=5000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)


@router.post("/forecast", response_model=ForecastOut)
def forecast(store: StoreDep, request: ForecastRequest) -> dict[str, Any]:
    """Price quantiles per horizon from the newest stored bar: the newest diffusion model
    registered for the series (409 when there is none, or when it cannot be loaded), or
    the random walk."""
    from forex_diffusion.forecast.baselines import RandomWalkEstimator
    from forex_diffusion.forecast.diffusion import DiffusionPredictor

    sym, tf = parse_series(request.symbol, request.timeframe)
    frame = stored_candles(store, sym, tf)
    predictor: Any
    found = None
    if request.model != "random_walk":
        found = TrainedModelRepository(store).latest(sym.name, tf.value)
    if found is None and request.model == "diffusion":
        raise ConflictError(f"no diffusion model for {sym} {tf.value}: fxd train")
    if found is not None:
        try:
            predictor = DiffusionPredictor.load(found["path"])
        except ModelError as exc:  # deleted, or written by an older version: say the fix
            raise ModelError(
                f"the newest diffusion model for {sym} {tf.value} cannot be loaded "
                f"({one_line(exc)}): retrain with fxd train"
            ) from exc
    else:
        predictor = RandomWalkEstimator(symbol=sym.name, timeframe=tf.value).fit(frame)
    result = predictor.predict(frame, num_samples=request.samples, seed=request.seed)
    wanted = request.horizons or list(result.horizons)
    unknown = sorted(set(wanted) - set(result.horizons))
    if unknown:
        raise ConfigError(f"horizons: {unknown} not among the model's {list(result.horizons)}")
    return {
        "model": "diffusion" if found is not None else "random_walk",
        "model_id": result.model_id,
        "origin": result.origin_ts.isoformat(),
        "origin_price": result.origin_price,
        "quantiles": [
            {"horizon": h, **{f"q{round(q * 100):02d}": result.quantile(q, h) for q in LEVELS}}
            for h in wanted
        ],
    }
