"""Engine control over HTTP: start, pause, resume and stop paper runs trading in this server.

Reading (``GET /paper``, ``GET /paper/{run_id}``) is open; every change needs the bearer token.
A run trades every stored bar after its start and then each bar appended to the live feed
(``POST /candles``, ``fxd data import``). See :mod:`forex_diffusion.trading.paper_control`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import AwareDatetime, BaseModel, Field

from forex_diffusion.api.common import parse_series
from forex_diffusion.core.errors import ConfigError, DataError, StorageError
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.trading.paper_control import PaperSupervisor
from forex_diffusion.trading.strategies import make_strategy

__all__ = ["PaperStart", "paper_router"]

RunPath = Annotated[str, Path(description="The paper run's id.", max_length=24)]


class PaperStart(BaseModel):
    """A new paper run on one series."""

    symbol: str
    timeframe: str
    run_id: str | None = Field(default=None, max_length=24, description="default: a new id")
    strategy: str | None = Field(default=None, description="default: [trading] strategy")
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)
    start: AwareDatetime | None = Field(
        default=None, description="trade the bars after this time; earlier ones warm up"
    )


def paper_router(
    supervisor: PaperSupervisor, *, trading: TradingConfig, auth: Callable[..., None]
) -> APIRouter:
    """The ``/paper`` endpoints over ``supervisor``; ``trading`` is the configured default."""
    router = APIRouter(prefix="/paper", tags=["paper trading"])
    guarded = [Depends(auth)]

    def control(action: Callable[[], dict[str, Any]], run_id: str) -> dict[str, Any]:
        try:
            return action()
        except KeyError:
            raise HTTPException(404, f"no paper run {run_id} in this server or store") from None
        except (ConfigError, StorageError) as exc:
            raise HTTPException(409, str(exc)) from None

    @router.get("")
    def runs() -> list[dict[str, Any]]:
        """Paper runs started or resumed in this server, with state, account and positions."""
        return supervisor.list()

    @router.get("/{run_id}")
    def run(run_id: RunPath) -> dict[str, Any]:
        """A run's state, last bar, account and open positions (404 if not in this server)."""
        return control(lambda: supervisor.snapshot(run_id), run_id)

    @router.post("", status_code=201, dependencies=guarded)
    def start(request: PaperStart) -> dict[str, Any]:
        """Start a paper run in a background thread (201 with its snapshot)."""
        sym, tf = parse_series(request.symbol, request.timeframe)
        # as the CLI: a new strategy starts from its defaults, the configured one keeps the
        # configured parameters; given parameters override either
        if request.strategy:
            update: dict[str, Any] = {"strategy": request.strategy, "strategy_params": {}}
        else:
            update = {"strategy_params": dict(trading.strategy_params)}
        update["strategy_params"].update(request.params)
        config = trading.model_copy(update=update)
        try:
            make_strategy(config.strategy, config.strategy_params)
        except ConfigError as exc:
            raise HTTPException(422, f"strategy: {exc}") from None
        run_id = request.run_id or f"paper-{uuid.uuid4().hex[:10]}"
        start = None if request.start is None else pd.Timestamp(request.start).tz_convert("UTC")
        try:
            return supervisor.start(
                run_id=run_id,
                symbol=sym.name,
                timeframe=tf.value,
                config=config,
                start=start,
            )
        except DataError as exc:
            raise HTTPException(404, str(exc)) from None
        except (ConfigError, StorageError) as exc:
            raise HTTPException(409, str(exc)) from None

    @router.post("/{run_id}/pause", dependencies=guarded)
    def pause(run_id: RunPath) -> dict[str, Any]:
        """Open no new positions; open ones are still managed (stops, targets, swaps)."""
        return control(lambda: supervisor.pause(run_id), run_id)

    @router.post("/{run_id}/resume", dependencies=guarded)
    def resume(run_id: RunPath) -> dict[str, Any]:
        """Trade again; a stopped or crashed stored run is rebuilt and continues."""
        return control(lambda: supervisor.resume(run_id), run_id)

    @router.post("/{run_id}/stop", dependencies=guarded)
    def stop(run_id: RunPath) -> dict[str, Any]:
        """Stop after the current bar; the run stays resumable."""
        return control(lambda: supervisor.stop(run_id), run_id)

    return router
