"""What a run's bars changed, written in bulk: one INSERT (or UPDATE) per table per chunk.

:func:`write_bars` takes the bars of :meth:`TradingRepository.record_bars` in time order and
writes exactly what writing them one by one would have written: an order is inserted the first
time it appears and its status, reason and ``updated_ts`` follow its last appearance; a fill
whose order the store does not hold (an exit the broker made on its own: stop-loss,
take-profit, margin call...) gets an order row of its own; a position is upserted by its key
(its entry from the first appearance, the rest from the last); a trade points at its
position's row when the position was recorded; an equity snapshot is upserted by bar time; the
run's ``last_bar_ts`` and status follow the last bar. New rows get their ids in the order the
one-by-one writes gave them (PostgreSQL's sequences may skip where an upsert updated).

Everything goes through SQLAlchemy Core on one connection: positions and equity snapshots are
upserted (``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL), a trade finds its
position's id in the INSERT itself, and the store is read only for the orders a chunk names. A
paper run's bar with a position open and nothing else happening costs three statements; a
backtest's 5,000 bars about ten.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from forex_diffusion.core.errors import StorageError
from forex_diffusion.core.events import Fill, Order, Position, Trade
from forex_diffusion.storage.models import (
    EquitySnapshotRow,
    FillRow,
    FusedSignalRow,
    OrderRow,
    PositionRow,
    RunRow,
    TradeRow,
)
from forex_diffusion.storage.repositories.signals import signal_row

__all__ = ["CHUNK_BARS", "write_bars"]

CHUNK_BARS = 5_000
"""Bars planned and written together (each chunk's statement parameters are held at once)."""

_IN_BATCH = 500
"""Values per ``IN (...)`` lookup: far below SQLite's and PostgreSQL's parameter limits."""

_EXIT_TYPES = {"stop_loss": "stop", "trailing_stop": "stop", "take_profit": "limit"}

ORDERS: Table = OrderRow.__table__  # type: ignore[assignment]
FILLS: Table = FillRow.__table__  # type: ignore[assignment]
POSITIONS: Table = PositionRow.__table__  # type: ignore[assignment]
TRADES: Table = TradeRow.__table__  # type: ignore[assignment]
SIGNALS: Table = FusedSignalRow.__table__  # type: ignore[assignment]
EQUITY: Table = EquitySnapshotRow.__table__  # type: ignore[assignment]
RUNS: Table = RunRow.__table__  # type: ignore[assignment]

_POSITION_CHANGES = ("quantity", "stop_loss", "take_profit", "swap", "status", "updated_ts")
_EQUITY_CHANGES = ("balance", "equity", "margin_used", "open_pnl")

T = TypeVar("T")


def _ms(ts: pd.Timestamp) -> int:
    """Epoch milliseconds UTC of a bar or event time (``models.to_ms``, without the copy for
    the nanosecond timestamps the engine makes)."""
    value = ts if isinstance(ts, pd.Timestamp) else pd.Timestamp(ts)
    if value.unit != "ns":
        value = value.as_unit("ns")
    return int(value.value // 1_000_000)


def _batches(values: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == _IN_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _reason(text: str | None) -> str | None:
    return (text or "")[:256] or None


@dataclass
class _Plan:
    """The rows of one chunk of bars: new orders (by client order id, in first-appearance
    order) and changes to stored ones (by id), and the final row of every position and bar
    time (by key, in first-appearance order) to upsert."""

    run_id: str
    known_orders: dict[str, tuple[int, str]]
    """client order id -> (id, run id) of the orders already stored that the chunk names."""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    order_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    fills: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    equity: dict[int, dict[str, Any]] = field(default_factory=dict)
    last: tuple[int, str] | None = None
    error: str | None = None

    # -- planning ------------------------------------------------------------------------------
    def order(self, o: Order, now: int) -> None:
        change = {"status": o.status, "updated_ts": now, "reason": _reason(o.reason)}
        if o.client_order_id in self.orders:
            self.orders[o.client_order_id].update(change)
        elif o.client_order_id in self.known_orders:
            row_id, owner = self.known_orders[o.client_order_id]
            if owner != self.run_id:
                raise StorageError(f"order {o.client_order_id} belongs to run {owner}")
            self.order_updates[row_id] = {"row_id": row_id, **change}
        else:
            self.orders[o.client_order_id] = {
                "client_order_id": o.client_order_id,
                "run_id": self.run_id,
                "signal_id": o.signal_id,
                "symbol": o.symbol,
                "side": o.side,
                "order_type": o.order_type,
                "quantity": o.units,
                "price": o.price,
                "stop_loss": o.stop_loss,
                "take_profit": o.take_profit,
                "created_ts": _ms(o.created_ts),
                **change,
            }

    def fill(self, f: Fill) -> None:
        cid = f.client_order_id
        when = _ms(f.ts)
        if cid not in self.orders and cid not in self.known_orders:  # the broker's own exit
            self.orders[cid] = {
                "client_order_id": cid,
                "run_id": self.run_id,
                "signal_id": None,
                "symbol": f.symbol,
                "side": "buy" if f.units > 0 else "sell",
                "order_type": _EXIT_TYPES.get(f.reason, "market"),
                "quantity": abs(f.units),
                "price": f.price,
                "stop_loss": None,
                "take_profit": None,
                "status": "filled",
                "reason": f.reason,
                "created_ts": when,
                "updated_ts": when,
            }
        row = {
            "run_id": self.run_id,
            "ts": when,
            "price": f.price,
            "quantity": f.units,
            "commission": f.commission,
            "spread_cost": f.spread_cost,
            "slippage_cost": f.slippage_cost,
        }
        self.fills.append((cid, row))

    def position(self, p: Position, now: int) -> None:
        change = {
            "quantity": p.units,
            "stop_loss": p.stop_loss,
            "take_profit": p.take_profit,
            "swap": p.swap,
            "status": p.status,
            "updated_ts": now,
        }
        row = self.positions.get(p.position_key)
        if row is not None:
            row.update(change)
        else:
            self.positions[p.position_key] = {
                "run_id": self.run_id,
                "position_key": p.position_key,
                "symbol": p.symbol,
                "side": p.side,
                "entry_price": p.entry_price,
                "entry_ts": _ms(p.entry_ts),
                **change,
            }

    def trade(self, t: Trade) -> None:
        self.trades.append(
            {
                "run_id": self.run_id,
                "of_position": t.position_key,
                "symbol": t.symbol,
                "side": t.side,
                "quantity": t.units,
                "entry_ts": _ms(t.entry_ts),
                "entry_price": t.entry_price,
                "exit_ts": _ms(t.exit_ts),
                "exit_price": t.exit_price,
                "pnl": t.pnl,
                "pnl_pips": t.pnl_pips,
                "commission": t.commission,
                "swap": t.swap,
                "spread_cost": t.spread_cost,
                "slippage_cost": t.slippage_cost,
                "exit_reason": t.exit_reason,
                "source": t.source,
                "metadata": {
                    "position_key": t.position_key,
                    "signal_id": t.signal_id,
                    "risk": t.initial_risk,
                },
            }
        )

    def bar(
        self,
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
        signals: Sequence[tuple[Any, bool]] = (),
        error: str | None = None,
    ) -> None:
        now = _ms(ts)
        for o in orders:
            self.order(o, now)
        for f in fills:
            self.fill(f)
        for p in positions:
            self.position(p, now)
        for t in trades:
            self.trade(t)
        for signal, passed in signals:
            row = signal_row(signal, passed, run_id=self.run_id)
            row["metadata"] = row.pop("signal_metadata")  # the column's name
            self.signals.append(row)
        values = {
            "balance": balance,
            "equity": equity,
            "margin_used": margin_used,
            "open_pnl": open_pnl,
        }
        if now in self.equity:
            self.equity[now].update(values)
        else:
            self.equity[now] = {"run_id": self.run_id, "ts": now, **values}
        self.last = (now, status)
        if error is not None:
            self.error = error

    # -- writing -------------------------------------------------------------------------------
    def write(self, conn: Connection) -> None:
        order_ids = {cid: row_id for cid, (row_id, _) in self.known_orders.items()}
        if self.orders:
            new = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
            ids = conn.execute(new, list(self.orders.values())).scalars().all()
            order_ids.update(zip(self.orders, ids, strict=True))
        if self.order_updates:
            changed = update(ORDERS).where(ORDERS.c.id == bindparam("row_id"))  # SET: the keys
            conn.execute(changed, list(self.order_updates.values()))
        if self.fills:
            fills = [{"order_id": order_ids[cid], **row} for cid, row in self.fills]
            conn.execute(insert(FILLS), fills)
        if self.positions:
            _upsert(conn, POSITIONS, ("run_id", "position_key"), _POSITION_CHANGES, self.positions)
        if self.trades:
            position = (
                select(POSITIONS.c.id)
                .where(POSITIONS.c.run_id == self.run_id)
                .where(POSITIONS.c.position_key == bindparam("of_position"))
                .scalar_subquery()
            )
            conn.execute(insert(TRADES).values(position_id=position), self.trades)
        if self.signals:
            conn.execute(insert(SIGNALS), self.signals)
        _upsert(conn, EQUITY, ("run_id", "ts"), _EQUITY_CHANGES, self.equity)
        if self.last is not None:
            changes: dict[str, Any] = {"last_bar_ts": self.last[0], "status": self.last[1]}
            if self.error is not None:
                changes["error"] = self.error
            conn.execute(update(RUNS).where(RUNS.c.run_id == self.run_id).values(changes))


_UPSERTS: dict[tuple[str, str], Any] = {}
"""Built upsert statements by (dialect, table): building one costs more than running it."""


def _upsert(
    conn: Connection,
    table: Table,
    keys: tuple[str, ...],
    changes: tuple[str, ...],
    rows: Mapping[Any, dict[str, Any]],
) -> None:
    """Insert ``rows``, or where a row with the same ``keys`` exists, update its ``changes``."""
    if not rows:
        return
    name = conn.dialect.name
    stmt = _UPSERTS.get((name, table.name))
    if stmt is None:
        base = (postgresql if name == "postgresql" else sqlite).insert(table)
        stmt = base.on_conflict_do_update(
            index_elements=list(keys), set_={c: base.excluded[c] for c in changes}
        )
        _UPSERTS[(name, table.name)] = stmt
    conn.execute(stmt, list(rows.values()))


def _known_orders(
    conn: Connection, bars: Sequence[Mapping[str, Any]]
) -> dict[str, tuple[int, str]]:
    """The stored orders (id, run id) that ``bars`` name, by client order id."""
    cids: dict[str, None] = {}
    for bar in bars:
        cids.update((o.client_order_id, None) for o in bar["orders"])
        cids.update((f.client_order_id, None) for f in bar["fills"])
    known: dict[str, tuple[int, str]] = {}
    for batch in _batches(cids):
        stmt = select(ORDERS.c.client_order_id, ORDERS.c.id, ORDERS.c.run_id)
        for cid, row_id, owner in conn.execute(stmt.where(ORDERS.c.client_order_id.in_(batch))):
            known[cid] = (row_id, owner)
    return known


def write_bars(conn: Connection, run_id: str, bars: Sequence[Mapping[str, Any]]) -> None:
    """Write ``bars`` (the keyword arguments of ``TradingRepository.record_bar``, in time
    order) of run ``run_id`` on ``conn``, :data:`CHUNK_BARS` at a time. A
    :class:`StorageError` when the store has no such run, or an order belongs to another."""
    exists = conn.execute(select(RUNS.c.run_id).where(RUNS.c.run_id == run_id)).first()
    if exists is None:
        raise StorageError(f"no run {run_id!r} in the store")
    for start in range(0, len(bars), CHUNK_BARS):
        chunk = bars[start : start + CHUNK_BARS]
        plan = _Plan(run_id, _known_orders(conn, chunk))
        for bar in chunk:
            plan.bar(**bar)
        plan.write(conn)
