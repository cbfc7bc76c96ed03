"""Trading rows: orders, fills, positions, closed trades and equity snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forex_diffusion.storage.models.base import Base, IdPk, now_ms

__all__ = ["EquitySnapshotRow", "FillRow", "OrderRow", "PositionRow", "TradeRow"]


class OrderRow(Base):
    """An order; ``client_order_id`` is unique so a resumed run can never duplicate one."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_run", "run_id", "created_ts"),)

    id: Mapped[IdPk]
    client_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.run_id"))
    signal_id: Mapped[str | None] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8), doc="buy or sell")
    order_type: Mapped[str] = mapped_column(String(16), doc="market, limit or stop")
    quantity: Mapped[float] = mapped_column(doc="units of the base currency")
    price: Mapped[float | None] = mapped_column(doc="limit or stop price")
    stop_loss: Mapped[float | None]
    take_profit: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(256))
    created_ts: Mapped[int]
    updated_ts: Mapped[int]


class FillRow(Base):
    """An execution of (part of) an order, with its costs in the account currency."""

    __tablename__ = "fills"
    __table_args__ = (Index("ix_fills_run", "run_id", "ts"),)

    id: Mapped[IdPk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.run_id"))
    ts: Mapped[int]
    price: Mapped[float]
    quantity: Mapped[float] = mapped_column(doc="signed units: + buy, - sell")
    commission: Mapped[float] = mapped_column(default=0.0)
    spread_cost: Mapped[float] = mapped_column(default=0.0)
    slippage_cost: Mapped[float] = mapped_column(default=0.0)


class PositionRow(Base):
    """A position's current state; one row per position, updated as it changes."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("run_id", "position_key"),)

    id: Mapped[IdPk]
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.run_id"))
    position_key: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8), doc="long or short")
    quantity: Mapped[float]
    entry_price: Mapped[float]
    entry_ts: Mapped[int]
    stop_loss: Mapped[float | None]
    take_profit: Mapped[float | None]
    swap: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(16), doc="open or closed")
    updated_ts: Mapped[int]


class TradeRow(Base):
    """A closed round trip, with P&L split into its parts (account currency)."""

    __tablename__ = "trades"
    __table_args__ = (Index("ix_trades_run", "run_id", "exit_ts"),)

    id: Mapped[IdPk]
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.run_id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[float]
    entry_ts: Mapped[int]
    entry_price: Mapped[float]
    exit_ts: Mapped[int]
    exit_price: Mapped[float]
    pnl: Mapped[float] = mapped_column(doc="net P&L in the account currency")
    pnl_pips: Mapped[float]
    commission: Mapped[float] = mapped_column(default=0.0)
    swap: Mapped[float] = mapped_column(default=0.0)
    spread_cost: Mapped[float] = mapped_column(default=0.0)
    slippage_cost: Mapped[float] = mapped_column(default=0.0)
    exit_reason: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64), doc="signal source that opened it")
    trade_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata")


class EquitySnapshotRow(Base):
    """Account state at a bar: balance, equity and margin."""

    __tablename__ = "equity_snapshots"
    __table_args__ = (UniqueConstraint("run_id", "ts"),)

    id: Mapped[IdPk]
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.run_id"))
    ts: Mapped[int]
    balance: Mapped[float]
    equity: Mapped[float]
    margin_used: Mapped[float] = mapped_column(default=0.0)
    open_pnl: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[int] = mapped_column(default=now_ms)
