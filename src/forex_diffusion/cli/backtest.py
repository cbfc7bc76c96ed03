"""``fxd backtest`` and ``fxd walkforward``: the trading engine over stored history."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from forex_diffusion.cli.context import console, make_progress, state, wide_console
from forex_diffusion.cli.strategies import ParamOption, StrategyOption, with_strategy
from forex_diffusion.cli.times import FromOption, ToOption, no_bars, time_span
from forex_diffusion.core.errors import ConfigError, DataError, RunFailedError
from forex_diffusion.core.types import Symbol, Timeframe

if TYPE_CHECKING:
    import pandas as pd

    from forex_diffusion.backtest.runner import BacktestResult
    from forex_diffusion.core.trading_config import TradingConfig
    from forex_diffusion.distributed.pools import Engine

__all__ = [
    "EngineOption",
    "KeepGoingOption",
    "RayAddressOption",
    "Where",
    "WorkersOption",
    "backtest",
    "print_problems",
    "stored_walkforward",
    "walkforward",
]


class Where(StrEnum):
    """Where independent tasks (folds, parameter sets, symbols) run."""

    LOCAL = "local"
    RAY = "ray"
    SERIAL = "serial"


EngineOption = Annotated[
    Where,
    typer.Option(
        "--engine", help="Where the tasks run: local process pool, Ray, or serial in this process."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Processes (local) or CPUs of a local Ray (default: all CPUs)."),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="An existing Ray cluster, e.g. ray://head:10001 or auto (with --engine ray).",
    ),
]


class Costs(StrEnum):
    """Trading costs in a backtest."""

    DEFAULT = "default"
    NONE = "none"


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure"):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _report(
    path: Path,
    result: BacktestResult,
    candles: pd.DataFrame,
    traded: pd.DataFrame,
    sym: Symbol,
    tf: Timeframe,
    fans: int,
) -> Path:
    import numpy as np
    import pandas as pd

    from forex_diffusion.backtest.report import pattern_marks, scanned_marks, write_report
    from forex_diffusion.storage import FusedSignalRepository
    from forex_diffusion.trading.strategies.fusion import FusionStrategy

    signals = FusedSignalRepository(state.store()).load(sym, tf, run_id=result.run_id)
    strategy = result.strategy
    forecasts = []
    if isinstance(strategy, FusionStrategy) and fans:
        first = len(candles) - len(traded)
        origins = np.linspace(first, len(candles) - 30, fans + 2)[1:-1].astype(int).tolist()
        forecasts = strategy.forecasts_at(sym.name, tf.value, candles, origins)
    marks = pattern_marks(signals) if not signals.empty else scanned_marks(traded.iloc[-3000:])
    return write_report(
        path,
        title=f"{strategy.name if strategy else '-'} on {sym} {tf.value}: backtest {result.run_id}",
        symbol=sym.name,
        timeframe_delta=pd.Timedelta(tf.delta),
        candles=traded,
        trades=result.trades,
        equity=result.equity,
        metrics=result.metrics,
        pnl_by_source=result.pnl_by_source,
        patterns=marks,
        forecasts=forecasts,
        signals=None if signals.empty else signals,
        signal_errors=result.signal_errors,
    )


def backtest(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    strategy: StrategyOption = None,
    param: ParamOption = None,
    costs: Annotated[
        Costs, typer.Option(help="'none' turns spread, slippage, commission and swap off.")
    ] = Costs.DEFAULT,
    from_: FromOption = None,
    to: ToOption = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config", help="TOML config for this run (as the global --config).", dir_okay=False
        ),
    ] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run id (default: new).")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write a self-contained HTML report here.", dir_okay=False),
    ] = None,
    fans: Annotated[
        int, typer.Option(min=0, help="Forecast fans drawn in the report (fused strategy).")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Backtest a strategy on the stored bars: market orders fill at the next bar's open,
    what is open at the end closes at the last close; the run is stored."""
    import uuid

    from forex_diffusion.backtest.runner import run_backtest
    from forex_diffusion.core.config import config_hash, load_config
    from forex_diffusion.storage import CandleRepository, RunRepository
    from forex_diffusion.trading.recording import BufferedRecorder

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    base = (load_config(config_file) if config_file else state.config).trading
    cfg = with_strategy(base, strategy, param)
    start, end = time_span(from_, to)
    store = state.store()
    candles = CandleRepository(store).load(sym, tf, end=end)
    traded = candles[candles.index >= start] if start is not None else candles
    if traded.empty:
        raise no_bars(store, sym, tf, start=start, end=end)
    warmup = candles[candles.index < start] if start is not None else None
    rid = run_id or f"bt-{uuid.uuid4().hex[:12]}"
    with RunRepository(store).recording(
        kind="backtest",
        config_hash=config_hash(cfg),
        config={
            "trading": cfg.model_dump(mode="json"),
            "costs": costs.value,
            "from": from_,
            "to": to,
        },
        symbol=sym.name,
        timeframe=tf.value,
        strategy=cfg.strategy,
        run_id=rid,
    ) as run:
        recorder = BufferedRecorder(store, rid)
        with make_progress() as progress:
            task = progress.add_task(f"{cfg.strategy} on {sym} {tf.value}", total=len(traded))

            def on_bar(done: int, total: int) -> None:
                progress.update(task, completed=done)
                run.beat()

            try:
                result = run_backtest(
                    traded,
                    symbol=sym.name,
                    timeframe=tf.value,
                    config=cfg,
                    costs=costs is Costs.DEFAULT,
                    run_id=rid,
                    recorder=recorder,
                    warmup=warmup,
                    on_bar=on_bar,
                )
            finally:
                recorder.flush()  # what it did up to a failure is stored too
        summary = result.summary()
        kept = ("trade_count", "net_pips", "metrics", "pnl_by_source", "signal_errors")
        run.metrics = {k: summary[k] for k in kept}
        if result.failed:
            raise RunFailedError(rid, result.reason or "unknown error")
    if report is not None:
        summary["report"] = str(_report(report, result, candles, traded, sym, tf, fans))
    if as_json:
        console.print_json(json.dumps(summary, default=str))
        return
    out = wide_console(100)
    table = Table(
        title=f"backtest {rid}: {cfg.strategy} on {sym} {tf.value}, "
        f"{traded.index[0]:%Y-%m-%d} to {traded.index[-1]:%Y-%m-%d}"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in summary["metrics"].items():
        if key != "costs":
            table.add_row(key, _fmt(key, value))
    for key, value in summary["metrics"]["costs"].items():
        table.add_row(f"cost: {key}", _fmt(key, value))
    table.add_row("net pips", f"{summary['net_pips']:,.1f}")
    for source, pnl in summary["pnl_by_source"].items():
        table.add_row(f"P&L from {source}", f"{pnl:,.2f}")
    out.print(table)
    if result.reason:
        out.print(f"engine: {result.reason}")
    print_problems(out, [], result.signal_errors)
    out.print(f"stored as run {rid}; see `fxd runs show {rid}`")
    if report is not None:
        out.print(f"report: {summary['report']}")


def stored_walkforward(
    candles: pd.DataFrame,
    sym: Symbol,
    tf: Timeframe,
    cfg: TradingConfig,
    plan: list[Any],
    *,
    horizon: int,
    costs: bool,
    settings: dict[str, Any],
    engine: Engine = "serial",
    workers: int | None = None,
    ray_address: str | None = None,
    keep_going: bool = False,
) -> tuple[str, Any, dict[str, Any]]:
    """Run a walk-forward study on ``engine`` with a progress bar, then store it: one
    ``walkforward`` run and every fold as a ``backtest`` run with all its bars. A failed fold
    is stored ``failed`` with its reason; the study fails too (:class:`RunFailedError`, after
    storing everything) unless ``keep_going``. Returns the run id, the study and its
    summary."""
    import uuid
    from functools import partial

    from forex_diffusion.backtest.walkforward import run_walkforward
    from forex_diffusion.core.config import config_hash
    from forex_diffusion.distributed.pools import map_tasks
    from forex_diffusion.storage import RunRepository, TradingRepository

    store = state.store()
    rid = f"wf-{uuid.uuid4().hex[:8]}"
    runs = RunRepository(store)
    recorded = partial(
        runs.recording,
        config_hash=config_hash(cfg),
        config={"trading": cfg.model_dump(mode="json"), **settings},
        symbol=sym.name,
        timeframe=tf.value,
        strategy=cfg.strategy,
    )
    with recorded(kind="walkforward", run_id=rid) as run:
        with make_progress() as progress:
            task = progress.add_task(f"walk-forward folds ({engine})", total=len(plan))

            def done(_i: int) -> None:
                progress.advance(task)
                run.beat()

            mapper = partial(
                map_tasks,
                engine=engine,
                workers=workers,
                ray_address=ray_address,
                on_done=done,
            )
            study = run_walkforward(
                candles,
                symbol=sym.name,
                timeframe=tf.value,
                config=cfg,
                folds=plan,
                horizon=horizon,
                costs=costs,
                run_id=rid,
                record=True,
                mapper=mapper,
            )
        for f in study.folds:
            with recorded(kind="backtest", run_id=f.result.run_id) as fold_run:
                TradingRepository(store).record_bars(f.result.run_id, f.records)
                fold_run.metrics = f.result.summary()
                if f.result.failed:
                    fold_run.fail(f.result.reason or "unknown error")
        failed = [f.summary() for f in study.failed]
        result: dict[str, Any] = {
            "run_id": rid,
            "engine": engine,
            "folds": [f.summary() for f in study.folds],
            "failed_folds": [
                {"fold": f["fold"], "run_id": f["run_id"], "error": f["error"]} for f in failed
            ],
            "trade_count": len(study.trades),
            "net_pips": float(study.trades["pnl_pips"].sum()) if len(study.trades) else 0.0,
            "metrics": study.metrics,
            "signal_errors": study.signal_errors,
        }
        run.metrics = result
        if failed and not keep_going:
            first = failed[0]
            raise RunFailedError(
                rid,
                f"{len(failed)} of {len(study.folds)} folds failed (--keep-going to store the "
                f"study anyway); fold {first['fold']} ({first['run_id']}): {first['error']}",
            )
    return rid, study, result


KeepGoingOption = Annotated[
    bool,
    typer.Option(
        "--keep-going",
        help="Store the study and exit 0 even when some runs failed (they are listed).",
    ),
]


def walkforward(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    folds: Annotated[int, typer.Option(min=1, help="Test folds.")] = 4,
    strategy: StrategyOption = None,
    param: ParamOption = None,
    train_bars: Annotated[int, typer.Option(min=1, help="Training bars per fold.")] = 1000,
    purge: Annotated[
        int, typer.Option(min=0, help="Bars dropped between train and test (>= --horizon).")
    ] = 24,
    embargo: Annotated[int, typer.Option(min=0, help="Extra gap bars after the purge.")] = 0,
    horizon: Annotated[
        int, typer.Option(min=0, help="Label horizon in bars, for the leakage check.")
    ] = 24,
    anchored: Annotated[
        bool, typer.Option("--anchored", help="Train from the first bar (default: rolling).")
    ] = False,
    costs: Annotated[Costs, typer.Option(help="'none' turns all costs off.")] = Costs.DEFAULT,
    engine: EngineOption = Where.LOCAL,
    workers: WorkersOption = None,
    ray_address: RayAddressOption = None,
    keep_going: KeepGoingOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Walk-forward study: folds in time order, the model refitted on each fold's training
    window, purge and embargo before each test window, a leakage check, per-fold and aggregate
    metrics; every fold is stored as a backtest run."""

    from forex_diffusion.backtest.walkforward import make_folds
    from forex_diffusion.storage import CandleRepository

    if purge < horizon:
        raise ConfigError(
            f"--purge {purge} is shorter than the label horizon ({horizon} bars): training labels "
            "would reach into the test window"
        )
    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    cfg = with_strategy(state.config.trading, strategy, param)
    candles = CandleRepository(state.store()).load(sym, tf)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    plan = make_folds(
        len(candles),
        folds=folds,
        train_bars=train_bars,
        purge=purge,
        embargo=embargo,
        anchored=anchored,
    )
    settings = {
        "folds": folds,
        "train_bars": train_bars,
        "purge": purge,
        "embargo": embargo,
        "horizon": horizon,
        "anchored": anchored,
        "costs": costs.value,
    }
    rid, _study, result = stored_walkforward(
        candles,
        sym,
        tf,
        cfg,
        plan,
        horizon=horizon,
        costs=costs is Costs.DEFAULT,
        settings=settings,
        engine=engine.value,
        workers=workers,
        ray_address=ray_address,
        keep_going=keep_going,
    )
    if as_json:
        console.print_json(json.dumps(result, default=str))
        return
    out = wide_console(120)
    table = Table(title=f"walk-forward {rid}: {cfg.strategy} on {sym} {tf.value}")
    for col in ("fold", "train", "test", "trades", "net pips", "return", "sharpe", "max dd"):
        table.add_column(col, justify="left" if col in ("train", "test") else "right")
    for f in result["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]),
            f"{f['train_from'][:10]} .. {f['train_to'][:10]}",
            f"{f['test_from'][:10]} .. {f['test_to'][:10]}",
            str(f["trade_count"]),
            f"{f['net_pips']:,.1f}",
            _fmt("total_return", m["total_return"]),
            _fmt("sharpe", m["sharpe"]),
            _fmt("max_drawdown", m["max_drawdown"]),
        )
    m = result["metrics"]
    table.add_row(
        "all",
        "",
        "chained",
        str(result["trade_count"]),
        f"{result['net_pips']:,.1f}",
        _fmt("total_return", m["total_return"]),
        _fmt("sharpe", m["sharpe"]),
        _fmt("max_drawdown", m["max_drawdown"]),
    )
    out.print(table)
    out.print(
        f"purge {purge} + embargo {embargo} bars before each test window; no fold's "
        f"model saw bars within {horizon} bars of its test window. Folds are runs "
        f"{', '.join(f['run_id'] for f in result['folds'])}.",
        soft_wrap=True,
    )
    print_problems(out, result.get("failed_folds", []), result.get("signal_errors", {}))


def print_problems(
    out: Console, failed: list[dict[str, Any]], signal_errors: dict[str, int]
) -> None:
    """The runs that failed (with ``--keep-going``) and the handled signal-source failures."""
    for f in failed:
        label = f"fold {f['fold']} " if "fold" in f else ""
        out.print(f"FAILED {label}run {f['run_id']}: {f['error']}", soft_wrap=True, markup=False)
    if signal_errors:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(signal_errors.items()))
        out.print(f"signal sources skipped after errors: {counts}", soft_wrap=True)
