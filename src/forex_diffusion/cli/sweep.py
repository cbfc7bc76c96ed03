"""``fxd sweep``: a strategy backtested for every combination of a parameter grid, on one or
more symbols, as tasks on a local process pool or on Ray (the work is
:mod:`forex_diffusion.services.sweep`; this prints it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, progress_bars, state, wide_console
from forex_diffusion.cli.options import (
    Costs,
    EngineOption,
    FromOption,
    JsonOption,
    KeepGoingOption,
    RayAddressOption,
    ToOption,
    Where,
    WorkersOption,
)
from forex_diffusion.cli.output import print_problems
from forex_diffusion.cli.times import time_span
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["sweep"]


def sweep(
    symbols: Annotated[str, typer.Argument(help="Currency pair(s), comma-separated.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    grid: Annotated[
        Path,
        typer.Option(
            "--grid", help="TOML or JSON grid: strategy, [params] lists, [fixed].", dir_okay=False
        ),
    ],
    engine: EngineOption = Where.LOCAL,
    workers: WorkersOption = None,
    ray_address: RayAddressOption = None,
    from_: FromOption = None,
    to: ToOption = None,
    costs: Annotated[Costs, typer.Option(help="'none' turns all costs off.")] = Costs.DEFAULT,
    metric: Annotated[str, typer.Option(help="Rank by this metric (max_drawdown: lowest).")] = (
        "sharpe"
    ),
    top: Annotated[int, typer.Option(min=1, help="Rows shown.")] = 20,
    keep_going: KeepGoingOption = False,
    as_json: JsonOption = False,
) -> None:
    """Parameter sweep: every combination of the grid on every symbol is one backtest (a task
    on the chosen engine); each is stored as a backtest run with its metrics under one sweep
    run, and the table ranks them."""
    from forex_diffusion.services.sweep import SweepRequest, load_grid
    from forex_diffusion.services.sweep import sweep as run

    spec = load_grid(grid)  # a bad grid is refused before the store is opened
    start, end = time_span(from_, to)
    request = SweepRequest(
        symbols=[Symbol.parse(s.strip()) for s in symbols.split(",") if s.strip()],
        timeframe=Timeframe.parse(timeframe),
        grid=spec,
        start=start,
        end=end,
        costs=costs is Costs.DEFAULT,
        metric=metric,
        engine=engine.value,
        workers=workers,
        ray_address=ray_address,
        keep_going=keep_going,
        settings={"from": from_, "to": to},
    )
    with progress_bars() as progress:
        study = run(state.store(), state.config, request, progress=progress)
    summary = study.summary()
    if as_json:
        console.print_json(json.dumps(summary))
        return
    rows = summary["results"]
    out = wide_console(140)
    shown = Table(
        title=f"sweep {study.run_id}: {spec.strategy} on "
        f"{', '.join(s.name for s in request.symbols)} {request.timeframe.value}, "
        f"{len(rows)} backtests, best {metric} first"
    )
    columns = [c for c in study.table.columns if c != metric] + [metric]
    for col in columns:
        shown.add_column(col.removeprefix("param."), justify="left" if col == "run_id" else "right")
    for row in rows[:top]:
        shown.add_row(*(_cell(col, row[col]) for col in columns))
    out.print(shown)
    print_problems(out, summary["failed"], {})
    out.print(
        f"each backtest is a stored run; see `fxd runs show {study.run_id}` and its backtest runs"
    )


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("total_return", "max_drawdown", "win_rate"):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)
