"""The stored series and their bars: ``/symbols``, ``/candles`` (reading, and appending or
correcting bars of the live feed) and the corrections made to traded bars."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from forex_diffusion.api.common import (
    SymbolPath,
    TimeframePath,
    parse_series,
    records,
    stored_candles,
    utc_time,
)
from forex_diffusion.api.deps import StoreDep, guarded
from forex_diffusion.api.schemas import CandleOut, CorrectionOut, SeriesOut, WriteResult
from forex_diffusion.data.candles import OHLCV
from forex_diffusion.storage import CandleRepository

__all__ = ["MAX_BARS", "Bar", "NewBars", "router"]

MAX_BARS = 10_000
"""Bars one ``POST /candles`` may carry (larger imports: ``fxd data import``)."""

router = APIRouter(tags=["data"])


class Bar(BaseModel):
    """One closed bar: its open time (ISO 8601 with an offset; Z for UTC) and prices. The
    candle contract is checked with the bar's time in the answer: finite prices > 0,
    ``low <= min(open, close) <= max(open, close) <= high``, volume >= 0."""

    model_config = ConfigDict(extra="forbid")

    time: AwareDatetime
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return utc_time(value, "time")


class NewBars(BaseModel):
    """Bars to append to a series of the live feed, or to correct (see ``POST /candles``)."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(max_length=16)
    timeframe: str = Field(max_length=8)
    bars: list[Bar] = Field(min_length=1, max_length=MAX_BARS)
    correction: bool = Field(
        default=False,
        description="replace bars at or before the newest bar a run has traded; each bar "
        "that changes is recorded with its old and new values",
    )
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="why (a correction only)"
    )

    def frame(self) -> pd.DataFrame:
        """The bars as a candle frame, in the order given."""
        index = pd.DatetimeIndex([b.time for b in self.bars], name="time")
        return pd.DataFrame({c: [float(getattr(b, c)) for b in self.bars] for c in OHLCV}, index)


@router.get("/symbols", response_model=list[SeriesOut])
def symbols(store: StoreDep) -> list[dict[str, Any]]:
    """Every stored series with its first and last bar and bar count."""
    return [
        {
            "symbol": s.symbol,
            "timeframe": s.timeframe,
            "first": s.first.isoformat(),
            "last": s.last.isoformat(),
            "bars": s.bars,
        }
        for s in CandleRepository(store).series()
    ]


@router.get("/candles/{symbol}/{timeframe}", response_model=list[CandleOut])
def candles(
    store: StoreDep,
    symbol: SymbolPath,
    timeframe: TimeframePath,
    last: Annotated[int, Query(ge=1, le=100_000)] = 500,
) -> list[dict[str, Any]]:
    """The newest ``last`` bars of a series (404 for an unknown series)."""
    sym, tf = parse_series(symbol, timeframe)
    frame = stored_candles(store, sym, tf, last=last)
    return records(frame.rename_axis("time").reset_index())


@router.post("/candles", dependencies=guarded, response_model=WriteResult)
def append(store: StoreDep, new: NewBars) -> dict[str, Any]:
    """Append closed bars to a series, or correct stored ones, in one transaction or not
    at all.

    The bars are checked as ``fxd data import --timeframe`` checks a file: the candle
    contract, in order and without duplicates, and the timeframe's spacing (an H1 bar at
    05:30 is refused); a 422 names the bar and field. A bar identical to the stored one
    changes nothing. A new or changed bar at or before the newest bar a run has traded on
    the series is a 409 naming the bar and the run, unless ``correction`` is set: then
    every bar it replaces is recorded (``GET /candles/{symbol}/{timeframe}/corrections``)
    with its old values (null for a bar that was missing) and the new ones; a correction
    that changes nothing records nothing."""
    sym, tf = parse_series(new.symbol, new.timeframe)
    result = CandleRepository(store).write(
        sym, tf, new.frame(), correction=new.correction, reason=new.reason
    )
    return {
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "corrected": result.corrected,
    }


@router.get("/candles/{symbol}/{timeframe}/corrections", response_model=list[CorrectionOut])
def corrections(
    store: StoreDep,
    symbol: SymbolPath,
    timeframe: TimeframePath,
    last: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Bars corrected after a run had traded on them (``POST /candles`` with
    ``correction``), the newest ``last``, oldest first."""
    sym, tf = parse_series(symbol, timeframe)
    return CandleRepository(store).corrections(sym, tf, last=last)
