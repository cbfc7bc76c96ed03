"""Recorders: where the engine's :class:`BarRecord` go.

:class:`StoreRecorder` writes each bar in its own transaction (paper trading: after a crash the
store holds every bar up to the run's last one). :class:`BufferedRecorder` keeps the bars and
writes them in bulk, a chunk of :data:`~forex_diffusion.storage.repositories.bar_writer.CHUNK_BARS`
per transaction, and the rest on :meth:`~BufferedRecorder.flush` (a backtest: memory bounded by
the chunk, the writes many times faster than bar by bar). :class:`CollectingRecorder` only keeps
them (a backtest in another process, whose parent writes them).
"""

from __future__ import annotations

from typing import Any

from forex_diffusion.storage import Store, TradingRepository
from forex_diffusion.storage.repositories.bar_writer import CHUNK_BARS
from forex_diffusion.trading.automated_trading_engine import BarRecord, EngineState

__all__ = ["BufferedRecorder", "CollectingRecorder", "StoreRecorder", "bar_changes"]

_STATUS = {
    EngineState.RUNNING: "running",
    EngineState.PAUSED: "paused",
    EngineState.ERROR: "error",
    EngineState.STOPPED: "stopped",
}


def bar_changes(record: BarRecord) -> dict[str, Any]:
    """The keyword arguments of :meth:`TradingRepository.record_bar` for a record."""
    a = record.account
    return {
        "ts": record.ts,
        "orders": record.orders,
        "fills": record.fills,
        "positions": record.positions,
        "trades": record.trades,
        "balance": a.balance,
        "equity": a.equity,
        "margin_used": a.margin_used,
        "open_pnl": a.open_pnl,
        "status": _STATUS[record.state],
        "signals": record.signals,
        "error": "; ".join(record.notes) if record.state is EngineState.ERROR else None,
    }


class StoreRecorder:
    """Writes each :class:`BarRecord` in one transaction."""

    def __init__(self, store: Store) -> None:
        self.repo = TradingRepository(store)

    def record(self, record: BarRecord) -> None:
        self.repo.record_bar(record.run_id, **bar_changes(record))


class CollectingRecorder:
    """Keeps every record's changes (:func:`bar_changes`) in :attr:`pending`: a worker process
    sends them back, and the process that owns the store writes them."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []

    def record(self, record: BarRecord) -> None:
        self.pending.append(bar_changes(record))


class BufferedRecorder(CollectingRecorder):
    """Keeps the records and writes every ``chunk`` of them in one transaction; :meth:`flush`
    writes the rest."""

    def __init__(self, store: Store, run_id: str, *, chunk: int = CHUNK_BARS) -> None:
        super().__init__()
        self.repo = TradingRepository(store)
        self.run_id = run_id
        self.chunk = chunk
        self.written = 0

    def record(self, record: BarRecord) -> None:
        super().record(record)
        if len(self.pending) >= self.chunk:
            self.flush()

    def flush(self) -> int:
        """Write what is pending; returns the number of bars written in all."""
        if self.pending:
            self.repo.record_bars(self.run_id, self.pending)
            self.written += len(self.pending)
            self.pending = []
        return self.written
