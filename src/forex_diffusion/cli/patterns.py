"""``fxd patterns``: scan a stored series for patterns, store the events, list them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, make_progress, state
from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["patterns"]


def patterns(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    kinds: Annotated[
        str, typer.Option(help="Comma-separated kinds: candle, chart, harmonic, wave.")
    ] = "candle,chart,harmonic,wave",
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Newest N events.")] = 20,
    min_score: Annotated[float, typer.Option(min=0.0, max=1.0, help="Hide weaker events.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Scan the stored bars (all detectors), store the events, and list the newest ones.

    Every run re-scans the whole series and replaces its stored events in one transaction, so
    the store always matches the bars it holds.
    """
    import pandas as pd

    from forex_diffusion.patterns import PatternRegistry
    from forex_diffusion.patterns.vectorized_detectors import events_from_frame
    from forex_diffusion.storage import CandleRepository, PatternEventRepository

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    registry = PatternRegistry()
    registry.detectors(wanted)  # validates the kinds before any work
    store = state.store()
    candles = CandleRepository(store).load(sym, tf)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    with make_progress() as progress:
        task = progress.add_task(f"scanning {len(candles):,} bars", total=None)
        events = events_from_frame(registry.scan(candles))
        progress.update(task, description="storing events")
        PatternEventRepository(store).replace(sym, tf, events)
    shown = PatternEventRepository(store).load(sym, tf, kinds=wanted)
    shown = shown[shown["score"] >= min_score].tail(last)
    if as_json:
        out = shown.copy()
        for col in ("start_ts", "confirm_ts"):
            out[col] = out[col].map(lambda t: t.isoformat())
        console.print_json(out.to_json(orient="records", double_precision=15))
        return
    table = Table(title=f"{sym} {tf.value}: newest {len(shown)} of {len(events):,} pattern events")
    for col in (
        "confirmed (UTC)",
        "pattern",
        "kind",
        "dir",
        "score",
        "bars",
        "target",
        "invalidation",
    ):
        table.add_column(
            col,
            no_wrap=col.startswith("confirmed"),
            justify="right" if col in ("score", "bars", "target", "invalidation") else "left",
        )

    def price(value: float | None) -> str:
        return "" if value is None or value != value else f"{value:.5f}"

    for rec in shown.to_dict("records"):
        table.add_row(
            pd.Timestamp(rec["confirm_ts"]).strftime("%Y-%m-%d %H:%M"),
            str(rec["pattern_key"]),
            str(rec["kind"]),
            str(rec["direction"]),
            f"{float(rec['score']):.2f}",
            str(rec["bars_span"]),
            price(rec["target_price"]),
            price(rec["failure_price"]),
        )
    console.print(table)
