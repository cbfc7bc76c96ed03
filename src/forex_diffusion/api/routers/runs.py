"""``/runs``: stored runs of every kind, with a run's trades, equity curve and positions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from forex_diffusion.api.common import plain, records
from forex_diffusion.api.deps import StoreDep
from forex_diffusion.api.schemas import RunDetail, RunOut
from forex_diffusion.core.errors import NotFoundError
from forex_diffusion.storage import RunRepository, TradingRepository

__all__ = ["router"]

router = APIRouter(tags=["runs"])


@router.get("/runs", response_model=list[RunOut])
def runs(
    store: StoreDep,
    kind: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """Runs, newest first."""
    return [plain(r) for r in RunRepository(store).list(kind=kind, limit=limit)]


@router.get("/runs/{run_id}", response_model=RunDetail)
def run(store: StoreDep, run_id: str) -> dict[str, Any]:
    """A run with its trades and equity curve (404 for an unknown run)."""
    found = RunRepository(store).get(run_id)
    if found is None:
        raise NotFoundError(f"no run {run_id!r}")
    repo = TradingRepository(store)
    return {
        **plain(found),
        "trades": records(repo.trades(run_id)),
        "equity": records(repo.equity(run_id).reset_index()),
        "positions": repo.positions(run_id),
    }
