"""``fxd indicators``: indicator values computed from stored bars."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, state
from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["indicators"]


class BackendChoice(StrEnum):
    """Indicator backends."""

    TALIB = "talib"
    NUMPY = "numpy"


def indicators(
    symbol: Annotated[str | None, typer.Argument(help="Currency pair, e.g. EURUSD.")] = None,
    timeframe: Annotated[str | None, typer.Argument(help="Timeframe, e.g. H1.")] = None,
    spec: Annotated[
        str,
        typer.Option(
            "--spec",
            help="Comma-separated indicators, e.g. rsi_14,atr_14,macd_12_26_9 (see --list).",
        ),
    ] = "rsi_14,atr_14",
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Newest N bars to show.")] = 10,
    backend: Annotated[BackendChoice, typer.Option(help="Indicator backend.")] = (
        BackendChoice.TALIB
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the indicators and exit.")] = False,
) -> None:
    """Print indicator values for the newest bars of a stored series (all history warms up)."""
    import pandas as pd

    from forex_diffusion.features import calculate_indicators, get_available_indicators
    from forex_diffusion.storage import CandleRepository

    if list_:
        table = Table(title="Indicators")
        for col in ("name", "parameters (defaults)", "outputs", "description"):
            table.add_column(col)
        for name, info in get_available_indicators().items():
            params = ", ".join(f"{k}={v:g}" for k, v in info["params"].items())
            table.add_row(name, params, ", ".join(info["outputs"]), info["description"])
        console.print(table)
        return
    if symbol is None or timeframe is None:
        raise typer.BadParameter("give SYMBOL and TIMEFRAME (or --list)")
    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    candles = CandleRepository(state.store()).load(sym, tf)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    values = calculate_indicators(candles, spec, backend=backend.value).iloc[-last:]
    if as_json:
        out = values.reset_index()
        out["time"] = out["time"].map(lambda t: t.isoformat())
        console.print_json(out.to_json(orient="records", double_precision=15))
        return
    table = Table(title=f"{sym} {tf.value} indicators ({backend.value}), last {len(values)} bars")
    table.add_column("time (UTC)", no_wrap=True)
    for col in values.columns:
        table.add_column(col, justify="right", overflow="fold")
    for ts, row in values.iterrows():
        cells = ["" if v != v else f"{v:.6g}" for v in row.to_numpy(dtype=float)]
        table.add_row(pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M"), *cells)  # type: ignore[arg-type]
    console.print(table)
