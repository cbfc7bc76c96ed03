"""Parameter sweeps: a strategy's backtest for every combination of a grid of parameters, on
one or more symbols.

The grid is a TOML or JSON file::

    strategy = "sma_cross"

    [params]            # every combination of these lists is one backtest
    fast = [5, 10, 20]
    slow = [50, 100]

    [fixed]             # optional: the same for every combination
    units = 10000

Each combination and symbol is an independent :class:`SweepTask` (:func:`run_sweep_task`), so a
sweep runs on a local process pool or on Ray
(:func:`forex_diffusion.distributed.pools.map_tasks`) with the same results.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forex_diffusion.backtest.runner import BacktestResult, run_backtest
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ConfigError, describe
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.trading.strategies import make_strategy

__all__ = [
    "SweepGrid",
    "SweepOutcome",
    "SweepTask",
    "load_grid",
    "run_sweep_task",
    "sweep_table",
]

Scalar = float | int | str | bool


@dataclass(frozen=True)
class SweepGrid:
    """A strategy, the lists of values to combine, and parameters common to all."""

    strategy: str
    params: dict[str, list[Scalar]]
    fixed: dict[str, Scalar]

    def combinations(self) -> list[dict[str, Scalar]]:
        """Every combination, the last parameter varying fastest (file order)."""
        names = list(self.params)
        return [
            {**self.fixed, **dict(zip(names, values, strict=True))}
            for values in itertools.product(*(self.params[n] for n in names))
        ]


def _scalar(value: Any, where: str) -> Scalar:
    if isinstance(value, bool | int | float | str):
        return value
    raise ConfigError(f"{where}: {value!r} is not a number, text or true/false")


def load_grid(path: Path) -> SweepGrid:
    """Read and check a grid file (TOML or JSON); errors name the file and the key. Every
    combination is checked against the strategy's parameters before anything runs."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the grid ({exc.strerror})") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    unknown = sorted(set(raw) - {"strategy", "params", "fixed"})
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown} (strategy, params, fixed)")
    strategy = raw.get("strategy")
    if not isinstance(strategy, str) or not strategy:
        raise ConfigError(f"{path}: 'strategy' must name a strategy, e.g. strategy = \"sma_cross\"")
    params_raw = raw.get("params")
    if not isinstance(params_raw, dict) or not params_raw:
        raise ConfigError(f"{path}: [params] must hold at least one list of values")
    params: dict[str, list[Scalar]] = {}
    for name, values in params_raw.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}: params.{name} must be a non-empty list")
        params[name] = [_scalar(v, f"{path}: params.{name}") for v in values]
    fixed_raw = raw.get("fixed", {})
    if not isinstance(fixed_raw, dict):
        raise ConfigError(f"{path}: [fixed] must be a table of name = value")
    fixed = {k: _scalar(v, f"{path}: fixed.{k}") for k, v in fixed_raw.items()}
    grid = SweepGrid(strategy, params, fixed)
    for combo in grid.combinations():
        try:
            make_strategy(strategy, combo)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {combo}: {exc}") from None
    return grid


@dataclass(frozen=True)
class SweepTask:
    """One backtest of a sweep: a symbol's bars and one parameter combination."""

    symbol: str
    timeframe: str
    candles: pd.DataFrame
    warmup: pd.DataFrame | None
    config: TradingConfig
    params: dict[str, Scalar]
    costs: bool
    run_id: str
    signals: SignalsConfig = field(default_factory=SignalsConfig)


@dataclass(frozen=True)
class SweepOutcome:
    """A task's parameters and its backtest (without the strategy object)."""

    symbol: str
    params: dict[str, Scalar]
    result: BacktestResult


def run_sweep_task(task: SweepTask) -> SweepOutcome:
    """Backtest one combination (the compiled loop where the strategy has one); a failure
    comes back as a failed result with its reason (the sweep lists it)."""
    config = task.config.model_copy(update={"strategy_params": dict(task.params)})
    try:
        result = run_backtest(
            task.candles,
            symbol=task.symbol,
            timeframe=task.timeframe,
            config=config,
            costs=task.costs,
            run_id=task.run_id,
            warmup=task.warmup,
            signals=task.signals,
        )
    except Exception as exc:  # the combination failed before trading: say so
        reason = f"{describe(exc)} ({task.symbol} {task.timeframe}, before "
        reason += f"the first bar {task.candles.index[0].isoformat()})"
        result = BacktestResult.failure(task.run_id, reason, initial=config.broker.initial_balance)
    return SweepOutcome(task.symbol, dict(task.params), result.detached())


TABLE_METRICS = ("total_return", "sharpe", "sortino", "max_drawdown", "profit_factor", "win_rate")


def sweep_table(outcomes: list[SweepOutcome], *, metric: str = "sharpe") -> pd.DataFrame:
    """One row per backtest (run id, symbol, parameters, state, trades, net pips and the main
    metrics), best ``metric`` first (ties keep the grid order), failed runs last."""
    rows = []
    for o in outcomes:
        m = o.result.metrics
        if metric not in m:
            raise ConfigError(f"unknown metric {metric!r}; one of {sorted(m)}")
        rows.append(
            {
                "run_id": o.result.run_id,
                "symbol": o.symbol,
                **{f"param.{k}": v for k, v in o.params.items()},
                "state": "failed" if o.result.failed else "done",
                "trades": len(o.result.trades),
                "net_pips": o.result.net_pips,
                **{k: m.get(k) for k in TABLE_METRICS},
                metric: m[metric],
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    lower_is_better = metric in ("max_drawdown", "volatility", "max_drawdown_days")
    ranked = table.sort_values(metric, ascending=lower_is_better, kind="stable", na_position="last")
    failed = ranked["state"] == "failed"  # partial figures: listed, never ranked
    return pd.concat([ranked[~failed], ranked[failed]]).reset_index(drop=True)
