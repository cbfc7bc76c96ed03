"""Fused-signal repository: every scored candidate with everything its decision used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import insert, select

from forex_diffusion.core.events import FusedSignal
from forex_diffusion.core.names import DIMENSIONS
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import FusedSignalRow, to_ms

__all__ = ["SIGNAL_COLUMNS", "FusedSignalRepository", "signal_row"]

SIGNAL_COLUMNS = [
    "signal_id",
    "source",
    "direction",
    "strength",
    *DIMENSIONS,
    "composite",
    "passed",
    "regime",
    "entry_price",
    "target_price",
    "stop_price",
    "ts",
    "valid_until",
    "metadata",
]


def signal_row(signal: FusedSignal, passed: bool, *, run_id: str | None) -> dict[str, Any]:
    """The ``fused_signals`` row of a signal; its quality must hold the six dimensions and
    ``composite``."""
    missing = [d for d in (*DIMENSIONS, "composite") if d not in signal.quality]
    if missing:
        raise ValueError(f"signal {signal.signal_id}: quality lacks {missing}")
    return {
        "signal_id": signal.signal_id,
        "run_id": run_id,
        "source": signal.source,
        "symbol": Symbol.parse(signal.symbol).name,
        "timeframe": Timeframe.parse(signal.timeframe).value,
        "direction": signal.direction,
        "strength": float(signal.strength),
        **{d: float(signal.quality[d]) for d in (*DIMENSIONS, "composite")},
        "passed": bool(passed),
        "regime": signal.regime,
        "entry_price": signal.entry_price,
        "target_price": signal.target_price,
        "stop_price": signal.stop_price,
        "ts": to_ms(signal.timestamp),
        "valid_until": to_ms(signal.valid_until),
        "signal_metadata": dict(signal.metadata),
    }


class FusedSignalRepository:
    """Reads and writes ``fused_signals``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, decisions: Iterable[tuple[FusedSignal, bool]], *, run_id: str | None) -> int:
        """Store signals with their gate verdict (``passed``), one transaction; the quality
        mapping must hold the six dimensions and ``composite``. Returns the count."""
        rows = [signal_row(signal, passed, run_id=run_id) for signal, passed in decisions]
        if rows:
            with self.store.session() as session:
                session.execute(insert(FusedSignalRow), rows)
        return len(rows)

    def load(
        self, symbol: str | Symbol, timeframe: str | Timeframe, *, run_id: str | None
    ) -> pd.DataFrame:
        """Stored signals of a series and run, oldest first (columns ``SIGNAL_COLUMNS``;
        ``ts``/``valid_until`` as UTC timestamps)."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        stmt = (
            select(FusedSignalRow)
            .where(
                FusedSignalRow.symbol == sym,
                FusedSignalRow.timeframe == tf,
                FusedSignalRow.run_id.is_(None)
                if run_id is None
                else FusedSignalRow.run_id == run_id,
            )
            .order_by(FusedSignalRow.ts, FusedSignalRow.id)
        )
        with self.store.session() as session:
            records = [
                {
                    **{c: getattr(r, c) for c in SIGNAL_COLUMNS if c != "metadata"},
                    "metadata": r.signal_metadata or {},
                }
                for r in session.scalars(stmt)
            ]
        frame = pd.DataFrame(records, columns=SIGNAL_COLUMNS)
        for col in ("ts", "valid_until"):
            frame[col] = pd.to_datetime(frame[col].astype("int64"), unit="ms", utc=True)
        return frame
