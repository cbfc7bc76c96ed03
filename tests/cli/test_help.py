"""Every command's --help shows its declared texts as written (square brackets too) and the
defaults of its options."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from forex_diffusion.cli.app import app
from forex_diffusion.trading.strategies import STRATEGIES

# typer builds its commands with its own copy of click: groups and options are recognised by
# their attributes
Command = Any


def _walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


ROOT = typer.main.get_command(app)
PATHS = list(_walk(ROOT))


def _command(path: tuple[str, ...]) -> Command:
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


def _flat(text: str) -> str:
    return " ".join(text.split())


def help_of(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_finds_every_command() -> None:
    assert {"backtest", "sweep", "strategies", "walkforward"} <= {p[0] for p in PATHS if p}
    assert ("paper", "resume") in PATHS and ("data", "import") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "fxd" for p in PATHS])
def test_help_shows_every_declared_text_and_default(path: tuple[str, ...]) -> None:
    command = _command(path)
    shown = _flat(help_of(*path))
    texts = [p.help for p in command.params if getattr(p, "help", None)]
    texts.append((command.help or "").partition("\f")[0])
    for text in texts:
        assert _flat(text) in shown, f"{' '.join(path)}: {text!r} is not shown as written"
    for param in command.params:
        if param.param_type_name != "option" or param.is_flag or param.hidden:
            continue
        if param.default is None or param.name == "help":
            continue
        value = param.default.value if isinstance(param.default, Enum) else param.default
        assert f"[default: {value}" in shown, f"{' '.join(path)} {param.opts}: no default shown"


def test_bracketed_texts_survive() -> None:
    sweep = _flat(help_of("sweep"))
    assert "TOML or JSON grid: strategy, [params] lists, [fixed]." in sweep
    backtest = _flat(help_of("backtest"))
    assert "[config]" in backtest and "[default: default]" in backtest
    assert "[default: 3" in backtest  # --fans
    assert "[config: 0.65]" in _flat(help_of("signals", "generate"))


def test_the_strategy_option_names_every_registered_strategy() -> None:
    for path in (("backtest",), ("walkforward",), ("paper", "start")):
        shown = _flat(help_of(*path))
        for name in STRATEGIES:
            assert name in shown, f"{' '.join(path)} --help does not name {name}"
        assert "fxd strategies" in shown
