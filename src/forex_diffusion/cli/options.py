"""The options several commands share, declared once (as freqtrade declares its CLI options):
strategy and parameters, time span, costs, where tasks run, ``--keep-going``, ``--json``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from forex_diffusion.cli.times import FromOption, ToOption
from forex_diffusion.core.errors import ConfigError

__all__ = [
    "Costs",
    "CostsOption",
    "EngineOption",
    "FromOption",
    "JsonOption",
    "KeepGoingOption",
    "ParamOption",
    "RayAddressOption",
    "StrategyOption",
    "ToOption",
    "Where",
    "WorkersOption",
    "parse_params",
]

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


def parse_params(items: list[str] | None) -> dict[str, float | int | str | bool]:
    """``name=value`` pairs into typed strategy parameters (int, float, bool or text)."""
    out: dict[str, float | int | str | bool] = {}
    for item in items or []:
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


class Costs(StrEnum):
    """Trading costs in a backtest."""

    DEFAULT = "default"
    NONE = "none"


CostsOption = Annotated[
    Costs, typer.Option(help="'none' turns spread, slippage, commission and swap off.")
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
KeepGoingOption = Annotated[
    bool,
    typer.Option(
        "--keep-going",
        help="Store the study and exit 0 even when some runs failed (they are listed).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
