"""A backtest: the trading engine over stored history, bar by bar, exactly as in paper trading.

Market orders fill at the next bar's open (the usual convention); what is still open at the
end is closed at the last bar's close. ``costs=False`` turns spread, slippage, commission and
swap off (for cross-checks against other engines).

``engine="auto"`` (the default) takes the compiled loop of :mod:`.compiled` when the strategy
has a rules form and no recorder stores the bars: the same trades and equity, about a
thousand times faster; ``"event"`` forces the bar-by-bar engine, ``"compiled"`` refuses to run
otherwise and says why.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from forex_diffusion.backtest.metrics import performance
from forex_diffusion.core.adaptation import Adaptation
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Trade
from forex_diffusion.core.trading_config import SPREAD_BUCKETS, SwapRates, TradingConfig
from forex_diffusion.core.types import Timeframe
from forex_diffusion.trading.adaptations import FixedAdaptations
from forex_diffusion.trading.automated_trading_engine import (
    AutomatedTradingEngine,
    EngineState,
    Recorder,
    check_run_id,
)
from forex_diffusion.trading.broker import Bar
from forex_diffusion.trading.costs import prime_spread_buckets
from forex_diffusion.trading.strategies import Strategy, make_strategy

logger = logging.getLogger(__name__)

__all__ = ["BacktestResult", "run_backtest", "trades_frame", "without_costs"]


def without_costs(config: TradingConfig) -> TradingConfig:
    """The config with spread, slippage, commission and swap set to zero."""
    broker = config.broker
    zero_spread = dict.fromkeys(SPREAD_BUCKETS, 0.0)
    free = broker.model_copy(
        update={
            "spreads": dict.fromkeys(broker.spreads, zero_spread),
            "swaps": dict.fromkeys(broker.swaps, SwapRates(long=0.0, short=0.0)),
            "commission_per_lot": 0.0,
            "slippage_pips": 0.0,
        }
    )
    return config.model_copy(update={"broker": free})


def trades_frame(trades: list[Trade]) -> pd.DataFrame:
    """Closed trades as the frame :func:`performance` and the reports read."""
    return pd.DataFrame(
        {
            "entry_time": [t.entry_ts for t in trades],
            "exit_time": [t.exit_ts for t in trades],
            "symbol": [t.symbol for t in trades],
            "direction": [t.side for t in trades],
            "entry_price": [t.entry_price for t in trades],
            "exit_price": [t.exit_price for t in trades],
            "units": [t.units for t in trades],
            "pnl": [t.pnl for t in trades],
            "pnl_pips": [t.pnl_pips for t in trades],
            "commission": [t.commission for t in trades],
            "swap": [t.swap for t in trades],
            "spread_cost": [t.spread_cost for t in trades],
            "slippage_cost": [t.slippage_cost for t in trades],
            "exit_reason": [t.exit_reason for t in trades],
            "source": [t.source for t in trades],
            "risk": [t.initial_risk for t in trades],
        }
    )


@dataclass(frozen=True)
class BacktestResult:
    """What a backtest produced."""

    run_id: str
    strategy: Strategy | None
    """The strategy as it ended (fitted models included); ``None`` once :meth:`detached`."""
    trades: pd.DataFrame
    equity: pd.Series
    metrics: dict[str, Any]
    state: str
    """The engine's state at the end (``stopped``, ``paused``; ``error`` when something
    unexpected stopped it: the run failed)."""
    reason: str | None
    """Why it stopped trading early (the kill-switch, an error), or ``None``."""
    engine: Literal["event", "compiled"]
    """Which loop ran (see the module docstring)."""
    signal_errors: dict[str, int] = dataclasses.field(default_factory=dict)
    """Handled failures by signal source (``Strategy.signal_errors``)."""
    adaptations: dict[str, int] = dataclasses.field(default_factory=dict)
    """Adaptation id -> bars decided with its parameters (``use_optimized_parameters``)."""
    decisions: dict[str, Any] = dataclasses.field(default_factory=dict)
    """How the strategy decided (``Strategy.decision_summary``: the decision rule, reasons,
    stretches without an edge, the meta-model's folds)."""

    @property
    def failed(self) -> bool:
        """Whether the run stopped on an unexpected error (:attr:`reason` says which)."""
        return self.state == EngineState.ERROR.value

    @classmethod
    def failure(cls, run_id: str, reason: str, *, initial: float) -> BacktestResult:
        """A run that failed before trading a bar (its strategy could not start)."""
        trades = trades_frame([])
        equity = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC", name="time"))
        metrics = performance(equity, trades, initial=initial)
        return cls(run_id, None, trades, equity, metrics, EngineState.ERROR.value, reason, "event")

    def detached(self) -> BacktestResult:
        """The result without its strategy object: what a worker process sends back (a
        strategy may hold what cannot be pickled)."""
        return dataclasses.replace(self, strategy=None)

    @property
    def net_pips(self) -> float:
        """Sum over trades of the signed move in pips."""
        return float(self.trades["pnl_pips"].sum())

    @property
    def pnl_by_source(self) -> dict[str, float]:
        """Net P&L per signal source (which sources made or lost money)."""
        grouped = self.trades.groupby(self.trades["source"].fillna("-"))["pnl"].sum()
        return {str(k): float(v) for k, v in grouped.items()}

    def summary(self) -> dict[str, Any]:
        """The JSON summary: ``run_id``, ``trade_count``, ``net_pips``, ``metrics``,
        ``pnl_by_source``."""
        return {
            "run_id": self.run_id,
            "trade_count": len(self.trades),
            "net_pips": self.net_pips,
            "metrics": self.metrics,
            "pnl_by_source": self.pnl_by_source,
            "state": self.state,
            "reason": self.reason,
            "engine": self.engine,
            "signal_errors": dict(self.signal_errors),
            "adaptations": dict(self.adaptations),
            "decisions": dict(self.decisions),
        }


def run_backtest(
    candles: pd.DataFrame,
    *,
    symbol: str,
    timeframe: str,
    config: TradingConfig | None = None,
    strategy: Strategy | None = None,
    costs: bool = True,
    run_id: str = "backtest",
    recorder: Recorder | None = None,
    warmup: pd.DataFrame | None = None,
    on_bar: Callable[[int, int], None] | None = None,
    engine: Literal["auto", "event", "compiled"] = "auto",
    signals: SignalsConfig | None = None,
    adaptations: Sequence[Adaptation] = (),
) -> BacktestResult:
    """Run a strategy over ``candles`` (``warmup``: earlier bars the strategy may look at);
    ``engine``: see the module docstring; ``signals``: the ``[signals]`` section (the fusion
    and gate of a strategy that fuses signals) when ``strategy`` is not given."""
    cfg = config or TradingConfig()
    if not costs:
        cfg = without_costs(cfg)
    check_run_id(run_id)
    strat = strategy or make_strategy(cfg.strategy, cfg.strategy_params, signals=signals)
    if adaptations:
        strat.adaptations = FixedAdaptations(adaptations)
    if engine != "event":
        result = _compiled(candles, symbol, timeframe, cfg, strat, run_id, recorder, warmup)
        if isinstance(result, BacktestResult):
            if on_bar is not None:
                on_bar(len(candles), len(candles))
            return result
        if engine == "compiled":
            raise ConfigError(f"the compiled backtest cannot run this: {result}")
    return _event(candles, symbol, timeframe, cfg, strat, run_id, recorder, warmup, on_bar)


def _compiled(
    candles: pd.DataFrame,
    symbol: str,
    timeframe: str,
    cfg: TradingConfig,
    strategy: Strategy,
    run_id: str,
    recorder: Recorder | None,
    warmup: pd.DataFrame | None,
) -> BacktestResult | str:
    """The compiled run, or why it cannot be one."""
    from forex_diffusion.backtest.compiled import compiled_plan, run_compiled

    index = pd.DatetimeIndex(candles.index)
    if not (index.is_monotonic_increasing and index.is_unique):
        return "the bars are not in strictly increasing time order"
    size = max(cfg.engine.history_bars, strategy.warmup)
    before = warmup.iloc[-size:] if warmup is not None else candles.iloc[:0]
    columns = {
        c: np.concatenate([before[c].to_numpy(float), candles[c].to_numpy(float)])
        for c in ("open", "high", "low", "close")
    }
    rules, why = compiled_plan(strategy, cfg, symbol, columns, recorder=recorder)
    if rules is None:
        return why
    run = run_compiled(
        candles,
        rules,
        symbol=symbol,
        timeframe=timeframe,
        config=cfg,
        offset=len(before),
        act_from=max(0, strategy.warmup - len(before) - 1),
    )
    if run.rejected:
        logger.warning("%d orders rejected for insufficient margin", run.rejected)
    if run.blocked:
        logger.info("%d entries not taken (daily loss limit or below the minimum lot)", run.blocked)
    metrics = performance(run.equity, run.trades, initial=cfg.broker.initial_balance)
    return BacktestResult(
        run_id, strategy, run.trades, run.equity, metrics, "stopped", run.reason, "compiled"
    )


def _event(
    candles: pd.DataFrame,
    symbol: str,
    timeframe: str,
    cfg: TradingConfig,
    strategy: Strategy,
    run_id: str,
    recorder: Recorder | None,
    warmup: pd.DataFrame | None,
    on_bar: Callable[[int, int], None] | None,
) -> BacktestResult:
    """The bar-by-bar run through :class:`AutomatedTradingEngine`."""
    engine = AutomatedTradingEngine(cfg, strategy=strategy, recorder=recorder, run_id=run_id)
    if warmup is not None and len(warmup):
        engine.warm(symbol, timeframe, warmup)
    engine.start()
    total = len(candles)
    duration = pd.Timedelta(Timeframe.parse(timeframe).delta)
    index = pd.DatetimeIndex(candles.index)
    prime_spread_buckets(index)
    columns = [candles[c].to_numpy(float) for c in ("open", "high", "low", "close")]
    volume = (
        candles["volume"].to_numpy(float) if "volume" in candles else np.zeros(total, dtype=float)
    )
    # what the result needs, from the records (the engine keeps only a recent window): every
    # trade, and the equity after each bar and after the final close, at its bar's position
    trades_done: list[Trade] = []
    at = np.empty(total + 1, dtype=np.intp)
    values = np.empty(total + 1, dtype=float)
    k = 0
    for i, (ts, o, h, lo, c, v) in enumerate(zip(index, *columns, volume, strict=True)):
        record = engine.on_bar(symbol, timeframe, Bar(ts, o, h, lo, c, duration, v))
        trades_done.extend(record.trades)
        at[k], values[k] = i, record.account.equity
        k += 1
        if on_bar is not None:
            on_bar(i + 1, total)
        if engine.state is EngineState.ERROR:  # a failed run: what it did up to this bar
            break
    failed = engine.state is EngineState.ERROR
    last = engine.finish(reason="run_failed" if failed else "end_of_data")
    if last is not None:
        trades_done.extend(last.trades)
        at[k], values[k] = index.searchsorted(last.ts), last.account.equity
        k += 1
    trades = trades_frame(trades_done)
    equity = pd.Series(values[:k], index=index[at[:k]], dtype=float)
    equity = equity[~equity.index.duplicated(keep="last")]
    metrics = performance(equity, trades, initial=cfg.broker.initial_balance)
    return BacktestResult(
        run_id,
        strategy,
        trades,
        equity,
        metrics,
        EngineState.ERROR.value if failed else engine.state.value,
        engine.reason,
        "event",
        strategy.signal_errors(),
        dict(strategy.adaptations_used),
        strategy.decision_summary(),
    )
