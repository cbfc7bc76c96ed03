"""Trained-model registry: checkpoints and what they were trained on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import TrainedModelRow

__all__ = ["TrainedModelRepository"]


class TrainedModelRepository:
    """Reads and writes ``trained_models``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def register(
        self,
        *,
        model_id: str,
        kind: str,
        symbol: str,
        timeframe: str,
        path: str,
        config: dict[str, Any],
        horizons: list[int],
        data_start_ms: int,
        data_end_ms: int,
        data_hash: str,
        metrics: dict[str, Any],
    ) -> None:
        """Add or replace a model's row (one transaction)."""
        with self.store.session() as session:
            row = session.get(TrainedModelRow, model_id) or TrainedModelRow(model_id=model_id)
            row.kind, row.path, row.config, row.horizons = kind, path, config, horizons
            row.symbol = Symbol.parse(symbol).name
            row.timeframe = Timeframe.parse(timeframe).value
            row.data_start_ts, row.data_end_ts, row.data_hash = (
                data_start_ms,
                data_end_ms,
                data_hash,
            )
            row.metrics = metrics
            session.add(row)

    def latest(
        self, symbol: str, timeframe: str, *, kind: str = "diffusion"
    ) -> dict[str, Any] | None:
        """The newest registered model for a series, as a dict, or ``None``."""
        found = self.fitted_before(symbol, timeframe, kind=kind, limit=1)
        return found[0] if found else None

    def fitted_before(
        self,
        symbol: str,
        timeframe: str,
        *,
        kind: str = "diffusion",
        end_ms: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The registered models of a series, newest first, as dicts; with ``end_ms`` only
        those fitted on bars up to that time (epoch ms) at the latest."""
        stmt = select(TrainedModelRow).where(
            TrainedModelRow.symbol == Symbol.parse(symbol).name,
            TrainedModelRow.timeframe == Timeframe.parse(timeframe).value,
            TrainedModelRow.kind == kind,
        )
        if end_ms is not None:
            stmt = stmt.where(TrainedModelRow.data_end_ts <= end_ms)
        stmt = stmt.order_by(
            TrainedModelRow.created_at.desc(),
            TrainedModelRow.data_end_ts.desc(),
            TrainedModelRow.model_id,
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.store.session() as session:
            return [
                {
                    "model_id": row.model_id,
                    "path": row.path,
                    "created_at": row.created_at,
                    "data_end_ts": row.data_end_ts,
                    "horizons": list(row.horizons or []),
                    "metrics": row.metrics,
                }
                for row in session.scalars(stmt)
            ]
