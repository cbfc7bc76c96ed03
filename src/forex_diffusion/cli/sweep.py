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
    KeepGoingOption,
    RayAddressOption,
    Where,
    WorkersOption,
    print_problems,
)
from forex_diffusion.cli.context import console, make_progress, state, wide_console
from forex_diffusion.cli.times import FromOption, ToOption, no_bars, time_span
from forex_diffusion.core.errors import RunFailedError
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
    start, end = time_span(from_, to)
    store = state.store()
    base = state.config.trading.model_copy(update={"strategy": spec.strategy})
    rid = f"sw-{uuid.uuid4().hex[:8]}"
    tasks: list[SweepTask] = []
    for sym in pairs:
        candles = CandleRepository(store).load(sym, tf, end=end)
        traded = candles[candles.index >= start] if start is not None else candles
        if traded.empty:
            raise no_bars(store, sym, tf, start=start, end=end)
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
    with runs.recording(
        kind="sweep",
        config_hash=config_hash(base),
        config={"trading": base.model_dump(mode="json"), **settings},
        symbol=pairs[0].name if len(pairs) == 1 else None,
        timeframe=tf.value,
        strategy=spec.strategy,
        run_id=rid,
    ) as run:
        with make_progress() as progress:
            bar = progress.add_task(f"{len(tasks)} backtests ({engine.value})", total=len(tasks))

            def done(_i: int) -> None:
                progress.advance(bar)
                run.beat()

            outcomes = map_tasks(
                run_sweep_task,
                tasks,
                engine=engine.value,
                workers=workers,
                ray_address=ray_address,
                on_done=done,
            )
        table = sweep_table(outcomes, metric=metric)
        failed: list[dict[str, Any]] = []
        for task, outcome in zip(tasks, outcomes, strict=True):
            cfg = base.model_copy(update={"strategy_params": outcome.params})
            with runs.recording(
                kind="backtest",
                config_hash=config_hash(cfg),
                config={"trading": cfg.model_dump(mode="json"), "sweep": rid},
                symbol=task.symbol,
                timeframe=tf.value,
                strategy=spec.strategy,
                run_id=task.run_id,
            ) as combo:
                combo.metrics = outcome.result.summary()
                if outcome.result.failed:
                    combo.fail(outcome.result.reason or "unknown error")
                    failed.append(
                        {
                            "run_id": task.run_id,
                            "params": outcome.params,
                            "error": outcome.result.reason,
                        }
                    )
        rows = json.loads(table.to_json(orient="records", double_precision=15))
        run.metrics = {"metric": metric, "results": rows, "failed": failed}
        if failed and not keep_going:
            raise RunFailedError(
                rid,
                f"{len(failed)} of {len(tasks)} backtests failed (--keep-going to store the "
                f"sweep anyway); {failed[0]['run_id']} {failed[0]['params']}: "
                f"{failed[0]['error']}",
            )
    if as_json:
        console.print_json(
            json.dumps({"run_id": rid, "metric": metric, "results": rows, "failed": failed})
        )
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
    print_problems(out, failed, {})
    out.print(f"each backtest is a stored run; see `fxd runs show {rid}` and its backtest runs")


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("total_return", "max_drawdown", "win_rate"):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)
