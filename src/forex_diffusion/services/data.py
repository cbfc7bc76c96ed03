"""Candles into the store: the bundled EURUSD H1 2017 sample, with what it holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data import find_gaps, load_sample, resample_candles
from forex_diffusion.services.progress import Progress, silent
from forex_diffusion.storage import CandleRepository, Store, UpsertResult

__all__ = ["SampleImport", "import_sample"]

SAMPLE_SYMBOL = Symbol.parse("EURUSD")
SAMPLE_TIMEFRAME = Timeframe.H1


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleImport:
    """The bundled sample imported: its bars, what the import wrote, and its figures (ranges in
    pips, the return and the volatility as fractions)."""

    symbol: Symbol
    timeframe: Timeframe
    candles: pd.DataFrame
    written: UpsertResult
    store_url: str
    gaps: int
    """Gaps in the bars, weekends excluded."""
    missing_bars: int
    first_open: float
    last_close: float
    lowest_low: float
    highest_high: float
    year_return: float
    mean_range_pips: float
    """Mean high-low range of a bar."""
    mean_daily_range_pips: float
    """Mean high-low range of a complete day (New York close)."""
    days: int
    volatility: float
    """Of the bars' log returns, annualised over the sample."""


def import_sample(store: Store, *, progress: Progress = silent) -> SampleImport:
    """Import the bundled EURUSD H1 2017 sample into ``store`` (idempotent: bars already
    stored are left alone) and describe it."""
    symbol, tf = SAMPLE_SYMBOL, SAMPLE_TIMEFRAME
    loading = "loading the bundled EURUSD H1 sample"
    progress(loading, 0, None)
    candles = load_sample(symbol.name, tf)
    progress(loading, 1, 1)
    importing, total = "importing into the store", len(candles)
    written_so_far = 0
    progress(importing, 0, total)

    def on_progress(n: int) -> None:
        nonlocal written_so_far
        written_so_far += n
        progress(importing, written_so_far, total)

    written = CandleRepository(store).upsert(symbol, tf, candles, on_progress=on_progress)
    pip = get_instrument(symbol).pip_size
    high, low, close = (candles[c].to_numpy() for c in ("high", "low", "close"))
    first_open = float(candles["open"].iloc[0])
    daily = resample_candles(candles, Timeframe.D1, source_timeframe=tf, anchor="new_york")
    daily = daily[daily["complete"]]
    log_ret = np.diff(np.log(close))
    gaps = find_gaps(pd.DatetimeIndex(candles.index), tf)
    return SampleImport(
        symbol=symbol,
        timeframe=tf,
        candles=candles,
        written=written,
        store_url=store.display_url,
        gaps=len(gaps),
        missing_bars=int(gaps["missing_bars"].sum()),
        first_open=first_open,
        last_close=float(close[-1]),
        lowest_low=float(low.min()),
        highest_high=float(high.max()),
        year_return=float(close[-1] / first_open - 1),
        mean_range_pips=float(np.mean(high - low) / pip),
        mean_daily_range_pips=float(np.mean(daily["high"] - daily["low"]) / pip),
        days=len(daily),
        volatility=float(np.std(log_ret) * np.sqrt(len(log_ret))),
    )
