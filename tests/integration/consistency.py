"""What must hold in the store after any fault: no duplicated client order id, the open
positions equal the sum of the fills, the last equity equals cash plus open P&L, and every
trade closes a stored position."""

from __future__ import annotations

from sqlalchemy import func, select

from forex_diffusion.storage import Store
from forex_diffusion.storage.models import (
    EquitySnapshotRow,
    FillRow,
    OrderRow,
    PositionRow,
    TradeRow,
)


def check_store(store: Store, run_id: str) -> dict[str, int]:
    """Assert the invariants of a run's rows; returns the row counts."""
    with store.session() as session:
        stmt = select(OrderRow.client_order_id).where(OrderRow.run_id == run_id)
        ids = list(session.scalars(stmt))
        assert len(ids) == len(set(ids)), "duplicated client order ids"
        filled = session.scalar(
            select(func.coalesce(func.sum(FillRow.quantity), 0.0)).where(FillRow.run_id == run_id)
        )
        open_rows = session.scalars(
            select(PositionRow).where(PositionRow.run_id == run_id, PositionRow.status == "open")
        ).all()
        held = sum(p.quantity if p.side == "long" else -p.quantity for p in open_rows)
        assert abs(float(filled) - held) < 1e-6, f"fills sum to {filled}, positions hold {held}"
        last = session.scalars(
            select(EquitySnapshotRow)
            .where(EquitySnapshotRow.run_id == run_id)
            .order_by(EquitySnapshotRow.ts.desc())
            .limit(1)
        ).first()
        assert last is not None, "no equity snapshot"
        assert abs(last.equity - (last.balance + last.open_pnl)) < 1e-6 * max(1.0, last.equity)
        orphans = session.scalar(
            select(func.count()).where(TradeRow.run_id == run_id, TradeRow.position_id.is_(None))
        )
        assert orphans == 0, f"{orphans} trades without their position"
        return {
            "orders": len(ids),
            "open_positions": len(open_rows),
            "trades": int(
                session.scalar(select(func.count()).where(TradeRow.run_id == run_id)) or 0
            ),
        }
