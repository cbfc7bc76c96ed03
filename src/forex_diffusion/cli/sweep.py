"""``fxd sweep``: a strategy backtested for every combination of a parameter grid, on one or
more symbols, as tasks on a local process pool or on Ray."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.backtest import (
    Costs,
    EngineOption,
    RayAddressOption,
    Where,
    WorkersOption,
    time_option,
)
from forex_diffusion.cli.context import console, make_progress, state, wide_console
from forex_diffusion.core.errors import DataError
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
    from_: Annotated[
        str | None, typer.Option("--from", help="First bar traded (UTC); earlier bars warm up.")
    ] = None,
    to: Annotated[str | None, typer.Option(help="Last bar traded (UTC).")] = None,
    costs: Annotated[Costs, typer.Option(help="'none' turns all costs off.")] = Costs.DEFAULT,
    metric: Annotated[str, typer.Option(help="Rank by this metric (max_drawdown: lowest).")] = (
        "sharpe"
    ),
    top: Annotated[int, typer.Option(min=1, help="Rows shown.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Parameter sweep: every combination of the grid on every symbol is one backtest (a task
    on the chosen engine); each is stored as a backtest run with its metrics under one sweep
    run, and the table ranks them."""
    import uuid

    from forex_diffusion.backtest.sweep import SweepTask, load_grid, run_sweep_task, sweep_table
    from forex_diffusion.core.config import config_hash
    from forex_diffusion.distributed.pools import map_tasks
    from forex_diffusion.storage import CandleRepository, RunRepository

    spec = load_grid(grid)
    tf = Timeframe.parse(timeframe)
    pairs = [Symbol.parse(s.strip()) for s in symbols.split(",") if s.strip()]
    start, end = time_option(from_, "--from"), time_option(to, "--to")
    store = state.store()
    base = state.config.trading.model_copy(update={"strategy": spec.strategy})
    rid = f"sw-{uuid.uuid4().hex[:8]}"
    tasks: list[SweepTask] = []
    for sym in pairs:
        candles = CandleRepository(store).load(sym, tf, end=end)
        traded = candles[candles.index >= start] if start is not None else candles
        if traded.empty:
            raise DataError(f"no {sym} {tf.value} bars to trade (see `fxd data list`)")
        warmup = candles[candles.index < start] if start is not None else None
        for params in spec.combinations():
            tasks.append(
                SweepTask(
                    symbol=sym.name,
                    timeframe=tf.value,
                    candles=traded,
                    warmup=warmup,
                    config=base,
                    params=params,
                    costs=costs is Costs.DEFAULT,
                    run_id=f"{rid}-{len(tasks) + 1}",
                )
            )
    runs = RunRepository(store)
    settings: dict[str, Any] = {
        "grid": {"strategy": spec.strategy, "params": spec.params, "fixed": spec.fixed},
        "symbols": [s.name for s in pairs],
        "from": from_,
        "to": to,
        "costs": costs.value,
        "engine": engine.value,
    }
    runs.create(
        kind="sweep",
        config_hash=config_hash(base),
        config={"trading": base.model_dump(mode="json"), **settings},
        symbol=pairs[0].name if len(pairs) == 1 else None,
        timeframe=tf.value,
        strategy=spec.strategy,
        run_id=rid,
    )
    try:
        with make_progress() as progress:
            bar = progress.add_task(f"{len(tasks)} backtests ({engine.value})", total=len(tasks))
            outcomes = map_tasks(
                run_sweep_task,
                tasks,
                engine=engine.value,
                workers=workers,
                ray_address=ray_address,
                on_done=lambda _i: progress.advance(bar),
            )
        table = sweep_table(outcomes, metric=metric)
        for task, outcome in zip(tasks, outcomes, strict=True):
            cfg = base.model_copy(update={"strategy_params": outcome.params})
            runs.create(
                kind="backtest",
                config_hash=config_hash(cfg),
                config={"trading": cfg.model_dump(mode="json"), "sweep": rid},
                symbol=task.symbol,
                timeframe=tf.value,
                strategy=spec.strategy,
                run_id=task.run_id,
            )
            runs.finish(task.run_id, metrics=outcome.result.summary())
    except Exception as exc:
        runs.finish(rid, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    rows = json.loads(table.to_json(orient="records", double_precision=15))
    runs.finish(rid, metrics={"metric": metric, "results": rows})
    if as_json:
        console.print_json(json.dumps({"run_id": rid, "metric": metric, "results": rows}))
        return
    out = wide_console(140)
    shown = Table(
        title=f"sweep {rid}: {spec.strategy} on {', '.join(s.name for s in pairs)} {tf.value}, "
        f"{len(rows)} backtests, best {metric} first"
    )
    columns = [c for c in table.columns if c != metric] + [metric]
    for col in columns:
        shown.add_column(col.removeprefix("param."), justify="left" if col == "run_id" else "right")
    for row in rows[:top]:
        shown.add_row(*(_cell(col, row[col]) for col in columns))
    out.print(shown)
    out.print(f"each backtest is a stored run; see `fxd runs show {rid}` and its backtest runs")


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("total_return", "max_drawdown", "win_rate"):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)
