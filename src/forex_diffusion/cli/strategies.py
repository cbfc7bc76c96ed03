"""``fxd strategies`` and the strategy options of the trading commands (``--strategy``,
``--param``): declared once here, checked by the trading layer."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from forex_diffusion.cli.context import console, wide_console
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.trading_config import TradingConfig

__all__ = ["ParamOption", "StrategyOption", "parse_params", "strategies", "with_strategy"]

StrategyOption = Annotated[
    str | None,
    typer.Option(
        help="fused, sma_cross, rsi_reversion or donchian_breakout (see `fxd strategies`) [config]."
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="Strategy parameter name=value, repeatable (`fxd strategies` lists them).",
    ),
]


def parse_params(items: list[str]) -> dict[str, float | int | str | bool]:
    """``name=value`` pairs into typed strategy parameters (int, float, bool or text)."""
    out: dict[str, float | int | str | bool] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: expected name=value")
        value: float | int | str | bool = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            for kind in (int, float):
                try:
                    value = kind(raw)
                    break
                except ValueError:
                    continue
        out[name.strip()] = value
    return out


def with_strategy(
    config: TradingConfig, strategy: str | None, params: list[str] | None
) -> TradingConfig:
    """The trading config with ``--strategy`` (its parameters reset) and ``--param`` applied,
    the strategy and its parameters checked (``ConfigError`` naming the wrong one)."""
    from forex_diffusion.trading.strategies import check_strategy

    update: dict[str, Any] = {}
    if strategy:
        update = {"strategy": strategy, "strategy_params": {}}
    if params:
        update["strategy_params"] = {
            **update.get("strategy_params", config.strategy_params),
            **parse_params(params),
        }
    cfg = TradingConfig.model_validate({**config.model_dump(), **update})
    check_strategy(cfg.strategy, cfg.strategy_params)
    return cfg


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
