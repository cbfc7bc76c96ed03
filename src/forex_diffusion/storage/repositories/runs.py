"""Run bookkeeping: create a run with its config hash, finish it, find the latest of a kind."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from forex_diffusion.core.errors import StorageError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import RunRow, now_ms

__all__ = ["RunRepository"]


def _as_dict(row: RunRow) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in RunRow.__mapper__.column_attrs}


class RunRepository:
    """Reads and writes ``runs``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        *,
        kind: str,
        config_hash: str,
        config: dict[str, Any] | None = None,
        symbol: str | None = None,
        timeframe: str | None = None,
        strategy: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """A new run in status ``running``; returns its id (a new uuid unless given)."""
        rid = run_id or uuid.uuid4().hex
        with self.store.session() as session:
            if session.get(RunRow, rid) is not None:
                raise StorageError(f"run {rid!r} already exists")
            session.add(
                RunRow(
                    run_id=rid,
                    kind=kind,
                    status="running",
                    config_hash=config_hash,
                    config=config,
                    symbol=Symbol.parse(symbol).name if symbol else None,
                    timeframe=Timeframe.parse(timeframe).value if timeframe else None,
                    strategy=strategy,
                )
            )
        return rid

    def finish(
        self,
        run_id: str,
        *,
        status: str = "done",
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Mark a run done (or failed) with its metrics."""
        with self.store.session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise StorageError(f"no run {run_id!r} in the store")
            row.status, row.finished_at, row.error = status, now_ms(), error
            if metrics is not None:
                row.metrics = metrics

    def get(self, run_id: str) -> dict[str, Any] | None:
        """A run as a dict, or ``None``."""
        with self.store.session() as session:
            row = session.get(RunRow, run_id)
            return None if row is None else _as_dict(row)

    def latest(
        self, *, kind: str, symbol: str | None = None, timeframe: str | None = None
    ) -> dict[str, Any] | None:
        """The newest finished run of a kind (optionally for one series), or ``None``."""
        stmt = select(RunRow).where(RunRow.kind == kind, RunRow.status == "done")
        if symbol:
            stmt = stmt.where(RunRow.symbol == Symbol.parse(symbol).name)
        if timeframe:
            stmt = stmt.where(RunRow.timeframe == Timeframe.parse(timeframe).value)
        stmt = stmt.order_by(RunRow.started_at.desc()).limit(1)
        with self.store.session() as session:
            row = session.scalars(stmt).first()
            return None if row is None else _as_dict(row)

    def list(self, *, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Runs, newest first (optionally of one kind)."""
        stmt = select(RunRow)
        if kind:
            stmt = stmt.where(RunRow.kind == kind)
        stmt = stmt.order_by(RunRow.started_at.desc(), RunRow.run_id).limit(limit)
        with self.store.session() as session:
            return [_as_dict(row) for row in session.scalars(stmt)]

    def update(self, run_id: str, **values: Any) -> None:
        """Set columns of a run (``status``, ``error``, ``metrics``...)."""
        with self.store.session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise StorageError(f"no run {run_id!r} in the store")
            for key, value in values.items():
                if key not in RunRow.__mapper__.column_attrs:
                    raise StorageError(f"runs has no column {key!r}")
                setattr(row, key, value)
