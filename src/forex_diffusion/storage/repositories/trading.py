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
from sqlalchemy.orm import Session

from forex_diffusion.core.errors import StorageError
from forex_diffusion.core.events import Fill, FusedSignal, Order, Position, Trade
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import (
    EquitySnapshotRow,
    FillRow,
    FusedSignalRow,
    OrderRow,
    PositionRow,
    RunRow,
    TradeRow,
    to_ms,
)
from forex_diffusion.storage.repositories.signals import signal_row

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
_EXIT_TYPES = {"stop_loss": "stop", "trailing_stop": "stop", "take_profit": "limit"}


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
        """Write many bars (each with the keys of :meth:`record_bar`) in one transaction: a
        backtest is stored whole or not at all."""
        with self.store.session() as session:
            run = self._run(session, run_id)
            for bar in bars:
                self._write(session, run, **bar)

    @staticmethod
    def _run(session: Session, run_id: str) -> RunRow:
        run = session.get(RunRow, run_id)
        if run is None:
            raise StorageError(f"no run {run_id!r} in the store")
        return run

    def _write(
        self,
        session: Session,
        run: RunRow,
        *,
        ts: pd.Timestamp,
        orders: Sequence[Order],
        fills: Sequence[Fill],
        positions: Sequence[Position],
        trades: Sequence[Trade],
        balance: float,
        equity: float,
        margin_used: float,
        open_pnl: float,
        status: str,
        signals: Sequence[tuple[FusedSignal, bool]] = (),
        error: str | None = None,
    ) -> None:
        run_id, now = run.run_id, to_ms(ts)
        for order in orders:
            self._order(session, run_id, order, now)
        session.flush()
        for fill in fills:
            self._fill(session, run_id, fill)
        for position in positions:
            self._position(session, run_id, position, now)
        session.flush()
        for trade in trades:
            self._trade(session, run_id, trade)
        for signal, passed in signals:
            session.add(FusedSignalRow(**signal_row(signal, passed, run_id=run_id)))
        snap = session.scalar(
            select(EquitySnapshotRow).where(
                EquitySnapshotRow.run_id == run_id, EquitySnapshotRow.ts == now
            )
        )
        if snap is None:
            snap = EquitySnapshotRow(run_id=run_id, ts=now)
            session.add(snap)
        snap.balance, snap.equity = balance, equity
        snap.margin_used, snap.open_pnl = margin_used, open_pnl
        run.last_bar_ts, run.status = now, status
        if error is not None:
            run.error = error

    @staticmethod
    def _order(session: Session, run_id: str, o: Order, now: int) -> None:
        row = session.scalar(select(OrderRow).where(OrderRow.client_order_id == o.client_order_id))
        if row is None:
            session.add(
                OrderRow(
                    client_order_id=o.client_order_id,
                    run_id=run_id,
                    signal_id=o.signal_id,
                    symbol=o.symbol,
                    side=o.side,
                    order_type=o.order_type,
                    quantity=o.units,
                    price=o.price,
                    stop_loss=o.stop_loss,
                    take_profit=o.take_profit,
                    status=o.status,
                    reason=(o.reason or "")[:256] or None,
                    created_ts=to_ms(o.created_ts),
                    updated_ts=now,
                )
            )
        elif row.run_id != run_id:
            raise StorageError(f"order {o.client_order_id} belongs to run {row.run_id}")
        else:
            row.status, row.updated_ts = o.status, now
            row.reason = (o.reason or "")[:256] or None

    @staticmethod
    def _fill(session: Session, run_id: str, f: Fill) -> None:
        order = session.scalar(
            select(OrderRow).where(OrderRow.client_order_id == f.client_order_id)
        )
        if order is None:  # an exit the broker made on its own
            order = OrderRow(
                client_order_id=f.client_order_id,
                run_id=run_id,
                symbol=f.symbol,
                side="buy" if f.units > 0 else "sell",
                order_type=_EXIT_TYPES.get(f.reason, "market"),
                quantity=abs(f.units),
                price=f.price,
                status="filled",
                reason=f.reason,
                created_ts=to_ms(f.ts),
                updated_ts=to_ms(f.ts),
            )
            session.add(order)
            session.flush()
        session.add(
            FillRow(
                order_id=order.id,
                run_id=run_id,
                ts=to_ms(f.ts),
                price=f.price,
                quantity=f.units,
                commission=f.commission,
                spread_cost=f.spread_cost,
                slippage_cost=f.slippage_cost,
            )
        )

    @staticmethod
    def _position(session: Session, run_id: str, p: Position, now: int) -> None:
        row = session.scalar(
            select(PositionRow).where(
                PositionRow.run_id == run_id, PositionRow.position_key == p.position_key
            )
        )
        if row is None:
            row = PositionRow(
                run_id=run_id,
                position_key=p.position_key,
                symbol=p.symbol,
                side=p.side,
                entry_price=p.entry_price,
                entry_ts=to_ms(p.entry_ts),
            )
            session.add(row)
        row.quantity, row.stop_loss, row.take_profit = p.units, p.stop_loss, p.take_profit
        row.swap, row.status, row.updated_ts = p.swap, p.status, now

    @staticmethod
    def _trade(session: Session, run_id: str, t: Trade) -> None:
        position_id = session.scalar(
            select(PositionRow.id).where(
                PositionRow.run_id == run_id, PositionRow.position_key == t.position_key
            )
        )
        session.add(
            TradeRow(
                run_id=run_id,
                position_id=position_id,
                symbol=t.symbol,
                side=t.side,
                quantity=t.units,
                entry_ts=to_ms(t.entry_ts),
                entry_price=t.entry_price,
                exit_ts=to_ms(t.exit_ts),
                exit_price=t.exit_price,
                pnl=t.pnl,
                pnl_pips=t.pnl_pips,
                commission=t.commission,
                swap=t.swap,
                spread_cost=t.spread_cost,
                slippage_cost=t.slippage_cost,
                exit_reason=t.exit_reason,
                source=t.source,
                trade_metadata={
                    "position_key": t.position_key,
                    "signal_id": t.signal_id,
                    "risk": t.initial_risk,
                },
            )
        )

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
