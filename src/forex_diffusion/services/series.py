"""The stored bars a use case runs on, with the one error for a series that has none."""

from __future__ import annotations

import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage import CandleRepository, Store

__all__ = ["Span", "load_series", "no_bars", "span_words"]


def show_time(ts: pd.Timestamp) -> str:
    """A UTC time as short as it is exact: ``2018-06-01``, ``2018-06-01 12:00``..."""
    if ts == ts.normalize():
        return f"{ts:%Y-%m-%d}"
    return f"{ts:%Y-%m-%d %H:%M}" if ts.second == 0 and ts.microsecond == 0 else str(ts)


def span_words(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    """``after X``, ``before Y``, ``between X and Y``, or ``""`` for the whole history."""
    if start is not None and end is not None:
        return f"between {show_time(start)} and {show_time(end)}"
    if start is not None:
        return f"after {show_time(start)}"
    if end is not None:
        return f"before {show_time(end)}"
    return ""


def no_bars(
    store: Store,
    symbol: Symbol,
    timeframe: Timeframe,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> DataError:
    """The error for a series with no bars in ``start``..``end``: what the store holds."""
    held = [
        s
        for s in CandleRepository(store).series()
        if s.symbol == symbol.name and s.timeframe == timeframe.value
    ]
    if not held:
        return DataError(
            f"no {symbol} {timeframe.value} candles in the store (see `fxd data list`)"
        )
    span = span_words(start, end)
    return DataError(
        f"no {symbol} {timeframe.value} bars{' ' + span if span else ''}: the store holds "
        f"{held[0].first:%Y-%m-%d %H:%M} to {held[0].last:%Y-%m-%d %H:%M} UTC"
    )


class Span:
    """The bars of a series up to ``end``, split at ``start`` into the bars traded and the
    earlier bars a strategy may warm up on."""

    __slots__ = ("all", "traded", "warmup")

    def __init__(self, candles: pd.DataFrame, start: pd.Timestamp | None) -> None:
        self.all = candles
        self.traded = candles[candles.index >= start] if start is not None else candles
        self.warmup = candles[candles.index < start] if start is not None else None


def load_series(
    store: Store,
    symbol: Symbol,
    timeframe: Timeframe,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> Span:
    """The stored bars up to ``end`` split at ``start``; a :class:`DataError` naming what the
    store holds when no bar falls in ``start``..``end``."""
    span = Span(CandleRepository(store).load(symbol, timeframe, end=end), start)
    if span.traded.empty:
        raise no_bars(store, symbol, timeframe, start=start, end=end)
    return span
