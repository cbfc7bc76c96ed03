"""Paper runs in background threads, controlled while they trade (the API's engine control).

:class:`PaperSupervisor` starts a paper run (:func:`~forex_diffusion.trading.paper.start_paper`)
or continues a stored one (:func:`~forex_diffusion.trading.paper.resume_paper`) in a thread that
trades every stored bar and then each new one as it arrives, and lets another thread:

- **pause** it: the engine keeps managing open positions (stops, targets, swaps) and opens no
  new ones; the stored run says ``paused``;
- **resume** it: back to trading (refused after the drawdown kill-switch); a run that is not
  trading in this process (stopped, or after a crash) is rebuilt from the store first;
- **stop** it: the thread ends after the bar it is on; the run can be resumed later.

A bar is processed under the run's lock, so :meth:`PaperSupervisor.snapshot` always sees whole
bars. A thread that fails (a database error) marks the run ``failed`` with the error; the
snapshot shows it.

A snapshot says ``trading`` only while the engine is running in a live thread (a paused run is
not trading; ``active`` says its thread still processes bars), and whether the run can be
resumed (``resumable``) or why not (``resume_blocked``: the drawdown kill-switch, which holds for
the rest of a run, or another process trading it). A paper run that is not in this server is
read from the store: its stored status, last bar, newest equity snapshot and open positions.

Errors name what the caller should do: :class:`NotFoundError` for a run that is not in the
store, :class:`ConflictError` for a request the run's state forbids, :class:`RiskLimitError`
for a resume after the kill-switch.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ConflictError, NotFoundError, RiskLimitError
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.storage import (
    CandleRepository,
    RunRepository,
    Store,
    TradingRepository,
    held_elsewhere,
)
from forex_diffusion.trading.automated_trading_engine import EngineState
from forex_diffusion.trading.paper import PAUSED_BY_USER, PaperRun, resume_paper, start_paper
from forex_diffusion.trading.risk import KILL_SWITCH

__all__ = ["PaperSupervisor"]

logger = logging.getLogger(__name__)


@dataclass
class _Worker:
    run: PaperRun
    thread: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    bars: int = 0
    error: str | None = None

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class PaperSupervisor:
    """Paper runs trading in threads of this process (see the module docstring).

    Parameters
    ----------
    store
        Where the runs read bars and write everything they do.
    poll_seconds
        How long a run waits for a new bar when it has traded all stored ones.
    """

    def __init__(self, store: Store, *, poll_seconds: float = 1.0) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()

    # -- control -----------------------------------------------------------------------------
    def start(
        self,
        *,
        run_id: str,
        symbol: str,
        timeframe: str,
        config: TradingConfig,
        start: pd.Timestamp | None = None,
        signals: SignalsConfig | None = None,
    ) -> dict[str, Any]:
        """Create a paper run and trade it in a new thread; returns its snapshot."""
        with self._lock:
            if run_id in self._workers:
                raise ConflictError(f"run {run_id} is already in this server")
            if CandleRepository(self.store).load(symbol, timeframe, last=1).empty:
                raise NotFoundError(
                    f"no {symbol} {timeframe} candles in the store (POST /candles or "
                    "fxd data import first)"
                )
            run = start_paper(
                self.store,
                run_id=run_id,
                symbol=symbol,
                timeframe=timeframe,
                config=config,
                start=start,
                signals=signals,
            )
            worker = self._workers[run_id] = _Worker(run)
            self._launch(worker)
        return self.snapshot(run_id)

    def pause(self, run_id: str) -> dict[str, Any]:
        """Open no new positions (open ones are still managed)."""
        self._live(run_id).run.control("pause")
        return self.snapshot(run_id)

    def resume(self, run_id: str) -> dict[str, Any]:
        """Trade again: a paused run resumes; a stopped or crashed one is rebuilt from the
        store (its bars replayed and checked) and continues in a new thread.

        Raises
        ------
        NotFoundError
            The store has no such paper run.
        ConflictError
            Another live process trades it.
        RiskLimitError
            The drawdown kill-switch fired (it holds for the rest of the run).
        """
        with self._lock:
            worker = self._workers.get(run_id)
            if worker is None or not worker.alive:
                blocked = self._kill_switch(self._stored(run_id))
                if blocked is None and worker is not None:
                    blocked = worker.run.engine.risk.killed
                if blocked:
                    raise RiskLimitError(f"run {run_id} cannot be resumed: {blocked}")
                # refuses a run live in another process, or one kill-switched in its replay
                # (resume_paper then stores the reason, which the snapshot reads)
                run = resume_paper(self.store, run_id)
                if run.engine.reason == PAUSED_BY_USER:
                    run.control("resume")
                worker = self._workers[run_id] = _Worker(run)
                self._launch(worker)
                return self._snapshot(worker)
        worker.run.control("resume")
        return self.snapshot(run_id)

    def stop(self, run_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """End the run's thread after its current bar; the run stays resumable."""
        worker = self._live(run_id)
        worker.stop.set()
        assert worker.thread is not None
        worker.thread.join(timeout)
        if worker.thread.is_alive():
            raise ConflictError(
                f"run {run_id}: its thread did not stop within {timeout:.0f} s (it is on a "
                "bar); ask again"
            )
        return self.snapshot(run_id)

    def shutdown(self) -> None:
        """Stop every run (the server is going down)."""
        for run_id, worker in list(self._workers.items()):
            if worker.alive:
                self.stop(run_id)

    # -- reading -----------------------------------------------------------------------------
    def snapshot(self, run_id: str) -> dict[str, Any]:
        """State, last bar, account, open positions and counts of a paper run: live from its
        engine when it is in this server, else as stored (:class:`NotFoundError` when the
        store has no such paper run)."""
        worker = self._workers.get(run_id)
        if worker is None:
            return self._stored_snapshot(self._stored(run_id))
        return self._snapshot(worker)

    def list(self) -> list[dict[str, Any]]:
        """Snapshots of every run started or resumed in this server."""
        return [self._snapshot(w) for w in list(self._workers.values())]

    # -- internals ---------------------------------------------------------------------------
    def _live(self, run_id: str) -> _Worker:
        worker = self._workers.get(run_id)
        if worker is None:
            row = self._stored(run_id)
            raise ConflictError(
                f"run {run_id} is not in this server (stored as {row['status']}): resume it first"
            )
        if not worker.alive:
            raise ConflictError(f"run {run_id} is not trading (resume it first)")
        return worker

    def _stored(self, run_id: str) -> dict[str, Any]:
        row = RunRepository(self.store).get(run_id)
        if row is None:
            raise NotFoundError(f"no paper run {run_id!r} in this server or the store")
        if row["kind"] != "paper":
            raise NotFoundError(f"run {run_id} is a {row['kind']} run, not a paper run")
        return row

    @staticmethod
    def _kill_switch(row: dict[str, Any]) -> str | None:
        """The kill-switch's reason when it stopped the stored run (``PaperRun.loop`` and
        ``resume_paper`` store it with the stopped run), else ``None``."""
        error = row["error"] or ""
        return error if row["status"] == "stopped" and error.startswith(KILL_SWITCH) else None

    def _launch(self, worker: _Worker) -> None:
        def tick(_ts: pd.Timestamp) -> None:
            worker.bars += 1

        def target() -> None:
            run = worker.run
            try:
                run.loop(
                    until_idle=False, poll_seconds=self.poll_seconds, on_bar=tick, stop=worker.stop
                )
            except Exception as exc:
                logger.exception("paper run %s failed", run.run_id)
                worker.error = f"{type(exc).__name__}: {exc}"
                RunRepository(self.store).update(run.run_id, status="failed", error=worker.error)
                return
            with run.lock:
                run.engine.stop()
            RunRepository(self.store).update(run.run_id, status="stopped")

        worker.thread = threading.Thread(
            target=target, name=f"paper-{worker.run.run_id}", daemon=True
        )
        worker.thread.start()

    def _snapshot(self, worker: _Worker) -> dict[str, Any]:
        run = worker.run
        with run.lock:
            engine = run.engine
            account = engine.broker.account()
            positions = [
                {
                    "position_key": p.position_key,
                    "symbol": p.symbol,
                    "side": p.side,
                    "units": p.units,
                    "entry_price": p.entry_price,
                    "entry_time": p.entry_ts.isoformat(),
                    "stop_loss": p.stop_loss,
                    "take_profit": p.take_profit,
                    "swap": p.swap,
                }
                for p in engine.broker.positions()
            ]
            state = "failed" if worker.error else engine.state.value
            alive = worker.alive and worker.error is None
            trading = alive and engine.state is EngineState.RUNNING
            blocked = engine.risk.killed
            return {
                "run_id": run.run_id,
                "symbol": run.symbol,
                "timeframe": run.timeframe,
                "strategy": engine.config.strategy,
                "state": state,
                "trading": trading,
                "active": alive,
                "in_server": True,
                "resumable": not trading and blocked is None,
                "resume_blocked": blocked,
                "reason": worker.error or engine.reason,
                "last_bar": None if run.last is None else run.last.isoformat(),
                "bars": worker.bars,
                "trades": engine.trade_count,
                "currency": account.currency,
                "balance": account.balance,
                "equity": account.equity,
                "margin_used": account.margin_used,
                "open_pnl": account.open_pnl,
                "positions": positions,
            }

    def _stored_snapshot(self, row: dict[str, Any]) -> dict[str, Any]:
        """The snapshot of a paper run that is not in this server, from the store."""
        run_id = row["run_id"]
        config = TradingConfig.model_validate(((row["config"] or {}).get("trading")) or {})
        trading = TradingRepository(self.store)
        account = trading.latest_equity(run_id) or {
            "balance": config.broker.initial_balance,
            "equity": config.broker.initial_balance,
            "margin_used": 0.0,
            "open_pnl": 0.0,
        }
        blocked = self._kill_switch(row) or held_elsewhere(row)
        last = row["last_bar_ts"]
        return {
            "run_id": run_id,
            "symbol": row["symbol"],
            "timeframe": row["timeframe"],
            "strategy": row["strategy"],
            "state": row["status"],
            "trading": False,
            "active": False,
            "in_server": False,
            "resumable": blocked is None,
            "resume_blocked": blocked,
            "reason": row["error"],
            "last_bar": None
            if last is None
            else pd.Timestamp(last, unit="ms", tz="UTC").isoformat(),
            "bars": 0,
            "trades": trading.counts(run_id)["trades"],
            "currency": config.broker.account_currency,
            "balance": account["balance"],
            "equity": account["equity"],
            "margin_used": account["margin_used"],
            "open_pnl": account["open_pnl"],
            "positions": trading.positions(run_id),
        }
