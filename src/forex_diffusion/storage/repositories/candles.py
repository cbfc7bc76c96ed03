"""Candle repository: idempotent upserts in one transaction, range loads, series summaries.

:meth:`CandleRepository.write` is the guarded write of user data (``fxd data import``,
``POST /candles``): the timeframe's spacing is checked too, and a new or changed bar at or
before the newest bar a run (backtest or paper) has processed on the series is refused unless
the write is a correction, which is recorded in ``candle_corrections`` (old and new values) in
the same transaction. :meth:`CandleRepository.upsert` is the unguarded upsert of bars the
project derives itself (the bundled sample, resampled series).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from forex_diffusion.core.errors import CandleDataError, ConfigError, ConflictError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data.candles import OHLCV, format_ts, validate_candles
from forex_diffusion.data.spacing import check_spacing
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import CandleCorrectionRow, CandleRow, RunRow, to_ms

__all__ = ["CandleRepository", "SeriesSummary", "TradedUpTo", "UpsertResult"]

ProgressCallback = Callable[[int], None]
"""Called with the number of rows just written."""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What an import did: new bars, changed bars overwritten, identical bars left alone, and
    of the new and changed ones, how many were recorded as corrections."""

    inserted: int
    updated: int
    unchanged: int
    corrected: int = 0

    @property
    def total(self) -> int:
        """Bars in the input."""
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            inserted=self.inserted + other.inserted,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            corrected=self.corrected + other.corrected,
        )


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """One stored (symbol, timeframe) series."""

    symbol: str
    timeframe: str
    first: pd.Timestamp
    last: pd.Timestamp
    bars: int


@dataclass(frozen=True, slots=True)
class TradedUpTo:
    """The newest bar of a series that a run has processed (``runs.last_bar_ts``)."""

    run_id: str
    ts: pd.Timestamp


def _ms(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.as_unit("ms").asi8, dtype=np.int64)


def _bar(values: Any) -> dict[str, float]:
    return {c: float(v) for c, v in zip(OHLCV, values, strict=True)}


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
        incoming = self._incoming(validate_candles(candles))
        with self.store.session() as session:
            _existing, known, same = self._compare(session, sym, tf, incoming)
            self._write(session, sym, tf, incoming.loc[~same], chunk_size, on_progress)
        updated = int((known & ~same).sum())
        return UpsertResult(
            inserted=int((~known).sum()), updated=updated, unchanged=int(same.sum())
        )

    def write(
        self,
        symbol: str | Symbol,
        timeframe: str | Timeframe,
        candles: pd.DataFrame,
        *,
        correction: bool = False,
        reason: str | None = None,
        chunk_size: int = 5000,
        on_progress: ProgressCallback | None = None,
    ) -> UpsertResult:
        """Write bars of the live feed, a file or a correction, in one transaction or not at
        all.

        The bars are checked as ``fxd data import --timeframe`` checks a file: the candle
        contract (:func:`validate_candles`: order, duplicates, finite positive prices that
        contain open and close) and the timeframe's spacing (:func:`check_spacing`: an H1 bar
        at 05:30 is refused, one bar too). Then, against the store:

        - a bar identical to the stored one changes nothing (``unchanged``), wherever it is;
        - a new or changed bar after the newest bar any run has traded on the series
          (:meth:`traded_up_to`) is written;
        - a new or changed bar at or before it is refused (:class:`ConflictError` naming the
          bar and the run) unless ``correction``; a correction overwrites it and records it
          in ``candle_corrections`` with the old values (``None`` for a bar that was missing:
          a filled gap) and the new ones. Every bar a correction replaces is recorded, even
          one after the traded bar; a correction that changes nothing records nothing.

        Raises
        ------
        CandleDataError
            A bar breaks the contract or the timeframe's spacing (names the row and column).
        ConflictError
            A bar would change what a run traded, and this is not a correction.
        ConfigError
            A ``reason`` without ``correction``.
        """
        return self.write_many(
            symbol,
            timeframe,
            [candles],
            correction=correction,
            reason=reason,
            chunk_size=chunk_size,
            on_progress=on_progress,
        )

    def write_many(
        self,
        symbol: str | Symbol,
        timeframe: str | Timeframe,
        frames: Iterable[pd.DataFrame],
        *,
        correction: bool = False,
        reason: str | None = None,
        chunk_size: int = 5000,
        on_progress: ProgressCallback | None = None,
    ) -> UpsertResult:
        """:meth:`write` for bars that come in frames, in time order (a file read chunk by
        chunk: ``data.open_candles``), all in one transaction or not at all; memory holds one
        frame at a time. A conflict's row counts from the first frame's first bar; a frame that
        breaks the candle contract or the spacing is named by its number and its own row."""
        sym, tf_ = Symbol.parse(symbol).name, Timeframe.parse(timeframe)
        tf = tf_.value
        if reason is not None and not correction:
            raise ConfigError("reason: only a correction has a reason (set correction)")
        total = UpsertResult(inserted=0, updated=0, unchanged=0, corrected=0)
        with self.store.session() as session:
            traded = self._traded(session, sym, tf)
            offset, previous, last = 0, None, None
            step = pd.Timedelta(tf_.delta)
            for number, candles in enumerate(frames):
                last = candles
                if candles.empty:  # an empty frame among others adds nothing
                    continue
                try:
                    frame = validate_candles(candles)
                    index = pd.DatetimeIndex(frame.index)
                    check_spacing(index, tf_)
                except CandleDataError as exc:
                    if number == 0:  # the first (or only) frame: the error as it is
                        raise
                    raise CandleDataError(
                        f"frame {number}: {exc}",
                        position=exc.position,
                        column=exc.column,
                        timestamp=exc.timestamp,
                        reason=exc.reason,
                    ) from None
                if previous is not None and index[0] - previous < step:
                    what = "not after" if index[0] <= previous else f"less than one {tf} bar after"
                    raise CandleDataError(
                        f"row {offset}, column 'time': {format_ts(index[0])} is {what} "
                        f"the bar before it ({format_ts(previous)})"
                    )
                part = self._write_frame(
                    session,
                    sym,
                    tf,
                    frame,
                    traded,
                    offset,
                    correction,
                    reason,
                    chunk_size,
                    on_progress,
                )
                total = total + part
                offset += len(frame)
                previous = index[-1]
            if previous is None:  # no bars at all: the contract's own error
                validate_candles(pd.DataFrame() if last is None else last)
        return total

    def _write_frame(
        self,
        session: Session,
        sym: str,
        tf: str,
        frame: pd.DataFrame,
        traded: TradedUpTo | None,
        offset: int,
        correction: bool,
        reason: str | None,
        chunk_size: int,
        on_progress: ProgressCallback | None,
    ) -> UpsertResult:
        """One validated frame of :meth:`write_many`."""
        incoming = self._incoming(frame)
        existing, known, same = self._compare(session, sym, tf, incoming)
        early = np.zeros(len(incoming), dtype=bool)
        if traded is not None:
            early = incoming.index.to_numpy() <= to_ms(traded.ts)
        touched = ~same & early
        if touched.any() and not correction:
            assert traded is not None
            pos = int(np.argmax(touched))
            stamp = format_ts(pd.Timestamp(int(incoming.index[pos]), unit="ms", tz="UTC"))
            raise ConflictError(
                f"row {offset + pos} ({stamp}), column 'time': run {traded.run_id} has traded "
                f"{sym} {tf} up to {format_ts(traded.ts)}; a new or changed bar at or before "
                "it is a correction (set correction, with a reason; it is recorded)"
            )
        recorded = ~same & (known | early) if correction else np.zeros_like(same)
        if recorded.any():
            session.execute(
                insert(CandleCorrectionRow),
                [
                    {
                        "symbol": sym,
                        "timeframe": tf,
                        "ts": int(t),
                        "old": _bar(existing.loc[t]) if t in existing.index else None,
                        "new": _bar(incoming.loc[t]),
                        "reason": reason,
                    }
                    for t in incoming.index[recorded]
                ],
            )
        self._write(session, sym, tf, incoming.loc[~same], chunk_size, on_progress)
        return UpsertResult(
            inserted=int((~known).sum()),
            updated=int((known & ~same).sum()),
            unchanged=int(same.sum()),
            corrected=int(recorded.sum()),
        )

    def traded_up_to(self, symbol: str | Symbol, timeframe: str | Timeframe) -> TradedUpTo | None:
        """The newest bar of the series that any run has processed, with that run, or
        ``None`` when no run has traded it."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        with self.store.session() as session:
            return self._traded(session, sym, tf)

    def corrections(
        self, symbol: str | Symbol, timeframe: str | Timeframe, *, last: int | None = None
    ) -> list[dict[str, Any]]:
        """Recorded corrections of a series, oldest first (``last``: the newest N), as
        JSON-ready dicts: ``time`` (the bar), ``old`` (``None`` for a filled gap), ``new``,
        ``reason`` and ``recorded_at``."""
        sym, tf = Symbol.parse(symbol).name, Timeframe.parse(timeframe).value
        stmt = (
            select(CandleCorrectionRow)
            .where(CandleCorrectionRow.symbol == sym, CandleCorrectionRow.timeframe == tf)
            .order_by(CandleCorrectionRow.id.desc())
        )
        if last is not None:
            stmt = stmt.limit(last)
        with self.store.session() as session:
            rows = [
                {
                    "time": pd.Timestamp(r.ts, unit="ms", tz="UTC").isoformat(),
                    "old": r.old,
                    "new": r.new,
                    "reason": r.reason,
                    "recorded_at": pd.Timestamp(r.recorded_at, unit="ms", tz="UTC").isoformat(),
                }
                for r in session.scalars(stmt)
            ]
        return rows[::-1]

    @staticmethod
    def _incoming(frame: pd.DataFrame) -> pd.DataFrame:
        """The OHLCV values of a validated frame indexed by epoch ms."""
        ts = _ms(pd.DatetimeIndex(frame.index))
        return pd.DataFrame(frame[list(OHLCV)].to_numpy(), columns=list(OHLCV), index=ts)

    def _compare(
        self, session: Session, sym: str, tf: str, incoming: pd.DataFrame
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """The stored bars in the range of ``incoming``, and per incoming bar whether it is
        stored and whether it is stored with the same values."""
        ts = incoming.index
        existing = self._existing(session, sym, tf, int(ts[0]), int(ts[-1]))
        known = np.asarray(ts.isin(existing.index), dtype=bool)
        same = np.zeros(len(incoming), dtype=bool)
        if known.any():
            old = existing.reindex(ts[known])
            same[known] = (old.to_numpy() == incoming.loc[known].to_numpy()).all(axis=1)
        return existing, known, same

    def _write(
        self,
        session: Session,
        sym: str,
        tf: str,
        todo: pd.DataFrame,
        chunk_size: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        stmt = self._upsert_statement(session)
        times, values = todo.index.to_numpy(), todo.to_numpy()
        for start in range(0, len(todo), chunk_size):  # rows made per chunk: bounded memory
            stop = start + chunk_size
            batch = [
                {
                    "symbol": sym,
                    "timeframe": tf,
                    "ts": int(t),
                    **dict(zip(OHLCV, vals, strict=True)),
                }
                for t, vals in zip(times[start:stop], values[start:stop].tolist(), strict=True)
            ]
            session.execute(stmt, batch)
            if on_progress is not None:
                on_progress(len(batch))

    @staticmethod
    def _traded(session: Session, sym: str, tf: str) -> TradedUpTo | None:
        stmt = (
            select(RunRow.run_id, RunRow.last_bar_ts)
            .where(
                RunRow.symbol == sym,
                RunRow.timeframe == tf,
                RunRow.last_bar_ts.is_not(None),
            )
            .order_by(RunRow.last_bar_ts.desc(), RunRow.run_id)
            .limit(1)
        )
        found = session.execute(stmt).first()
        if found is None:
            return None
        return TradedUpTo(
            run_id=found.run_id, ts=pd.Timestamp(int(found.last_bar_ts), unit="ms", tz="UTC")
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
