"""Candle repository: idempotent upserts in one transaction, range loads, series summaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data.candles import OHLCV, validate_candles
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import CandleRow, to_ms

__all__ = ["CandleRepository", "SeriesSummary", "UpsertResult"]

ProgressCallback = Callable[[int], None]
"""Called with the number of rows just written."""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What an import did: new bars, changed bars overwritten, identical bars left alone."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Bars in the input."""
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """One stored (symbol, timeframe) series."""

    symbol: str
    timeframe: str
    first: pd.Timestamp
    last: pd.Timestamp
    bars: int


def _ms(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.as_unit("ms").asi8, dtype=np.int64)


class CandleRepository:
    """Reads and writes bars of the ``candles`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def upsert(
        self,
        symbol: str | Symbol,
        timeframe: str | Timeframe,
        candles: pd.DataFrame,
        *,
        chunk_size: int = 5000,
        on_progress: ProgressCallback | None = None,
    ) -> UpsertResult:
        """Insert new bars and overwrite changed ones, all in one transaction.

        Importing the same data twice changes nothing the second time. The frame is validated
        first, so bad data writes nothing.
        """
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        frame = validate_candles(candles)
        ts = _ms(pd.DatetimeIndex(frame.index))
        incoming = pd.DataFrame(frame[list(OHLCV)].to_numpy(), columns=list(OHLCV), index=ts)
        with self.store.session() as session:
            existing = self._existing(session, sym, tf, int(ts[0]), int(ts[-1]))
            known = incoming.index.isin(existing.index)
            same = np.zeros(len(incoming), dtype=bool)
            if known.any():
                old = existing.reindex(incoming.index[known])
                same[known] = (old.to_numpy() == incoming.loc[known].to_numpy()).all(axis=1)
            todo = incoming.loc[~same]
            rows = [
                {
                    "symbol": sym,
                    "timeframe": tf,
                    "ts": int(t),
                    **dict(zip(OHLCV, vals, strict=True)),
                }
                for t, vals in zip(todo.index, todo.to_numpy().tolist(), strict=True)
            ]
            for start in range(0, len(rows), chunk_size):
                batch = rows[start : start + chunk_size]
                session.execute(self._upsert_statement(session), batch)
                if on_progress is not None:
                    on_progress(len(batch))
        updated = int((known & ~same).sum())
        return UpsertResult(
            inserted=int((~known).sum()), updated=updated, unchanged=int(same.sum())
        )

    def _upsert_statement(self, session: Session) -> Any:
        table = CandleRow.__table__
        assert isinstance(table, Table)
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(table)
        return stmt.on_conflict_do_update(
            index_elements=["symbol", "timeframe", "ts"],
            set_={c: stmt.excluded[c] for c in OHLCV},
        )

    @staticmethod
    def _existing(session: Session, sym: str, tf: str, lo: int, hi: int) -> pd.DataFrame:
        stmt = select(CandleRow.ts, *(getattr(CandleRow, c) for c in OHLCV)).where(
            CandleRow.symbol == sym, CandleRow.timeframe == tf, CandleRow.ts.between(lo, hi)
        )
        rows = session.execute(stmt).all()
        frame = pd.DataFrame(rows, columns=["ts", *OHLCV])
        return frame.set_index("ts").astype("float64")

    def load(
        self,
        symbol: str | Symbol,
        timeframe: str | Timeframe,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        last: int | None = None,
    ) -> pd.DataFrame:
        """Bars of one series as a candle frame (``start`` and ``end`` inclusive, UTC).

        ``last`` keeps only the newest N bars of the range. An unknown series gives an empty
        frame with the candle columns.
        """
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        cols = [CandleRow.ts, *(getattr(CandleRow, c) for c in OHLCV)]
        stmt = select(*cols).where(CandleRow.symbol == sym, CandleRow.timeframe == tf)
        if start is not None:
            stmt = stmt.where(CandleRow.ts >= to_ms(start))
        if end is not None:
            stmt = stmt.where(CandleRow.ts <= to_ms(end))
        if last is not None:
            stmt = stmt.order_by(CandleRow.ts.desc()).limit(last)
        else:
            stmt = stmt.order_by(CandleRow.ts)
        with self.store.session() as session:
            rows = session.execute(stmt).all()
        frame = pd.DataFrame(rows, columns=["ts", *OHLCV]).sort_values("ts")
        index = pd.DatetimeIndex(
            pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), unit="ms", utc=True),
            name="time",
        ).as_unit("ns")
        return pd.DataFrame(
            frame[list(OHLCV)].to_numpy(dtype="float64"), columns=list(OHLCV), index=index
        )

    def series(self) -> list[SeriesSummary]:
        """Every stored series with its first and last bar and bar count."""
        stmt = (
            select(
                CandleRow.symbol,
                CandleRow.timeframe,
                func.min(CandleRow.ts),
                func.max(CandleRow.ts),
                func.count(),
            )
            .group_by(CandleRow.symbol, CandleRow.timeframe)
            .order_by(CandleRow.symbol, CandleRow.timeframe)
        )
        with self.store.session() as session:
            rows = session.execute(stmt).all()
        return [
            SeriesSummary(
                symbol=s,
                timeframe=t,
                first=pd.Timestamp(int(lo), unit="ms", tz="UTC"),
                last=pd.Timestamp(int(hi), unit="ms", tz="UTC"),
                bars=int(n),
            )
            for s, t, lo, hi, n in rows
        ]

    def timestamps(self, symbol: str | Symbol, timeframe: str | Timeframe) -> pd.DatetimeIndex:
        """Bar open times of one series, ascending."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        stmt = (
            select(CandleRow.ts)
            .where(CandleRow.symbol == sym, CandleRow.timeframe == tf)
            .order_by(CandleRow.ts)
        )
        with self.store.session() as session:
            ts = np.fromiter(session.scalars(stmt), dtype=np.int64)
        return pd.DatetimeIndex(pd.to_datetime(ts, unit="ms", utc=True)).as_unit("ns")

    def delete(self, symbol: str | Symbol, timeframe: str | Timeframe) -> int:
        """Remove one series; returns the number of bars deleted."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        stmt = delete(CandleRow).where(CandleRow.symbol == sym, CandleRow.timeframe == tf)
        with self.store.session() as session:
            return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
