"""Pattern-event repository: replace a series' scanned events in one transaction, list them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select

from forex_diffusion.core.events import PatternEvent
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import PatternEventRow, to_ms

__all__ = ["PatternEventRepository"]


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


class PatternEventRepository:
    """Reads and writes ``pattern_events``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def replace(
        self,
        symbol: str | Symbol,
        timeframe: str | Timeframe,
        events: Iterable[PatternEvent],
        *,
        run_id: str | None = None,
    ) -> int:
        """Store the events of one scan, replacing what an earlier scan of the series stored
        (same symbol, timeframe and run). Idempotent; one transaction. Returns the count."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        rows = [
            {
                "run_id": run_id,
                "symbol": sym,
                "timeframe": tf,
                "pattern_key": e.pattern_key,
                "kind": e.kind,
                "direction": e.direction,
                "start_ts": to_ms(e.start_ts),
                "confirm_ts": to_ms(e.confirm_ts),
                "state": e.state,
                "score": float(e.score),
                "scale_atr": _num(e.scale_atr),
                "touches": e.touches,
                "bars_span": e.bars_span,
                "target_price": _num(e.target_price),
                "failure_price": _num(e.failure_price),
                "horizon_bars": e.horizon_bars,
                "overlay": dict(e.overlay),
            }
            for e in events
        ]
        same_run = (
            PatternEventRow.run_id.is_(None) if run_id is None else PatternEventRow.run_id == run_id
        )
        with self.store.session() as session:
            session.execute(
                delete(PatternEventRow).where(
                    PatternEventRow.symbol == sym, PatternEventRow.timeframe == tf, same_run
                )
            )
            if rows:
                session.execute(insert(PatternEventRow), rows)
        return len(rows)

    def load(
        self,
        symbol: str | Symbol,
        timeframe: str | Timeframe,
        *,
        kinds: Iterable[str] | None = None,
        last: int | None = None,
        run_id: str | None = None,
    ) -> pd.DataFrame:
        """Stored events of a series, oldest first (``last``: only the newest N)."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        stmt = select(PatternEventRow).where(
            PatternEventRow.symbol == sym,
            PatternEventRow.timeframe == tf,
            PatternEventRow.run_id.is_(None)
            if run_id is None
            else PatternEventRow.run_id == run_id,
        )
        if kinds is not None:
            stmt = stmt.where(PatternEventRow.kind.in_(list(kinds)))
        stmt = stmt.order_by(PatternEventRow.confirm_ts.desc(), PatternEventRow.pattern_key.desc())
        if last is not None:
            stmt = stmt.limit(last)
        with self.store.session() as session:
            rows = session.scalars(stmt).all()
            records = [
                {
                    "pattern_key": r.pattern_key,
                    "kind": r.kind,
                    "direction": r.direction,
                    "start_ts": pd.Timestamp(r.start_ts, unit="ms", tz="UTC"),
                    "confirm_ts": pd.Timestamp(r.confirm_ts, unit="ms", tz="UTC"),
                    "state": r.state,
                    "score": r.score,
                    "scale_atr": r.scale_atr,
                    "bars_span": r.bars_span,
                    "target_price": r.target_price,
                    "failure_price": r.failure_price,
                    "horizon_bars": r.horizon_bars,
                    "touches": r.touches,
                    "overlay": r.overlay,
                }
                for r in rows
            ]
        columns = [
            "pattern_key",
            "kind",
            "direction",
            "start_ts",
            "confirm_ts",
            "state",
            "score",
            "scale_atr",
            "bars_span",
            "target_price",
            "failure_price",
            "horizon_bars",
            "touches",
            "overlay",
        ]
        return pd.DataFrame(records, columns=columns).iloc[::-1].reset_index(drop=True)
