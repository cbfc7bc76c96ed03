"""The event-driven trading engine: one code path for backtests and paper trading.

:meth:`AutomatedTradingEngine.on_bar` runs the pipeline of DESIGN.md on each closed bar of a
series: the broker fills what was pending and checks stops over the bar, the risk limits see
the new equity, the strategy decides on the closed bars, the engine sizes its intents and sends
orders that fill at the next bar's open, and everything that changed is handed to the recorder
in one piece (one database transaction with :class:`TradingRepository`). Only the clock and the
feed differ between a backtest and a paper run. The engine's memory is bounded however long it
runs: it counts the trades it closed and keeps the last :data:`RECENT` of them; what a run
needs later (every trade, the equity after each bar) is in the records (a backtest collects
them, a paper run stores them).

States: ``stopped`` -> ``running`` (:meth:`start`); ``paused`` after ``max_failures``
consecutive failed bars or when the drawdown kill-switch fires (stops and targets are still
managed, no new trades); ``error`` when something that is not a broker error escapes (a bug);
:meth:`resume` goes back to running. A transient broker error (``RetryableBrokerError``) is
retried with exponential backoff under the same client order id, so a retry never duplicates
an order.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import (
    BrokerError,
    ConfigError,
    RetryableBrokerError,
    RiskLimitError,
    describe,
)
from forex_diffusion.core.events import Fill, FusedSignal, Order, Position, Trade
from forex_diffusion.core.names import OHLCV
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.core.types import Timeframe
from forex_diffusion.trading.broker import Account, Bar, Broker
from forex_diffusion.trading.costs import CostModel
from forex_diffusion.trading.paper_broker import PaperBroker
from forex_diffusion.trading.risk import RiskManager
from forex_diffusion.trading.strategies import BarView, Intent, Strategy, make_strategy

__all__ = [
    "RECENT",
    "AutomatedTradingEngine",
    "BarRecord",
    "EngineState",
    "Recorder",
    "TradingConfig",
    "check_run_id",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_RUN_ID = 24
RECENT = 1000
"""Closed trades the engine keeps (the window of a long run)."""


class EngineState(StrEnum):
    """Where the engine is."""

    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class BarRecord:
    """Everything one bar changed, recorded together."""

    run_id: str
    symbol: str
    timeframe: str
    ts: pd.Timestamp
    orders: list[Order]
    fills: list[Fill]
    positions: list[Position]
    trades: list[Trade]
    account: Account
    state: EngineState
    signals: list[tuple[FusedSignal, bool]] = field(default_factory=list)
    """Signals the strategy scored on this bar with the gate's verdict."""
    notes: list[str] = field(default_factory=list)


class Recorder(Protocol):
    """Persists a :class:`BarRecord` atomically."""

    def record(self, record: BarRecord) -> None: ...


class _History:
    """The last ``size`` closed bars of a series, in NumPy buffers (a frame on demand)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.times = np.zeros(2 * size, dtype=np.int64)
        self.values = np.zeros((2 * size, len(OHLCV)), dtype=float)
        self.count = 0  # rows filled in the buffers
        self.total = 0  # bars ever added

    def add(self, bar: Bar) -> None:
        if self.count == len(self.times):  # keep the newest size rows, in place
            self.times[: self.size] = self.times[self.size :]
            self.values[: self.size] = self.values[self.size :]
            self.count = self.size
        self.times[self.count] = bar.ts.value
        self.values[self.count] = (bar.open, bar.high, bar.low, bar.close, bar.volume)
        self.count += 1
        self.total += 1

    def arrays(self) -> dict[str, np.ndarray]:
        lo = max(0, self.count - self.size)
        return {c: self.values[lo : self.count, i] for i, c in enumerate(OHLCV)}

    def frame(self) -> pd.DataFrame:
        lo = max(0, self.count - self.size)
        index = pd.DatetimeIndex(self.times[lo : self.count].view("M8[ns]"), name="time")
        return pd.DataFrame(
            self.values[lo : self.count].copy(),
            index=index.tz_localize("UTC"),
            columns=list(OHLCV),
        )

    def __len__(self) -> int:
        return self.total


def check_run_id(run_id: str) -> str:
    """``run_id`` if it is 1 to 24 letters, digits or '-' (a ``ConfigError`` otherwise)."""
    if not run_id or len(run_id) > MAX_RUN_ID or not run_id.replace("-", "").isalnum():
        raise ConfigError(f"run id {run_id!r}: use 1 to {MAX_RUN_ID} letters, digits or '-'")
    return run_id


def as_bar(bar: Bar | pd.Series, timeframe: str) -> Bar:
    """A :class:`Bar` from a candle-frame row (its name is the open time)."""
    if isinstance(bar, Bar):
        return bar
    ts = bar.name
    if not isinstance(ts, pd.Timestamp):
        raise ConfigError(f"a bar row must be named by its open time, got {ts!r}")
    return Bar(
        ts,
        float(bar["open"]),
        float(bar["high"]),
        float(bar["low"]),
        float(bar["close"]),
        pd.Timedelta(Timeframe.parse(timeframe).delta),
        float(bar.get("volume", 0.0)),
    )


def _refused_by_risk(
    signals: list[tuple[FusedSignal, bool]], signal_id: str, why: str
) -> list[tuple[FusedSignal, bool]]:
    """``signals`` with the one the risk limits refused marked so (reason ``risk``)."""
    return [
        (
            dataclasses.replace(
                s,
                metadata={**s.metadata, "selected": False, "reason": "risk", "risk": why},
            )
            if s.signal_id == signal_id
            else s,
            passed,
        )
        for s, passed in signals
    ]


class AutomatedTradingEngine:
    """Runs a strategy through risk and a broker, bar by bar (see the module docstring)."""

    def __init__(
        self,
        config: TradingConfig | None = None,
        *,
        strategy: Strategy | None = None,
        broker: Broker | None = None,
        recorder: Recorder | None = None,
        run_id: str = "backtest",
        sleep: Callable[[float], None] = time.sleep,
        signals: SignalsConfig | None = None,
    ) -> None:
        self.config = config or TradingConfig()
        self.run_id = check_run_id(run_id)
        self.strategy = strategy or make_strategy(
            self.config.strategy, self.config.strategy_params, signals=signals
        )
        self.strategy.run_id = self.run_id
        self.strategy.costs = CostModel(self.config.broker)
        self.broker: Broker = broker or PaperBroker(self.config.broker)
        self.risk = RiskManager(self.config.risk)
        self.recorder = recorder
        self.sleep = sleep
        self.state = EngineState.STOPPED
        self.reason: str | None = None
        self.error: BaseException | None = None
        """The unexpected exception that put the engine in state ``error``."""
        self.failures = 0
        self.trade_count = 0
        """Trades closed since the engine was made (all of them are in the bar records, the
        store, a backtest's result)."""
        self.recent_trades: deque[Trade] = deque(maxlen=RECENT)
        """The last :data:`RECENT` closed trades: a long run keeps a bounded window."""
        self._history: dict[tuple[str, str], _History] = {}
        self.history_size = max(self.config.engine.history_bars, self.strategy.warmup)
        """Closed bars kept per series (at least the strategy's warm-up)."""
        self._execution_tf: dict[str, Timeframe] = {}
        self._last: dict[str, tuple[pd.Timestamp, str]] = {}

    # -- states ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start trading."""
        self.state, self.reason = EngineState.RUNNING, None

    def stop(self) -> None:
        """Stop: no more bars are accepted until :meth:`start`; the strategy releases what it
        holds outside this process (a forecast worker)."""
        self.state = EngineState.STOPPED
        self.strategy.close()

    def pause(self, reason: str) -> None:
        """Keep managing open positions, open no new ones."""
        logger.warning("engine %s paused: %s", self.run_id, reason)
        self.state, self.reason = EngineState.PAUSED, reason

    def fail(self, exc: BaseException, *, symbol: str, timeframe: str, ts: pd.Timestamp) -> None:
        """Stop trading after an unexpected error: state ``error``, :attr:`error`
        the exception, :attr:`reason` one line with its type, message, series and bar."""
        self.error = exc
        self.state = EngineState.ERROR
        self.reason = f"{describe(exc)} ({symbol} {timeframe} bar {ts.isoformat()})"

    def resume(self) -> None:
        """Back to running after a pause or an error; a :class:`RiskLimitError` after the
        kill-switch (it holds for the rest of the run)."""
        if self.risk.killed:
            raise RiskLimitError(f"cannot resume: {self.risk.killed}")
        self.state, self.reason, self.failures = EngineState.RUNNING, None, 0
        self.error = None

    # -- the bar -----------------------------------------------------------------------------
    def warm(self, symbol: str, timeframe: str, candles: pd.DataFrame) -> None:
        """Give a series history to decide on (bars before trading starts); nothing trades."""
        tf = Timeframe.parse(timeframe)
        history = self._history.setdefault((symbol, tf.value), _History(self.history_size))
        if not history and len(candles):
            self.strategy.start(symbol, tf.value)
        for _, row in candles.iloc[-self.history_size :].iterrows():
            history.add(as_bar(row, tf.value))

    def on_bar(self, symbol: str, timeframe: str, bar: Bar | pd.Series) -> BarRecord:
        """Run the pipeline on one closed bar of ``symbol``/``timeframe``."""
        if self.state is EngineState.STOPPED:
            raise ConfigError("the engine is stopped: call start() first")
        tf = Timeframe.parse(timeframe)
        the_bar = as_bar(bar, tf.value)
        history = self._history.setdefault((symbol, tf.value), _History(self.history_size))
        if not history:
            self.strategy.start(symbol, tf.value)
        history.add(the_bar)
        notes: list[str] = []
        signals: list[tuple[FusedSignal, bool]] = []
        try:
            if self._executes(symbol, tf):
                self._call(lambda: self.broker.on_bar(symbol, the_bar))
                self._last[symbol] = (the_bar.ts, tf.value)
            self._check_limits(the_bar.close_ts, notes)
            if self.state is EngineState.RUNNING and len(history) >= self.strategy.warmup:
                view = BarView(
                    symbol,
                    tf.value,
                    history.frame,
                    self.broker.positions(symbol),
                    self.broker.account(),
                    arrays=history.arrays(),
                )
                decision = self.strategy.on_bar(view)
                signals = list(decision.scored)
                scored = {s.signal_id for s, _ in signals}
                signals += [
                    (i.signal, True)
                    for i in decision.intents
                    if i.signal is not None and i.signal.signal_id not in scored
                ]
                for n, intent in enumerate(decision.intents):
                    refused = self._act(intent, view, the_bar.ts, n, notes)
                    if refused and intent.signal is not None:
                        signals = _refused_by_risk(signals, intent.signal.signal_id, refused)
            self.failures = 0
        except BrokerError as exc:
            self._failed(f"{symbol} {tf.value} bar {the_bar.ts}: {exc}", notes)
        except Exception as exc:  # a bug: stop trading, keep the reason, let the caller see it
            logger.exception("engine %s: unexpected error", self.run_id)
            self.fail(exc, symbol=symbol, timeframe=tf.value, ts=the_bar.ts)
            assert self.reason is not None
            notes.append(self.reason)
        return self._record(symbol, tf.value, the_bar.ts, signals, notes)

    def _executes(self, symbol: str, tf: Timeframe) -> bool:
        """The broker is fed by the shortest timeframe seen for a symbol."""
        known = self._execution_tf.get(symbol)
        if known is tf:
            return True
        if known is None or pd.Timedelta(tf.delta) < pd.Timedelta(known.delta):
            self._execution_tf[symbol] = tf
            return True
        return False

    def _call(self, fn: Callable[[], T]) -> T:
        delay = self.config.engine.backoff_seconds
        for attempt in range(self.config.engine.max_retries + 1):
            try:
                return fn()
            except RetryableBrokerError as exc:
                if attempt == self.config.engine.max_retries:
                    raise
                logger.warning("transient broker error (%s); retry in %.2fs", exc, delay)
                self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _failed(self, message: str, notes: list[str]) -> None:
        self.failures += 1
        notes.append(message)
        logger.error("engine %s: %s", self.run_id, message)
        limit = self.config.engine.max_failures
        if self.failures >= limit and self.state is EngineState.RUNNING:
            self.pause(f"{self.failures} failed bars in a row; last: {message}")

    def _check_limits(self, ts: pd.Timestamp, notes: list[str]) -> None:
        fired = self.risk.on_bar(ts, self.broker.account())
        if "daily_loss_limit" in fired:
            notes.append("daily loss limit: no new positions until the next FX day")
        if "kill_switch" in fired:
            assert self.risk.killed is not None
            notes.append(self.risk.killed)
            self.emergency_close_all(reason="kill_switch")
            self.pause(self.risk.killed)

    def _act(
        self, intent: Intent, view: BarView, ts: pd.Timestamp, n: int, notes: list[str]
    ) -> str | None:
        """Carry out ``intent``; returns why the position it wants was not opened (a risk
        limit, no size), or ``None``."""
        held = list(self.broker.positions(intent.symbol))
        want = {"long": 1, "short": -1, "flat": 0}[intent.direction]
        ids = iter(
            f"{self.run_id}-{intent.symbol}{view.timeframe}-{ts.value // 10**6:x}-{n}{k}"
            for k in "abcdefghijklmnopqrstuvwxyz"
        )
        closing = [p for p in held if p.sign != want]
        for p in closing:
            self._submit(
                Order(
                    client_order_id=next(ids),
                    symbol=p.symbol,
                    side="sell" if p.side == "long" else "buy",
                    units=p.units,
                    created_ts=ts,
                    position_key=p.position_key,
                    source=intent.source,
                    reason="reverse" if want else "exit",
                )
            )
        if want == 0 or len(closing) < len(held):
            return None
        blocked = self.risk.blocked(len(self.broker.positions()) - len(closing))
        if blocked:
            notes.append(
                f"{intent.source} {intent.direction} {intent.symbol} not opened: {blocked}"
            )
            return blocked
        if intent.stop is not None and want * (view.close - intent.stop) <= 0:
            notes.append(f"{intent.source}: stop {intent.stop} is not below/above the close")
            return f"stop {intent.stop} is not below/above the close"
        size = self.risk.size(
            symbol=intent.symbol,
            side=want,
            entry=view.close,
            stop=intent.stop,
            broker=self.broker,
            units=intent.units,
            leverage=self.config.broker.leverage,
            win_probability=intent.win_probability,
            payoff=intent.payoff,
            volatility_ratio=intent.volatility_ratio,
        )
        units = size.units
        if intent.size_multiplier != 1.0:
            units = float(round(units * intent.size_multiplier))
        if units <= 0:
            notes.append(f"{intent.source} {intent.direction} {intent.symbol}: {size.limited_by}")
            return size.limited_by
        self._submit(
            Order(
                client_order_id=next(ids),
                symbol=intent.symbol,
                side="buy" if want > 0 else "sell",
                units=units,
                created_ts=ts,
                stop_loss=intent.stop,
                take_profit=intent.target,
                trailing_pips=intent.trailing_pips,
                time_stop_bars=intent.time_stop_bars or self.config.risk.time_stop_bars,
                signal_id=intent.signal.signal_id if intent.signal else None,
                source=intent.source,
                reason=f"sized by {size.limited_by}",
            )
        )
        return None

    def _submit(self, order: Order) -> None:
        placed = self._call(lambda: self.broker.submit(order))
        if placed.status == "rejected":
            logger.warning("order %s rejected: %s", order.client_order_id, placed.reason)

    def _record(
        self,
        symbol: str,
        timeframe: str,
        ts: pd.Timestamp,
        signals: list[tuple[FusedSignal, bool]],
        notes: list[str],
    ) -> BarRecord:
        report = self.broker.drain()
        account = self.broker.account()
        self.trade_count += len(report.trades)
        self.recent_trades.extend(report.trades)
        record = BarRecord(
            self.run_id,
            symbol,
            timeframe,
            ts,
            report.orders,
            report.fills,
            report.positions,
            report.trades,
            account,
            self.state,
            signals,
            notes,
        )
        if self.recorder is not None:
            self.recorder.record(record)
        return record

    # -- closing -----------------------------------------------------------------------------
    def emergency_close_all(self, *, reason: str = "emergency") -> None:
        """Close every position now at the last prices and cancel pending orders."""
        level = logging.INFO if reason == "end_of_data" else logging.WARNING
        logger.log(level, "engine %s: closing everything (%s)", self.run_id, reason)
        self._call(lambda: self.broker.close_all(reason=reason))

    def finish(self, *, reason: str = "end_of_data") -> BarRecord | None:
        """End a backtest: close what is still open at the last close and stop."""
        if not self._last:
            self.stop()
            return None
        symbol, (ts, tf) = max(self._last.items(), key=lambda kv: kv[1][0])
        self.emergency_close_all(reason=reason)
        record = self._record(symbol, tf, ts, [], [f"closed at the end: {reason}"])
        self.stop()
        return record
