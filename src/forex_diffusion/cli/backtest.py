"""``fxd backtest`` and ``fxd walkforward``: the trading engine over stored history (the
work is :mod:`forex_diffusion.services.backtest`; this prints it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, progress_bars, state, wide_console
from forex_diffusion.cli.options import (
    Costs,
    CostsOption,
    EngineOption,
    FromOption,
    JsonOption,
    KeepGoingOption,
    ParamOption,
    RayAddressOption,
    StrategyOption,
    ToOption,
    Where,
    WorkersOption,
    parse_params,
)
from forex_diffusion.cli.output import (
    fmt_metric,
    print_comparison,
    print_decisions,
    print_problems,
    print_walkforward,
)
from forex_diffusion.cli.times import time_span
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["backtest", "walkforward"]


def backtest(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    strategy: StrategyOption = None,
    param: ParamOption = None,
    costs: CostsOption = Costs.DEFAULT,
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
    as_json: JsonOption = False,
) -> None:
    """Backtest a strategy on the stored bars: market orders fill at the next bar's open,
    what is open at the end closes at the last close; the run is stored."""
    from forex_diffusion.core.config import load_config
    from forex_diffusion.services.backtest import BacktestRequest, backtest_report
    from forex_diffusion.services.backtest import backtest as run

    start, end = time_span(from_, to)
    request = BacktestRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        strategy=strategy,
        params=parse_params(param),
        start=start,
        end=end,
        costs=costs is Costs.DEFAULT,
        run_id=run_id,
        settings={"from": from_, "to": to},
    )
    config = load_config(config_file) if config_file else state.config
    store = state.store()
    with progress_bars() as progress:
        outcome = run(store, config, request, progress=progress)
    summary = outcome.summary()
    if report is not None:
        summary["report"] = str(backtest_report(store, outcome, report, fans=fans))
    if as_json:
        console.print_json(json.dumps(summary, default=str))
        return
    traded, name = outcome.span.traded, outcome.config.trading.strategy
    out = wide_console(100)
    table = Table(
        title=f"backtest {outcome.run_id}: {name} on {request.symbol} {request.timeframe.value}, "
        f"{traded.index[0]:%Y-%m-%d} to {traded.index[-1]:%Y-%m-%d}"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in summary["metrics"].items():
        if key != "costs":
            table.add_row(key, fmt_metric(key, value))
    for key, value in summary["metrics"]["costs"].items():
        table.add_row(f"cost: {key}", fmt_metric(key, value))
    table.add_row("net pips", f"{summary['net_pips']:,.1f}")
    for source, pnl in summary["pnl_by_source"].items():
        table.add_row(f"P&L from {source}", f"{pnl:,.2f}")
    out.print(table)
    if outcome.result.reason:
        out.print(f"engine: {outcome.result.reason}")
    print_decisions(out, [outcome.result.decisions])
    print_problems(out, [], outcome.result.signal_errors)
    out.print(f"stored as run {outcome.run_id}; see `fxd runs show {outcome.run_id}`")
    if report is not None:
        out.print(f"report: {summary['report']}")


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
    costs: CostsOption = Costs.DEFAULT,
    engine: EngineOption = Where.LOCAL,
    workers: WorkersOption = None,
    ray_address: RayAddressOption = None,
    keep_going: KeepGoingOption = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Also run the other decision rules ([signals] decision: edge, gate, all) on "
            "the same folds, random entries with the rule's sides and holding times, and flat; "
            "deflated Sharpe ratios and the PBO of the choice.",
        ),
    ] = False,
    seeds: Annotated[int, typer.Option(min=1, help="Random-entry replays of --compare.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Walk-forward study: folds in time order, the model refitted on each fold's training
    window, purge and embargo before each test window, a leakage check, per-fold and aggregate
    metrics; every fold is stored as a backtest run."""
    from forex_diffusion.services.backtest import WalkForwardRequest
    from forex_diffusion.services.backtest import walkforward as run

    request = WalkForwardRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        folds=folds,
        strategy=strategy,
        params=parse_params(param),
        train_bars=train_bars,
        purge=purge,
        embargo=embargo,
        horizon=horizon,
        anchored=anchored,
        costs=costs is Costs.DEFAULT,
        engine=engine.value,
        workers=workers,
        ray_address=ray_address,
        keep_going=keep_going,
        compare=compare,
        seeds=seeds,
    )
    with progress_bars() as progress:
        outcome = run(state.store(), state.config, request, progress=progress)
    result = outcome.summary
    if as_json:
        console.print_json(json.dumps(result, default=str))
        return
    name = outcome.config.trading.strategy
    series = f"{request.symbol} {request.timeframe.value}"
    print_walkforward(result, title=f"walk-forward {outcome.run_id}: {name} on {series}")
    out = wide_console(120)
    out.print(
        f"purge {purge} + embargo {embargo} bars before each test window; no fold's "
        f"model saw bars within {horizon} bars of its test window. Folds are runs "
        f"{', '.join(f['run_id'] for f in result['folds'])}.",
        soft_wrap=True,
    )
    print_decisions(out, [f.get("decisions", {}) for f in result["folds"]])
    if "comparison" in result:
        print_comparison(result["comparison"])
    print_problems(out, result.get("failed_folds", []), result.get("signal_errors", {}))
