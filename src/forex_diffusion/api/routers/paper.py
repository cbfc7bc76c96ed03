"""Engine control over HTTP: start, pause, resume and stop paper runs trading in this server
(the work is :mod:`forex_diffusion.services.paper`).

Reading (``GET /paper``, ``GET /paper/{run_id}``) is open; every change needs the bearer token.
A run trades every stored bar after ``from`` and then each bar appended to the live feed
(``POST /candles``, ``fxd data import``), with the server's ``[trading]`` (the strategy chosen)
and its ``[signals]`` as the gate, both stored with the run. ``GET /paper/{run_id}`` finds
every paper run of the store; one that is not in this server is read from the store
(``in_server: false``). Errors become HTTP answers in :mod:`forex_diffusion.api.errors`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from forex_diffusion.api.common import parse_series, utc_time
from forex_diffusion.api.deps import ConfigDep, SupervisorDep, guarded
from forex_diffusion.api.schemas import PaperSnapshot
from forex_diffusion.services import paper
from forex_diffusion.services.paper import PaperStartRequest, PaperStatus

__all__ = ["PaperStart", "router"]

RunPath = Annotated[str, Path(description="The paper run's id.", max_length=64)]

router = APIRouter(prefix="/paper", tags=["paper trading"])


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


@router.get("", response_model=list[PaperSnapshot])
def runs(supervisor: SupervisorDep) -> list[PaperStatus]:
    """Paper runs started or resumed in this server, with state, account and positions."""
    return paper.server_runs(supervisor)


@router.get("/{run_id}", response_model=PaperSnapshot)
def run(supervisor: SupervisorDep, run_id: RunPath) -> PaperStatus:
    """A paper run's state, last bar, account and open positions: live when it is in this
    server, else from the store (404 when the store has no such paper run)."""
    return paper.server_status(supervisor, run_id)


@router.post("", status_code=201, dependencies=guarded, response_model=PaperSnapshot)
def start(supervisor: SupervisorDep, config: ConfigDep, request: PaperStart) -> PaperStatus:
    """Start a paper run in a background thread (201 with its snapshot); 404 for a series
    without bars, 409 for a run id already taken, 422 for an unknown strategy or field."""
    # as the CLI: a new strategy starts from its defaults, the configured one keeps the
    # configured parameters; given parameters override either (services.config.with_strategy)
    sym, tf = parse_series(request.symbol, request.timeframe)
    wanted = PaperStartRequest(
        symbol=sym,
        timeframe=tf,
        run_id=request.run_id,
        strategy=request.strategy,
        params=dict(request.params),
        start=None if request.start is None else pd.Timestamp(request.start),
    )
    return paper.start_in_server(supervisor, config, wanted)


@router.post("/{run_id}/pause", dependencies=guarded, response_model=PaperSnapshot)
def pause(supervisor: SupervisorDep, run_id: RunPath) -> PaperStatus:
    """Open no new positions; open ones are still managed (stops, targets, swaps). 409
    when it is not trading in this server."""
    return paper.pause_in_server(supervisor, run_id)


@router.post("/{run_id}/resume", dependencies=guarded, response_model=PaperSnapshot)
def resume(supervisor: SupervisorDep, run_id: RunPath) -> PaperStatus:
    """Trade again; a stopped or crashed stored run is rebuilt and continues. 409 naming
    the reason after the drawdown kill-switch, or when another process trades it."""
    return paper.resume_in_server(supervisor, run_id)


@router.post("/{run_id}/stop", dependencies=guarded, response_model=PaperSnapshot)
def stop(supervisor: SupervisorDep, run_id: RunPath) -> PaperStatus:
    """Stop after the current bar; the run stays resumable. 409 when it is not trading in
    this server."""
    return paper.stop_in_server(supervisor, run_id)
