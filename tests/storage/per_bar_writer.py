"""The ORM writer the bulk one replaced (one bar at a time, a flush per step): the oracle of
``test_bar_writer``, kept only here."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from forex_diffusion.core.errors import StorageError
from forex_diffusion.core.events import Fill, FusedSignal, Order, Position, Trade
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

_EXIT_TYPES = {"stop_loss": "stop", "trailing_stop": "stop", "take_profit": "limit"}


def write_bar(
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
        _order(session, run_id, order, now)
    session.flush()
    for fill in fills:
        _fill(session, run_id, fill)
    for position in positions:
        _position(session, run_id, position, now)
    session.flush()
    for trade in trades:
        _trade(session, run_id, trade)
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


def _fill(session: Session, run_id: str, f: Fill) -> None:
    order = session.scalar(select(OrderRow).where(OrderRow.client_order_id == f.client_order_id))
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
