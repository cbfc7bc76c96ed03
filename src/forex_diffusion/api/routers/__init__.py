"""The API's routers, one module per resource; :data:`ROUTERS` in the order ``create_app``
mounts them (the order ``/docs`` lists them)."""

from __future__ import annotations

from fastapi import APIRouter

from forex_diffusion.api.routers.candles import router as candles_router
from forex_diffusion.api.routers.forecast import router as forecast_router
from forex_diffusion.api.routers.indicators import router as indicators_router
from forex_diffusion.api.routers.meta import router as meta_router
from forex_diffusion.api.routers.paper import router as paper_router
from forex_diffusion.api.routers.patterns import router as patterns_router
from forex_diffusion.api.routers.runs import router as runs_router
from forex_diffusion.api.routers.signals import router as signals_router

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    meta_router,
    candles_router,
    indicators_router,
    forecast_router,
    signals_router,
    patterns_router,
    runs_router,
    paper_router,
)
"""Every router: health and readiness, series and bars, indicators, forecasts, signals,
patterns, runs, paper trading."""
