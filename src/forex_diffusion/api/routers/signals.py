"""``/signals``: stored fused signals with their quality dimensions and verdict."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from forex_diffusion.api.common import SymbolPath, TimeframePath, parse_series, records
from forex_diffusion.api.deps import StoreDep
from forex_diffusion.api.schemas import SignalOut
from forex_diffusion.storage import FusedSignalRepository

__all__ = ["router"]

router = APIRouter(tags=["signals"])


@router.get("/signals/{symbol}/{timeframe}", response_model=list[SignalOut])
def signals(
    store: StoreDep,
    symbol: SymbolPath,
    timeframe: TimeframePath,
    run_id: Annotated[str | None, Query(description="a run's signals (default: none)")] = None,
    last: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Stored fused signals with their six quality dimensions, composite and verdict."""
    sym, tf = parse_series(symbol, timeframe)
    return records(FusedSignalRepository(store).load(sym, tf, run_id=run_id).tail(last))
