"""Run bookkeeping: runs, trained models and adaptive-parameter history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forex_diffusion.storage.models.base import Base, now_ms

__all__ = ["ParameterAdaptationRow", "RunRow", "TrainedModelRow"]


class RunRow(Base):
    """A backtest, walk-forward, paper or training run, with the hash of its config."""

    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), doc="backtest, walkforward, paper, train, ...")
    status: Mapped[str] = mapped_column(String(16), doc="created, running, paused, done, failed")
    config_hash: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any] | None]
    symbol: Mapped[str | None] = mapped_column(String(16))
    timeframe: Mapped[str | None] = mapped_column(String(4))
    strategy: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[int] = mapped_column(default=now_ms)
    finished_at: Mapped[int | None]
    last_bar_ts: Mapped[int | None] = mapped_column(doc="last processed bar, for resume")
    error: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any] | None]
    heartbeat_at: Mapped[int | None] = mapped_column(
        doc="wall-clock ms of the live process's last sign of life (paper runs)"
    )
    owner: Mapped[str | None] = mapped_column(String(128), doc="host:pid of that process")


class TrainedModelRow(Base):
    """A trained forecaster checkpoint and what it was trained on."""

    __tablename__ = "trained_models"

    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(16))
    timeframe: Mapped[str] = mapped_column(String(4))
    path: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any] | None]
    horizons: Mapped[list[Any]]
    data_start_ts: Mapped[int]
    data_end_ts: Mapped[int]
    data_hash: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any] | None]
    created_at: Mapped[int] = mapped_column(default=now_ms)


class ParameterAdaptationRow(Base):
    """One change made by the adaptive parameter system, with why and on what evidence."""

    __tablename__ = "parameter_adaptations"
    __table_args__ = (Index("ix_parameter_adaptations_scope", "symbol", "timeframe", "ts"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, doc="uuid4 hex")
    run_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("runs.run_id"))
    ts: Mapped[int]
    symbol: Mapped[str | None] = mapped_column(String(16))
    timeframe: Mapped[str | None] = mapped_column(String(4))
    regime: Mapped[str | None] = mapped_column(String(32))
    parameter_name: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[float | None]
    new_value: Mapped[float]
    status: Mapped[str] = mapped_column(String(16), doc="deployed, rolled_back or rejected")
    reason: Mapped[str | None] = mapped_column(Text)
    params_metadata: Mapped[dict[str, Any] | None]
    created_at: Mapped[int] = mapped_column(default=now_ms)
