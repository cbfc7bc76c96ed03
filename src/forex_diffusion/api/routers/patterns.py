"""``/patterns``: stored pattern events of a series (see ``fxd patterns``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from forex_diffusion.api.common import SymbolPath, TimeframePath, parse_series, records
from forex_diffusion.api.deps import StoreDep
from forex_diffusion.api.schemas import PatternOut
from forex_diffusion.storage import PatternEventRepository

__all__ = ["router"]

router = APIRouter(tags=["data"])


@router.get("/patterns/{symbol}/{timeframe}", response_model=list[PatternOut])
def patterns(
    store: StoreDep,
    symbol: SymbolPath,
    timeframe: TimeframePath,
    kinds: Annotated[str, Query(description="Comma-separated kinds.")] = "",
    last: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Stored pattern events of a series, newest ``last`` (see ``fxd patterns``)."""
    sym, tf = parse_series(symbol, timeframe)
    wanted = [k for k in kinds.split(",") if k] or None
    return records(PatternEventRepository(store).load(sym, tf, kinds=wanted, last=last))
