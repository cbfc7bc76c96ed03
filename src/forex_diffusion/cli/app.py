"""The root ``fxd`` command: global options, sub-command groups and error handling."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from forex_diffusion import __version__
from forex_diffusion.cli import (
    backtest,
    data,
    db,
    demo,
    forecast,
    indicators,
    paper,
    params,
    patterns,
    runs,
    serve,
    signals,
    strategies,
    sweep,
)
from forex_diffusion.cli.context import err_console, state
from forex_diffusion.cli.errors import report_error

__all__ = ["app", "main"]

app = typer.Typer(
    name="fxd",
    help="forex_diffusion: probabilistic FX forecasts, patterns, signals and trading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    # help texts are plain text: "[config]", "[params]" and "[fixed]" show as written (rich
    # markup would take them for style tags and drop them)
    rich_markup_mode=None,
)
app.add_typer(db.app, name="db")
app.add_typer(data.app, name="data")
app.add_typer(signals.app, name="signals")
app.add_typer(paper.app, name="paper")
app.add_typer(runs.app, name="runs")
app.add_typer(params.app, name="params")
app.command("demo")(demo.demo)
app.command("indicators")(indicators.indicators)
app.add_typer(patterns.app, name="patterns")
app.command("train")(forecast.train)
app.command("forecast")(forecast.forecast)
app.command("evaluate")(forecast.evaluate)
app.command("backtest")(backtest.backtest)
app.command("walkforward")(backtest.walkforward)
app.command("sweep")(sweep.sweep)
app.command("strategies")(strategies.strategies)
app.command("serve")(serve.serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fxd {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML config file (default: $FXD_CONFIG or the user config dir's fxd.toml).",
            dir_okay=False,
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="FXD_DATABASE_URL",
            show_envvar=True,
            help="SQLAlchemy URL of the store (default: SQLite in the user data dir).",
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Global options; every command also has --help."""
    state.config_path = config
    state.database_url = database_url
    state.debug = debug
    level = logging.DEBUG if debug or verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )


def main() -> None:
    """Entry point of the ``fxd`` console script and ``python -m forex_diffusion``."""
    try:
        app()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # the one place errors become exit codes
        sys.exit(report_error(exc, debug=state.debug, console=err_console))
