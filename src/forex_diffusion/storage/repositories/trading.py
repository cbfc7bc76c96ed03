"""Trading repository: everything one bar changed, written in one transaction, and read back.

:meth:`TradingRepository.record_bar` writes the bar's orders (inserted, or their status
updated by ``client_order_id``), fills, position snapshots (upserted by position key), closed
trades, the signals acted on, the equity snapshot and the run's ``last_bar_ts`` together: after
a crash the store holds every bar up to ``last_bar_ts`` completely and nothing of later bars.
Exits the broker initiated itself (stop-loss, take-profit, margin call...) get an order row of
their own, so every fill belongs to an order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import (
    EquitySnapshotRow,
    FillRow,
    OrderRow,
    PositionRow,
    TradeRow,
)
from forex_diffusion.storage.repositories.bar_writer import write_bars

__all__ = ["TRADE_COLUMNS", "TradingRepository"]

TRADE_COLUMNS = [
    "entry_time",
    "exit_time",
    "symbol",
    "direction",
    "entry_price",
    "exit_price",
    "units",
    "pnl",
    "pnl_pips",
    "commission",
    "swap",
    "spread_cost",
    "slippage_cost",
    "exit_reason",
    "source",
    "risk",
]


def _iso(ms: int | None) -> str | None:
    return None if ms is None else pd.Timestamp(ms, unit="ms", tz="UTC").isoformat()


class TradingRepository:
    """Reads and writes the trading tables of a run."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- writing -----------------------------------------------------------------------------
    def record_bar(self, run_id: str, **changes: Any) -> None:
        """Write one bar's changes and move the run's ``last_bar_ts`` to its ``ts``, atomically.

        Keys: ``ts``, ``orders``, ``fills``, ``positions``, ``trades``, ``balance``, ``equity``,
        ``margin_used``, ``open_pnl``, ``status``, and optionally ``signals`` (the signals
        scored on the bar with the gate's verdict) and ``error``.
        """
        self.record_bars(run_id, [changes])

    def record_bars(self, run_id: str, bars: Sequence[Mapping[str, Any]]) -> None:
        """Write many bars (each with the keys of :meth:`record_bar`, in time order) in one
        transaction, in bulk (:mod:`~forex_diffusion.storage.repositories.bar_writer`)."""
        with self.store.transaction() as conn:
            write_bars(conn, run_id, bars)

    # -- reading -----------------------------------------------------------------------------
    def trades(self, run_id: str) -> pd.DataFrame:
        """Closed trades of a run in exit order (columns ``TRADE_COLUMNS``, times UTC)."""
        stmt = select(TradeRow).where(TradeRow.run_id == run_id).order_by(TradeRow.id)
        with self.store.session() as session:
            rows = [
                {
                    "entry_time": r.entry_ts,
                    "exit_time": r.exit_ts,
                    "symbol": r.symbol,
                    "direction": r.side,
                    "entry_price": r.entry_price,
                    "exit_price": r.exit_price,
                    "units": r.quantity,
                    "pnl": r.pnl,
                    "pnl_pips": r.pnl_pips,
                    "commission": r.commission,
                    "swap": r.swap,
                    "spread_cost": r.spread_cost,
                    "slippage_cost": r.slippage_cost,
                    "exit_reason": r.exit_reason,
                    "source": r.source,
                    "risk": (r.trade_metadata or {}).get("risk"),
                }
                for r in session.scalars(stmt)
            ]
        frame = pd.DataFrame(rows, columns=TRADE_COLUMNS)
        frame["risk"] = frame["risk"].astype(float)
        for col in ("entry_time", "exit_time"):
            frame[col] = pd.to_datetime(frame[col].astype("int64"), unit="ms", utc=True)
        return frame

    def orders(self, run_id: str) -> list[dict[str, Any]]:
        """Orders of a run in creation order, as JSON-ready dicts."""
        stmt = select(OrderRow).where(OrderRow.run_id == run_id).order_by(OrderRow.id)
        with self.store.session() as session:
            return [
                {
                    "client_order_id": r.client_order_id,
                    "symbol": r.symbol,
                    "side": r.side,
                    "order_type": r.order_type,
                    "units": r.quantity,
                    "price": r.price,
                    "stop_loss": r.stop_loss,
                    "take_profit": r.take_profit,
                    "status": r.status,
                    "reason": r.reason,
                    "created": _iso(r.created_ts),
                }
                for r in session.scalars(stmt)
            ]

    def positions(self, run_id: str, *, open_only: bool = True) -> list[dict[str, Any]]:
        """Positions of a run (only the open ones by default), as JSON-ready dicts."""
        stmt = select(PositionRow).where(PositionRow.run_id == run_id)
        if open_only:
            stmt = stmt.where(PositionRow.status == "open")
        with self.store.session() as session:
            return [
                {
                    "position_key": r.position_key,
                    "symbol": r.symbol,
                    "side": r.side,
                    "units": r.quantity,
                    "entry_price": r.entry_price,
                    "entry_time": _iso(r.entry_ts),
                    "stop_loss": r.stop_loss,
                    "take_profit": r.take_profit,
                    "swap": r.swap,
                    "status": r.status,
                }
                for r in session.scalars(stmt.order_by(PositionRow.id))
            ]

    def client_order_ids(self, run_id: str) -> set[str]:
        """Every client order id a run has stored."""
        stmt = select(OrderRow.client_order_id).where(OrderRow.run_id == run_id)
        with self.store.session() as session:
            return set(session.scalars(stmt))

    def equity(self, run_id: str) -> pd.DataFrame:
        """Equity snapshots of a run (index: bar time UTC)."""
        stmt = (
            select(EquitySnapshotRow)
            .where(EquitySnapshotRow.run_id == run_id)
            .order_by(EquitySnapshotRow.ts)
        )
        with self.store.session() as session:
            rows = [
                (r.ts, r.balance, r.equity, r.margin_used, r.open_pnl)
                for r in session.scalars(stmt)
            ]
        frame = pd.DataFrame(rows, columns=["ts", "balance", "equity", "margin_used", "open_pnl"])
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("ts"), unit="ms", utc=True))
        frame.index.name = "time"
        return frame

    def latest_equity(self, run_id: str) -> dict[str, Any] | None:
        """The newest equity snapshot of a run (``time`` ISO UTC, ``balance``, ``equity``,
        ``margin_used``, ``open_pnl``), or ``None`` before its first bar."""
        stmt = (
            select(EquitySnapshotRow)
            .where(EquitySnapshotRow.run_id == run_id)
            .order_by(EquitySnapshotRow.ts.desc())
            .limit(1)
        )
        with self.store.session() as session:
            r = session.scalars(stmt).first()
            if r is None:
                return None
            return {
                "time": _iso(r.ts),
                "balance": r.balance,
                "equity": r.equity,
                "margin_used": r.margin_used,
                "open_pnl": r.open_pnl,
            }

    def counts(self, run_id: str) -> dict[str, int]:
        """Rows per trading table for a run."""
        out = {}
        with self.store.session() as session:
            for name, row in (
                ("orders", OrderRow),
                ("fills", FillRow),
                ("positions", PositionRow),
                ("trades", TradeRow),
                ("equity_snapshots", EquitySnapshotRow),
            ):
                stmt = select(func.count()).where(row.run_id == run_id)
                out[name] = int(session.scalar(stmt) or 0)
        return out
