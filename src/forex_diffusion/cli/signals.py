"""``fxd signals generate`` and ``fxd signals stats``: a signal study and its evidence (the
work is :mod:`forex_diffusion.services.signals`; this prints it)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, progress_bars, state, wide_console
from forex_diffusion.cli.options import JsonOption
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["app"]

app = typer.Typer(help="Fused, quality-gated signals: studies and their statistics.")

SymbolArg = Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")]
TimeframeArg = Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")]


class Forecaster(StrEnum):
    """Where the forecast source's forecasts come from (the service's ``Forecaster``; declared
    here so that ``--help`` imports no service)."""

    DIFFUSION = "diffusion"
    BOOTSTRAP = "bootstrap"
    NONE = "none"


def generate(
    symbol: SymbolArg,
    timeframe: TimeframeArg,
    forecaster: Annotated[
        Forecaster,
        typer.Option(
            help="Forecast source: the diffusion model trained on the fit span, the "
            "bootstrap random walk, or none."
        ),
    ] = Forecaster.DIFFUSION,
    fit_fraction: Annotated[
        float | None,
        typer.Option(min=0.05, max=0.95, help="Share of bars to fit on [config: 0.5]."),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Quality gate [config: 0.65].")
    ] = None,
    sentiment: Annotated[
        Path | None,
        typer.Option(help="Retail sentiment CSV (docs/signals.md).", dir_okay=False),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Diffusion training epochs (max).")] = 20,
    samples: Annotated[int, typer.Option(min=10, help="Sample paths per forecast.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    run_id: Annotated[str | None, typer.Option("--run", help="Run id (default: new).")] = None,
) -> None:
    """Fit on the first part of the stored bars, then fuse patterns and forecasts on every
    later bar; store every decision (passed or not) under a new run."""
    from forex_diffusion.services import signals as service

    request = service.SignalStudyRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        forecaster=service.Forecaster(forecaster.value),
        fit_fraction=fit_fraction,
        threshold=threshold,
        sentiment=sentiment,
        epochs=epochs,
        samples=samples,
        seed=seed,
        run_id=run_id,
    )
    with progress_bars() as progress:
        outcome = service.signal_study(state.store(), state.config, request, progress=progress)
    series = f"{request.symbol} {request.timeframe.value}"
    console.print(
        f"run {outcome.run_id}: {outcome.count:,} candidate signals on {series} from "
        f"{outcome.fit_end:%Y-%m-%d %H:%M} UTC (fitted on the bars before), {outcome.passed:,} "
        f"passed the gate; see `fxd signals stats {series} --run {outcome.run_id}`",
        soft_wrap=True,
    )


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def stats(
    symbol: SymbolArg,
    timeframe: TimeframeArg,
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the newest signals run).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Distribution of every quality dimension, pass rate per source and pattern family, and
    the out-of-sample hit rate and expectancy of passed versus rejected signals, compared by a
    bootstrap over decision days (docs/signals.md)."""
    from forex_diffusion.services.signals import SignalStatsRequest, signal_stats

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    outcome = signal_stats(
        state.store(), SignalStatsRequest(symbol=sym, timeframe=tf, run_id=run_id)
    )
    result = outcome.summary()
    if as_json:
        console.print_json(json.dumps(result))
        return
    dims = Table(title=f"{sym} {tf.value} run {outcome.run_id}: {result['count']:,} decisions")
    for col in ("dimension", "mean", "std", "min", "max"):
        dims.add_column(col, justify="left" if col == "dimension" else "right")
    for name, d in result["dimensions"].items():
        dims.add_row(name, *(_fmt(d[k]) for k in ("mean", "std", "min", "max")))
    rates = Table(title="pass rate by source and family")
    rates.add_column("group")
    rates.add_column("pass rate", justify="right")
    for name, rate in {**result["pass_rate_by_source"], **result["pass_rate_by_family"]}.items():
        rates.add_row(name, _fmt(rate))
    hits = Table(
        title="out-of-sample outcomes (hit: close at expiry beyond entry + spread; "
        "expectancy: mean trade result in R, after a spread costing `spread R`)"
    )
    columns = ("group", "count", "resolved", "hit rate", "target first", "expectancy R", "spread R")
    for col in columns:
        hits.add_column(col, justify="left" if col == "group" else "right")
    for name, g in result["hit_rates"].items():
        hits.add_row(
            name,
            str(g["count"]),
            str(g["resolved"]),
            _fmt(g["hit_rate"]),
            _fmt(g["target_first_rate"]),
            _fmt(g["expectancy_r"]),
            _fmt(g["spread_cost_r"]),
        )
    out = wide_console(100)
    for table in (dims, rates, hits):
        out.print(table)
    comparison = result["comparison"]
    for key, label in (("hit_rate", "hit rate"), ("expectancy_r", "expectancy (R)")):
        c = comparison[key]
        out.print(
            f"passed - rejected {label}: "
            + (
                "not enough decision days or signals to compare"
                if c is None
                else f"{c['difference']:+.3f} (one-sided p = {c['p_value']:.3f}; "
                f"a true difference of {c['detectable_difference']:.3f} would be found 4 times "
                "in 5)"
            ),
            soft_wrap=True,
        )
    out.print(f"(bootstrap over {comparison['clusters']} decision days)")
    for source, by in result["comparison_by_source"].items():
        c = by["hit_rate"]
        if c is not None:
            out.print(
                f"  {source}: passed - rejected hit rate {c['difference']:+.3f} "
                f"(p = {c['p_value']:.3f})",
                soft_wrap=True,
            )


app.command("generate")(generate)
app.command("stats")(stats)
