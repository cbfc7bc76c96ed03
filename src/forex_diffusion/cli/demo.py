"""``fxd demo``: the main job on the bundled EURUSD sample.

For now: import the sample into the store and print its summary. Later stages (training,
walk-forward backtest, report) join as they are built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.table import Table

from forex_diffusion.cli.context import console, make_progress, state
from forex_diffusion.core.types import Timeframe

__all__ = ["demo"]


def demo() -> None:
    """Import the bundled EURUSD H1 2017 sample into the store and print its summary."""
    from forex_diffusion.core.instruments import get_instrument
    from forex_diffusion.data import find_gaps, load_sample, resample_candles
    from forex_diffusion.storage import CandleRepository

    symbol, tf = "EURUSD", Timeframe.H1
    with make_progress() as progress:
        task = progress.add_task("loading the bundled EURUSD H1 sample", total=None)
        candles = load_sample(symbol, tf)
        progress.update(task, completed=1, total=1)
        store = state.store()
        task = progress.add_task("importing into the store", total=len(candles))
        result = CandleRepository(store).upsert(
            symbol, tf, candles, on_progress=lambda n: progress.advance(task, n)
        )
    pip = get_instrument(symbol).pip_size
    high, low, close = (candles[c].to_numpy() for c in ("high", "low", "close"))
    daily = resample_candles(candles, Timeframe.D1, source_timeframe=tf, anchor="new_york")
    daily = daily[daily["complete"]]
    log_ret = np.diff(np.log(close))
    gaps = find_gaps(pd.DatetimeIndex(candles.index), tf)

    table = Table(
        title="Bundled sample: EURUSD H1 2017 (ask), gym-anytrading 2.0.0, MIT", show_header=False
    )
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("store", store.display_url),
        (
            "bars",
            f"{len(candles):,} ({result.inserted:,} new, {result.unchanged:,} already stored)",
        ),
        ("first bar (UTC)", candles.index[0].strftime("%Y-%m-%d %H:%M")),
        ("last bar (UTC)", candles.index[-1].strftime("%Y-%m-%d %H:%M")),
        ("gaps (weekends excluded)", f"{len(gaps)} ({int(gaps['missing_bars'].sum())} bars)"),
        ("first open / last close", f"{candles['open'].iloc[0]:.5f} / {close[-1]:.5f}"),
        ("lowest low / highest high", f"{low.min():.5f} / {high.max():.5f}"),
        ("year return", f"{(close[-1] / candles['open'].iloc[0] - 1) * 100:+.2f} %"),
        ("mean H1 range", f"{np.mean(high - low) / pip:.1f} pips"),
        (
            "mean daily range (NY close)",
            f"{np.mean(daily['high'] - daily['low']) / pip:.1f} pips over {len(daily)} days",
        ),
        ("H1 volatility, annualised", f"{np.std(log_ret) * np.sqrt(len(log_ret)) * 100:.2f} %"),
    ]
    for what, value in rows:
        table.add_row(what, value)
    console.print(table)
    console.print(f"store: {store.display_url}", soft_wrap=True)
    console.print("next: `fxd data list`, `fxd data show EURUSD H1 --last 10`")
