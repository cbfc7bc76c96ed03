"""``fxd strategies`` lists every strategy's parameters; a wrong ``--param`` is one line that
names it, the close name and the valid ones, the same from every command."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import CandleRepository, Store
from forex_diffusion.trading.strategies import STRATEGIES, strategy_parameters, strategy_summary
from tests.cli.test_cli import fxd

FSAT = (
    "strategy sma_cross: unknown parameter 'fsat'; did you mean 'fast'? (parameters: stop_atr, "
    "atr_period, units, fast, slow; see `fxd strategies sma_cross`)"
)


def test_strategies_lists_every_parameter(env: dict[str, str]) -> None:
    listed = fxd(env, "strategies", "--json")
    assert listed.code == 0, listed.err
    assert json.loads(listed.out) == [
        {
            "name": name,
            "summary": strategy_summary(name),
            "parameters": [asdict(p) for p in strategy_parameters(name)],
        }
        for name in STRATEGIES
    ]
    table = fxd(env, "strategies")
    assert table.code == 0, table.err
    for name in STRATEGIES:
        assert f"{name}: " in table.out
        for p in strategy_parameters(name):
            assert p.name in table.out
    one = fxd(env, "strategies", "rsi_reversion", "--json")
    assert [s["name"] for s in json.loads(one.out)] == ["rsi_reversion"]
    unknown = fxd(env, "strategies", "sma_cros")
    assert unknown.code == 4 and "did you mean 'sma_cross'" in unknown.err


def test_a_wrong_param_is_one_line_from_every_command(env: dict[str, str], tmp_path: Path) -> None:
    store = Store(env["FXD_DATABASE_URL"])
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:500])
    store.dispose()
    backtest = fxd(env, "backtest", "EURUSD", "H1", "--strategy", "sma_cross", "-p", "fsat=5")
    assert backtest.code == 4
    assert backtest.err.strip() == f"error: {FSAT}"
    assert fxd(env, "runs", "list").out.strip() == "no runs in the store"  # refused before one
    typed = fxd(env, "walkforward", "EURUSD", "H1", "--strategy", "sma_cross", "-p", "fast=abc")
    assert typed.code == 4
    assert (
        typed.err.strip()
        == "error: strategy sma_cross: parameter 'fast' must be int (>= 1), got 'abc'"
    )
    paper = ["paper", "start", "--run-id", "p1", "--symbol", "EURUSD", "--timeframe", "H1"]
    started = fxd(env, *paper, "-p", "fsat=5", "--until-idle")
    assert started.code == 4 and started.err.strip() == f"error: {FSAT}"
    grid = tmp_path / "grid.toml"
    grid.write_text('strategy = "sma_cross"\n[params]\nfsat = [3, 5]\n')
    swept = fxd(env, "sweep", "EURUSD", "H1", "--grid", str(grid))
    assert swept.code == 4 and FSAT in swept.err
