"""``fxd strategies``: the registered strategies and their parameters (the trading commands'
``--strategy`` and ``--param`` are declared in :mod:`forex_diffusion.cli.options`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from forex_diffusion.cli.context import console, wide_console

__all__ = ["strategies"]


def _listing(name: str | None) -> list[dict[str, Any]]:
    from forex_diffusion.trading.strategies import (
        STRATEGIES,
        strategy_parameters,
        strategy_summary,
    )

    if name is not None:
        STRATEGIES.get(name)  # an unknown name raises, with the close ones
    names = [name] if name is not None else STRATEGIES.keys()
    return [
        {
            "name": key,
            "summary": strategy_summary(key),
            "parameters": [asdict(p) for p in strategy_parameters(key)],
        }
        for key in names
    ]


def strategies(
    name: Annotated[str | None, typer.Argument(help="Only this strategy.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """The registered strategies and their parameters: type, default, bounds and what each
    does. Set them with --param name=value (backtest, walkforward, paper start), in a sweep
    grid's [params] and [fixed], or in the config's [trading.strategy_params]."""
    listing = _listing(name)
    if as_json:
        console.print_json(json.dumps(listing))
        return
    out = wide_console(120)
    for entry in listing:
        table = Table(
            title=Text(f"{entry['name']}: {entry['summary']}"),
            title_justify="left",
            expand=True,
        )
        for column in ("parameter", "type", "default", "bounds", "description"):
            table.add_column(column, overflow="fold", ratio=3 if column == "description" else None)
        for p in entry["parameters"]:
            default = "-" if p["default"] is None else str(p["default"])
            cells = (p["name"], p["type"], default, p["bounds"] or "-", p["description"])
            table.add_row(*(Text(c) for c in cells))
        out.print(table)
