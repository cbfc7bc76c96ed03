"""Paper trading on the store's live feed, crash-safe.

:func:`start_paper` creates a ``paper`` run and trades every stored bar of the series after
``start`` in order, then each new bar as it arrives in the store (``fxd data import``, the
API); with ``until_idle`` it returns once no new bar comes. Every bar is written in one
transaction (``recording.StoreRecorder``), and the run row keeps the last processed bar.

:func:`resume_paper` continues a run after a crash (even ``kill -9``): the engine is rebuilt
from the run's stored config and replays the bars up to the last processed one without writing
(the paper broker is deterministic), checking that every order it re-creates is already in the
store, then trades on from the next bar. No order is duplicated and no fill is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd

from forex_diffusion.core.config import SignalsConfig, config_hash
from forex_diffusion.core.errors import (
    ConfigError,
    ConflictError,
    DataError,
    NotFoundError,
    RiskLimitError,
    RunFailedError,
)
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage import (
    CandleRepository,
    RunRepository,
    Store,
    TradingRepository,
    held_elsewhere,
)
from forex_diffusion.trading.adaptations import StoredAdaptations
from forex_diffusion.trading.automated_trading_engine import (
    AutomatedTradingEngine,
    BarRecord,
    EngineState,
)
from forex_diffusion.trading.recording import StoreRecorder

__all__ = ["PAUSED_BY_USER", "PaperRun", "resume_paper", "start_paper"]

PAUSED_BY_USER = "paused by the user"

logger = logging.getLogger(__name__)


class _ReplayCheck:
    """The recorder during a resume's replay: writes nothing, checks every order is stored."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.seen = 0

    def record(self, record: BarRecord) -> None:
        for order in record.orders:
            if order.client_order_id not in self.known:
                raise ConflictError(
                    f"run {record.run_id}: the replay made order {order.client_order_id} at "
                    f"{record.ts}, which the store does not hold; the run's data or code changed "
                    "since it was started, so it cannot be resumed"
                )
            self.seen += 1


class PaperRun:
    """A paper run on one series: the engine and where it reads and writes."""

    def __init__(
        self,
        store: Store,
        *,
        run_id: str,
        symbol: str,
        timeframe: str,
        config: TradingConfig,
        start: pd.Timestamp | None,
        signals: SignalsConfig | None = None,
    ) -> None:
        self.store, self.run_id = store, run_id
        self.symbol, self.timeframe = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        self.start = start
        self.candles = CandleRepository(store)
        self.engine = AutomatedTradingEngine(config, run_id=run_id, signals=signals)
        if self.engine.strategy.gate.use_optimized_parameters:  # a deployment: from next bar
            self.engine.strategy.adaptations = StoredAdaptations(store)
        self.last: pd.Timestamp | None = None
        self.lock = threading.RLock()
        self.controls: list[dict[str, Any]] = []
        """The user's pauses and resumes: ``{"after": last bar (ISO) or None, "action"}``."""

    def _bars_after(self, ts: pd.Timestamp | None) -> pd.DataFrame:
        frame = self.candles.load(self.symbol, self.timeframe, start=ts)
        return frame[frame.index > ts] if ts is not None else frame

    def warm_up(self) -> None:
        """Feed the bars up to ``start`` as history."""
        if self.start is not None:
            history = self.candles.load(
                self.symbol,
                self.timeframe,
                end=self.start,
                last=self.engine.history_size,
            )
            self.engine.warm(self.symbol, self.timeframe, history)

    def control(self, action: Literal["pause", "resume"]) -> None:
        """Pause (no new positions; open ones are managed) or resume between two bars, and
        store it with the run so that a later :func:`resume_paper` replays it."""
        with self.lock:
            self._apply(action)
            after = None if self.last is None else self.last.isoformat()
            self.controls.append({"after": after, "action": action})
            runs = RunRepository(self.store)
            row = runs.get(self.run_id)
            settings = dict((row or {}).get("config") or {})
            runs.update(
                self.run_id,
                config={**settings, "controls": list(self.controls)},
                status="paused" if action == "pause" else "running",
            )

    def _apply(self, action: str) -> None:
        if action == "pause":
            if self.engine.state is not EngineState.RUNNING:
                raise ConflictError(f"run {self.run_id} is {self.engine.state.value}, not running")
            self.engine.pause(PAUSED_BY_USER)
        elif action == "resume":
            self.engine.resume()
        else:
            raise ConfigError(f"unknown control {action!r}: pause or resume")

    def replay(self, bars: pd.DataFrame, controls: list[dict[str, Any]]) -> None:
        """Feed ``bars`` with the stored ``controls`` applied where they were."""
        index = pd.DatetimeIndex(bars.index)
        done = 0
        for item in controls:
            after = None if item["after"] is None else pd.Timestamp(item["after"])
            upto = 0 if after is None else int(index.searchsorted(after, side="right"))
            if upto > done:
                self.feed(bars.iloc[done:upto], None)
                done = upto
            self._apply(item["action"])
            self.controls.append(dict(item))
        self.feed(bars.iloc[done:], None)

    def feed(
        self,
        bars: pd.DataFrame,
        on_bar: Callable[[pd.Timestamp], None] | None,
        stop: threading.Event | None = None,
    ) -> int:
        """Trade ``bars`` in order (up to a set ``stop``); returns how many. Each bar holds
        :attr:`lock`, so another thread reading the engine sees whole bars. A
        :class:`RunFailedError` when the engine fails on a bar (its changes are stored)."""
        for i, ts in enumerate(pd.DatetimeIndex(bars.index)):
            if stop is not None and stop.is_set():
                return i
            with self.lock:
                self.engine.on_bar(self.symbol, self.timeframe, bars.iloc[i])
                self.last = ts
            if self.engine.state is EngineState.ERROR:  # stored up to this bar, then stop
                raise RunFailedError(self.run_id, self.engine.reason or "unknown error")
            if on_bar is not None:
                on_bar(self.last)
        return len(bars)

    def loop(
        self,
        *,
        until_idle: bool,
        poll_seconds: float,
        on_bar: Callable[[pd.Timestamp], None] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Trade the stored bars after the last one, then poll for new ones, until ``stop``
        is set (or, with ``until_idle``, no new bar comes). The run is stored ``running`` with
        this process as its owner and a heartbeat while it loops, ``stopped`` (resumable) when
        it ends, ``failed`` with the reason when the engine fails (:class:`RunFailedError`)."""
        done = 0
        with RunRepository(self.store).running(self.run_id, status="stopped") as handle:

            def tick(ts: pd.Timestamp) -> None:
                handle.beat()
                if on_bar is not None:
                    on_bar(ts)

            while stop is None or not stop.is_set():
                new = self.feed(self._bars_after(self.last or self.start), tick, stop)
                done += new
                handle.beat()
                if new == 0 and until_idle:
                    break
                if new == 0 and stop is not None:
                    stop.wait(poll_seconds)
                elif new == 0:
                    time.sleep(poll_seconds)
            if self.engine.risk.killed:  # stored with the run: why it cannot be resumed
                handle.error = self.engine.risk.killed
        return done


def start_paper(
    store: Store,
    *,
    run_id: str,
    symbol: str,
    timeframe: str,
    config: TradingConfig,
    start: pd.Timestamp | None = None,
    signals: SignalsConfig | None = None,
) -> PaperRun:
    """Create a paper run (its trading and gate configuration and its start stored with it),
    ready to :meth:`loop`."""
    if CandleRepository(store).load(symbol, timeframe, last=1).empty:
        raise DataError(f"no {symbol} {timeframe} candles in the store (see `fxd data list`)")
    gate = signals or SignalsConfig()
    settings: dict[str, Any] = {
        "trading": config.model_dump(mode="json"),
        "signals": gate.model_dump(mode="json"),
        "start": start.isoformat() if start is not None else None,
    }
    run = PaperRun(
        store,
        run_id=run_id,
        symbol=symbol,
        timeframe=timeframe,
        config=config,
        start=start,
        signals=gate,
    )
    RunRepository(store).create(
        kind="paper",
        config_hash=config_hash({"trading": config, "signals": gate}),
        config=settings,
        symbol=run.symbol,
        timeframe=run.timeframe,
        strategy=config.strategy,
        run_id=run_id,
    )
    run.engine.recorder = StoreRecorder(store)
    run.warm_up()
    run.engine.start()
    return run


def resume_paper(store: Store, run_id: str) -> PaperRun:
    """Rebuild a paper run and replay it up to its last processed bar (see the module
    docstring); the returned run continues with :meth:`PaperRun.loop`. A
    :class:`RiskLimitError` when its drawdown kill-switch fired (it holds for the run), a
    :class:`ConflictError` when another live process trades it."""
    row = RunRepository(store).get(run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id!r} in the store (see `fxd runs list`)")
    if row["kind"] != "paper":
        raise ConflictError(f"run {run_id} is a {row['kind']} run, not a paper run")
    elsewhere = held_elsewhere(row)
    if elsewhere:
        raise ConflictError(f"run {run_id}: {elsewhere}; stop it first")
    settings = row["config"] or {}
    config = TradingConfig.model_validate(settings["trading"])
    gate = SignalsConfig.model_validate(settings.get("signals", {}))
    start = pd.Timestamp(settings["start"]) if settings.get("start") else None
    run = PaperRun(
        store,
        run_id=run_id,
        symbol=row["symbol"],
        timeframe=row["timeframe"],
        config=config,
        start=start,
        signals=gate,
    )
    run.warm_up()
    run.engine.start()
    if row["last_bar_ts"] is not None:
        last = pd.Timestamp(row["last_bar_ts"], unit="ms", tz="UTC")
        check = _ReplayCheck(TradingRepository(store).client_order_ids(run_id))
        run.engine.recorder = check
        bars = run._bars_after(start)
        run.replay(bars[bars.index <= last], list(settings.get("controls", [])))
        if run.last != last:
            raise ConflictError(f"run {run_id}: its last bar {last} is no longer in the store")
        logger.info("run %s: replayed to %s (%d orders checked)", run_id, last, check.seen)
    if run.engine.risk.killed:  # it closed everything and may not open again
        if row["status"] != "stopped" or row["error"] != run.engine.risk.killed:
            # killed in a process that died before storing why: store it now
            RunRepository(store).update(run_id, status="stopped", error=run.engine.risk.killed)
        raise RiskLimitError(f"run {run_id} cannot be resumed: {run.engine.risk.killed}")
    run.engine.recorder = StoreRecorder(store)
    return run
