"""Adaptations of the trading parameters (``parameter_adaptations``): what was proposed, on
what evidence, and its life: ``validated`` or ``rejected`` by a replay, ``deployed``, ``retired``
(or ``rolled_back`` by the online system).

An adaptation is usable by a run only when it is ``deployed`` and its evidence says it was
validated (``params_metadata["validated"]`` true): a deployment without validation is refused
with the reason (:meth:`AdaptationRepository.deploy`), and the loader requires it too.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from forex_diffusion.core.adaptation import Adaptation, TradingParameters
from forex_diffusion.core.errors import ConflictError, NotFoundError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import ParameterAdaptationRow, now_ms

__all__ = ["STATUSES", "AdaptationRepository"]

STATUSES = ("validated", "rejected", "deployed", "retired", "rolled_back")

_COLUMNS = (
    "id",
    "run_id",
    "ts",
    "symbol",
    "timeframe",
    "regime",
    "parameter_name",
    "old_value",
    "new_value",
    "status",
    "reason",
    "created_at",
)


def _row(r: ParameterAdaptationRow) -> dict[str, Any]:
    out = {c: getattr(r, c) for c in _COLUMNS}
    out["params_metadata"] = dict(r.params_metadata or {})
    return out


class AdaptationRepository:
    """Reads adaptations and moves them through their life."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, adaptation_id: str) -> dict[str, Any]:
        """One adaptation (its columns and ``params_metadata``); a :class:`NotFoundError`
        naming the id when there is none."""
        with self.store.session() as session:
            row = session.get(ParameterAdaptationRow, adaptation_id)
            if row is None:
                raise NotFoundError(
                    f"no adaptation {adaptation_id!r} in the store (see `fxd params list`)"
                )
            return _row(row)

    def find(
        self,
        *,
        symbol: Symbol | None = None,
        timeframe: Timeframe | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """Adaptations, oldest first."""
        stmt = select(ParameterAdaptationRow).order_by(
            ParameterAdaptationRow.created_at, ParameterAdaptationRow.id
        )
        if symbol is not None:
            stmt = stmt.where(ParameterAdaptationRow.symbol == symbol.name)
        if timeframe is not None:
            stmt = stmt.where(ParameterAdaptationRow.timeframe == timeframe.value)
        if status is not None:
            stmt = stmt.where(ParameterAdaptationRow.status == status)
        with self.store.session() as session:
            return [_row(r) for r in session.scalars(stmt)]

    def _set(self, adaptation_id: str, status: str, *, note: dict[str, Any]) -> dict[str, Any]:
        with self.store.session() as session:
            row = session.get(ParameterAdaptationRow, adaptation_id)
            if row is None:
                raise NotFoundError(f"no adaptation {adaptation_id!r} in the store")
            row.status = status
            row.params_metadata = {**(row.params_metadata or {}), **note}
            return _row(row)

    def deploy(self, adaptation_id: str) -> dict[str, Any]:
        """Deploy a validated adaptation (a retired one again too): runs with
        ``use_optimized_parameters`` take it from their next bar. An adaptation that was not
        validated is refused (:class:`ConflictError` with the reason its validation gave)."""
        row = self.get(adaptation_id)
        evidence = row["params_metadata"]
        if row["status"] == "deployed":
            return row
        if not evidence.get("validated") or row["status"] not in ("validated", "retired"):
            why = evidence.get("verdict") or "it has no replay validation"
            raise ConflictError(
                f"adaptation {adaptation_id} cannot be deployed: it is {row['status']} ({why})"
            )
        return self._set(adaptation_id, "deployed", note={"deployed_at": now_ms()})

    def retire(self, adaptation_id: str) -> dict[str, Any]:
        """Take a deployed adaptation out of use (runs fall back to the one deployed before
        it, or to the configured parameters)."""
        row = self.get(adaptation_id)
        if row["status"] != "deployed":
            raise ConflictError(
                f"adaptation {adaptation_id} is {row['status']}, not deployed: nothing to retire"
            )
        return self._set(adaptation_id, "retired", note={"retired_at": now_ms()})

    def deployed(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        *,
        made_before: pd.Timestamp | None = None,
    ) -> list[Adaptation]:
        """The deployed, validated adaptations of a series in deployment order (oldest
        first); ``made_before``: only those made from bars before that time."""
        out = []
        rows = self.find(symbol=symbol, timeframe=timeframe, status="deployed")
        rows.sort(key=lambda r: (r["params_metadata"].get("deployed_at", r["created_at"]), r["id"]))
        for r in rows:
            evidence = r["params_metadata"]
            made = pd.Timestamp(r["ts"], unit="ms", tz="UTC")
            if not evidence.get("validated") or "params_after" not in evidence:
                continue
            if made_before is not None and made >= made_before:
                continue
            out.append(
                Adaptation(
                    adaptation_id=r["id"],
                    symbol=symbol.name,
                    timeframe=timeframe.value,
                    regime=r["regime"],
                    made_until=made,
                    params=TradingParameters.from_dict(
                        evidence["params_after"], where=f"adaptation {r['id']}"
                    ),
                )
            )
        return out
