"""``/indicators``: indicator values over a stored series."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from forex_diffusion.api.common import (
    SymbolPath,
    TimeframePath,
    parse_series,
    records,
    stored_candles,
)
from forex_diffusion.api.deps import StoreDep
from forex_diffusion.api.schemas import IndicatorRow

__all__ = ["router"]

router = APIRouter(tags=["data"])


@router.get("/indicators/{symbol}/{timeframe}", response_model=list[IndicatorRow])
def indicators(
    store: StoreDep,
    symbol: SymbolPath,
    timeframe: TimeframePath,
    spec: Annotated[
        str, Query(max_length=500, description="e.g. rsi_14,atr_14,macd_12_26_9")
    ] = "rsi_14",
    last: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict[str, Any]]:
    """Indicator values of the newest ``last`` bars (the whole stored history warms up);
    an unknown indicator in ``spec`` is a 422 naming it."""
    from forex_diffusion.features import calculate_indicators

    values = calculate_indicators(stored_candles(store, *parse_series(symbol, timeframe)), spec)
    return records(values.iloc[-last:].rename_axis("time").reset_index())
