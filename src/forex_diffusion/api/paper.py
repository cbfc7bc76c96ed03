"""Engine control over HTTP: start, pause, resume and stop paper runs trading in this server.

Reading (``GET /paper``, ``GET /paper/{run_id}``) is open; every change needs the bearer token.
A run trades every stored bar after ``from`` and then each bar appended to the live feed
(``POST /candles``, ``fxd data import``). ``GET /paper/{run_id}`` finds every paper run of the
store; one that is not in this server is read from the store (``in_server: false``). See
:mod:`forex_diffusion.trading.paper_control`. Errors become HTTP answers in :mod:`.errors`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from forex_diffusion.api.common import parse_series, utc_time
from forex_diffusion.api.schemas import PaperSnapshot
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.trading.paper_control import PaperSupervisor
from forex_diffusion.trading.strategies import check_strategy

__all__ = ["PaperStart", "paper_router"]

RunPath = Annotated[str, Path(description="The paper run's id.", max_length=64)]


class PaperStart(BaseModel):
    """A new paper run on one series. Unknown fields are refused (422 naming them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    symbol: str = Field(max_length=16)
    timeframe: str = Field(max_length=8)
    run_id: str | None = Field(default=None, max_length=24, description="default: a new id")
    strategy: str | None = Field(default=None, description="default: [trading] strategy")
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)
    start: datetime | None = Field(
        default=None,
        alias="from",
        description="trade the bars after this time (ISO 8601; UTC when it has no offset, as "
        "the CLI's --from); earlier ones warm up. Default: every stored bar",
    )

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc_time(value, "from")


def paper_router(
    supervisor: PaperSupervisor, *, trading: TradingConfig, auth: Callable[..., None]
) -> APIRouter:
    """The ``/paper`` endpoints over ``supervisor``; ``trading`` is the configured default."""
    router = APIRouter(prefix="/paper", tags=["paper trading"])
    guarded = [Depends(auth)]

    @router.get("", response_model=list[PaperSnapshot])
    def runs() -> list[dict[str, Any]]:
        """Paper runs started or resumed in this server, with state, account and positions."""
        return supervisor.list()

    @router.get("/{run_id}", response_model=PaperSnapshot)
    def run(run_id: RunPath) -> dict[str, Any]:
        """A paper run's state, last bar, account and open positions: live when it is in this
        server, else from the store (404 when the store has no such paper run)."""
        return supervisor.snapshot(run_id)

    @router.post("", status_code=201, dependencies=guarded, response_model=PaperSnapshot)
    def start(request: PaperStart) -> dict[str, Any]:
        """Start a paper run in a background thread (201 with its snapshot); 404 for a series
        without bars, 409 for a run id already taken, 422 for an unknown strategy or field."""
        sym, tf = parse_series(request.symbol, request.timeframe)
        # as the CLI: a new strategy starts from its defaults, the configured one keeps the
        # configured parameters; given parameters override either
        if request.strategy:
            update: dict[str, Any] = {"strategy": request.strategy, "strategy_params": {}}
        else:
            update = {"strategy_params": dict(trading.strategy_params)}
        update["strategy_params"].update(request.params)
        config = trading.model_copy(update=update)
        check_strategy(config.strategy, config.strategy_params)  # a ConfigError names the fault
        run_id = request.run_id or f"paper-{uuid.uuid4().hex[:10]}"
        return supervisor.start(
            run_id=run_id,
            symbol=sym.name,
            timeframe=tf.value,
            config=config,
            start=None if request.start is None else pd.Timestamp(request.start),
        )

    @router.post("/{run_id}/pause", dependencies=guarded, response_model=PaperSnapshot)
    def pause(run_id: RunPath) -> dict[str, Any]:
        """Open no new positions; open ones are still managed (stops, targets, swaps). 409
        when it is not trading in this server."""
        return supervisor.pause(run_id)

    @router.post("/{run_id}/resume", dependencies=guarded, response_model=PaperSnapshot)
    def resume(run_id: RunPath) -> dict[str, Any]:
        """Trade again; a stopped or crashed stored run is rebuilt and continues. 409 naming
        the reason after the drawdown kill-switch, or when another process trades it."""
        return supervisor.resume(run_id)

    @router.post("/{run_id}/stop", dependencies=guarded, response_model=PaperSnapshot)
    def stop(run_id: RunPath) -> dict[str, Any]:
        """Stop after the current bar; the run stays resumable. 409 when it is not trading in
        this server."""
        return supervisor.stop(run_id)

    return router
