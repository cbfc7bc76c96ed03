"""Run bookkeeping: create a run with its config hash, finish it, find the latest of a kind.

Every command that runs something goes through :meth:`RunRepository.recording` (a new run) or
:meth:`RunRepository.running` (a stored run continued, e.g. a paper resume): the run is stored
``running`` with its owner (``host:pid``) and a heartbeat, and finished on the way out, whatever
happens: ``done`` (or the status the body chose), ``failed`` with the reason when the body
raises (a :class:`RunFailedError` keeps its one-line cause), ``stopped`` (no error) on
Ctrl-C. A run whose process died without finishing it (``kill -9``, a power cut) reads as
``interrupted``: its owner's process is gone (same host) or its heartbeat is older than
:data:`STALE_AFTER_MS`.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from forex_diffusion.core.errors import (
    ConflictError,
    NotFoundError,
    RunFailedError,
    StorageError,
    describe,
)
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import RunRow, now_ms

__all__ = [
    "LIVE_STATUSES",
    "STALE_AFTER_MS",
    "RunHandle",
    "RunRepository",
    "held_elsewhere",
    "this_process",
]

LIVE_STATUSES = ("running", "paused")
"""Statuses of a run whose process is trading it."""
STALE_AFTER_MS = 120_000
"""A live run whose owner is on another host and has not beaten for this long is
``interrupted``."""
HEARTBEAT_EVERY_S = 10.0
"""How often :meth:`RunHandle.beat` writes (at most)."""


def this_process() -> str:
    """``host:pid`` of this process (a run's owner)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool | None:
    """Whether the owner's process is alive: ``None`` when it runs on another host."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def held_elsewhere(run: dict[str, Any]) -> str | None:
    """Why another live process holds a stored run (``running``/``paused`` there), or
    ``None`` (see :meth:`RunRepository.get`: a dead owner reads ``interrupted``)."""
    owner = run.get("owner")
    if run["status"] in LIVE_STATUSES and owner and owner != this_process():
        return f"it is {run['status']} in process {owner}"
    return None


def _as_dict(row: RunRow) -> dict[str, Any]:
    out = {attr.key: getattr(row, attr.key) for attr in RunRow.__mapper__.column_attrs}
    if out["status"] in LIVE_STATUSES and out["owner"]:
        alive = _alive(out["owner"])
        if alive is None:
            beat = out["heartbeat_at"] or out["started_at"]
            alive = now_ms() - beat < STALE_AFTER_MS
        if not alive:
            out["status"] = "interrupted"
    return out


@dataclass
class RunHandle:
    """A run being recorded (see :meth:`RunRepository.recording`): set :attr:`metrics`,
    :attr:`status` or call :meth:`fail`; :meth:`beat` from long loops."""

    run_id: str
    repository: RunRepository
    status: str = "done"
    """Stored when the body ends normally."""
    metrics: dict[str, Any] | None = None
    error: str | None = None
    _last_beat: float = field(default_factory=time.monotonic, repr=False)

    def fail(self, cause: str) -> None:
        """Store the run as ``failed`` with ``cause`` when the body ends (it goes on)."""
        self.status, self.error = "failed", cause

    def beat(self, *, force: bool = False) -> None:
        """Tell the store this process is alive (at most every :data:`HEARTBEAT_EVERY_S`)."""
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_EVERY_S:
            self.repository.update(self.run_id, heartbeat_at=now_ms())
            self._last_beat = now


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
                raise ConflictError(f"run {rid!r} already exists (pick another --run-id)")
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
                    owner=this_process(),
                    heartbeat_at=now_ms(),
                )
            )
        return rid

    @contextmanager
    def recording(
        self,
        *,
        kind: str,
        config_hash: str,
        config: dict[str, Any] | None = None,
        symbol: str | None = None,
        timeframe: str | None = None,
        strategy: str | None = None,
        run_id: str | None = None,
    ) -> Iterator[RunHandle]:
        """Create a run (as :meth:`create`) and finish it when the block ends (see the module
        docstring)."""
        rid = self.create(
            kind=kind,
            config_hash=config_hash,
            config=config,
            symbol=symbol,
            timeframe=timeframe,
            strategy=strategy,
            run_id=run_id,
        )
        with self._lifecycle(RunHandle(rid, self)) as handle:
            yield handle

    @contextmanager
    def running(self, run_id: str, *, status: str = "done") -> Iterator[RunHandle]:
        """Continue a stored run in this process (a paper resume): ``running`` with this
        process as its owner, finished when the block ends (``status`` on a normal end). A
        :class:`ConflictError` when another live process owns it."""
        row = self.get(run_id)
        if row is None:
            raise NotFoundError(f"no run {run_id!r} in the store (see `fxd runs list`)")
        elsewhere = held_elsewhere(row)
        if elsewhere:
            raise ConflictError(f"run {run_id}: {elsewhere}; stop it first")
        self.update(
            run_id,
            status="running" if row["status"] != "paused" else "paused",
            owner=this_process(),
            heartbeat_at=now_ms(),
            finished_at=None,
            error=None,
        )
        with self._lifecycle(RunHandle(run_id, self, status=status)) as handle:
            yield handle

    @contextmanager
    def _lifecycle(self, handle: RunHandle) -> Iterator[RunHandle]:
        try:
            yield handle
        except KeyboardInterrupt:
            self.finish(handle.run_id, status="stopped", metrics=handle.metrics)
            raise
        except RunFailedError as exc:
            self.finish(handle.run_id, status="failed", metrics=handle.metrics, error=exc.cause)
            raise
        except BaseException as exc:
            self.finish(handle.run_id, status="failed", metrics=handle.metrics, error=describe(exc))
            raise
        self.finish(handle.run_id, status=handle.status, metrics=handle.metrics, error=handle.error)

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
                raise NotFoundError(f"no run {run_id!r} in the store")
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
                raise NotFoundError(f"no run {run_id!r} in the store")
            for key, value in values.items():
                if key not in RunRow.__mapper__.column_attrs:
                    raise StorageError(f"runs has no column {key!r}")
                setattr(row, key, value)
