"""``fxd demo``: the main job on the bundled EURUSD sample, end to end (the work is
:mod:`forex_diffusion.services.demo`; this prints it): import the sample, train the diffusion
forecaster (cached under ``--out``), score it against the random walk, scan patterns, run a
walk-forward backtest of the full pipeline (every fold stored as a run), write the HTML report,
and print a summary: forecast skill, pattern counts, gate pass rates, trades and metrics, the
report.

``--quick`` runs a small version (the last 2,500 bars, one epoch, two folds, the bootstrap
forecaster in the folds, no comparison) for tests and a first look.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, progress_bars, state, wide_console
from forex_diffusion.cli.output import print_comparison, print_decisions, print_sample

if TYPE_CHECKING:
    from forex_diffusion.services.demo import DemoOutcome

__all__ = ["demo"]


def demo(
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="A small run: the last 2,500 bars, 1 epoch, 2 folds, no comparison "
            "(a first look).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the report and the cached model (default: the user data dir's demo/).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """The main job on the bundled EURUSD H1 2017 sample: import it, train the diffusion
    forecaster (cached), score it against the random walk, scan patterns, run a walk-forward
    backtest of the full pipeline, write the HTML report, and print a summary."""
    from forex_diffusion.services.demo import DemoRequest
    from forex_diffusion.services.demo import demo as run

    with progress_bars() as progress:
        outcome = run(
            state.store(), state.config, DemoRequest(quick=quick, folder=out), progress=progress
        )
    _summary(outcome)


def _summary(outcome: DemoOutcome) -> None:
    print_sample(outcome.sample)
    table = Table(title="fxd demo: EURUSD H1 2017", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("bars", f"{len(outcome.candles):,}")
    table.add_row("diffusion model", "cached checkpoint" if outcome.cached else "trained now")
    for s in outcome.crps:
        table.add_row(
            f"CRPS h={s.horizon} (pips): diffusion / random walk",
            f"{s.diffusion:.2f} / {s.random_walk:.2f} ({s.ratio:.3f}x)",
        )
    table.add_row(
        "confirmed patterns", ", ".join(f"{k} {v:,}" for k, v in outcome.patterns.items())
    )
    if outcome.gate:
        passed = ", ".join(f"{g.source} {g.passed:.0%} of {g.signals:,}" for g in outcome.gate)
        table.add_row("quality gate: passed", passed)
    result = outcome.walkforward.summary
    m = result["metrics"]
    table.add_row("walk-forward", f"{len(result['folds'])} folds, run {result['run_id']}")
    table.add_row("trades", f"{result['trade_count']:,} ({result['net_pips']:,.1f} pips net)")
    for key in ("total_return", "max_drawdown", "win_rate", "sharpe", "profit_factor"):
        value = m.get(key)
        percent = key in ("total_return", "max_drawdown", "win_rate")
        shown = "-" if value is None else f"{value:.2%}" if percent else f"{value:.2f}"
        table.add_row(key.replace("_", " "), shown)
    table.add_row("report", str(outcome.report))
    wide_console(110).print(table)
    out = wide_console(120)
    print_decisions(out, [f.get("decisions", {}) for f in result["folds"]])
    if "comparison" in result:
        print_comparison(result["comparison"])
    console.print(f"report: {outcome.report}", soft_wrap=True)
