"""The HTTP API (FastAPI): the store's data, runs and the live feed, for the dashboard and tools.

``create_app(store, token=...)`` builds the app; ``fxd serve`` runs it with uvicorn on
127.0.0.1:8000 (binding elsewhere is an explicit choice). OpenAPI docs at ``/docs`` and
``/redoc``, their scripts served from the installed ``fastapi-offline`` package (no CDN).

The endpoints are routers, one module per resource under :mod:`.routers` (``meta``: health and
readiness, ``candles``, ``indicators``, ``forecast``, ``signals``, ``patterns``, ``runs``, and
``paper``: engine control of paper runs), thin faces over :mod:`forex_diffusion.services` and
the store's repositories; the dashboard is under ``/dashboard`` (:mod:`.dashboard`), what every
endpoint answers in :mod:`.schemas`, what the endpoints get from the app in :mod:`.deps`.

Reading is open; changing anything (``POST /candles``, ``POST /paper...``) needs
``Authorization: Bearer <token>`` with the token of ``[api] token`` (``FXD_API__TOKEN``): 401
without a token, 403 with a wrong one, 503 when the server has none configured. The token is
compared in constant time and never logged. Request bodies refuse unknown fields. Endpoints
raise the project's errors; :mod:`.errors` maps them to HTTP once (422 bad input naming the
field or bar, 404 unknown, 409 conflict, 503 store unavailable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from forex_diffusion import __version__
from forex_diffusion.api import errors
from forex_diffusion.api.common import bearer
from forex_diffusion.api.dashboard import mount_dashboard
from forex_diffusion.api.routers import ROUTERS
from forex_diffusion.api.routers.candles import MAX_BARS, Bar, NewBars
from forex_diffusion.core.config import RootConfig
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.services.paper import PaperSupervisor
from forex_diffusion.storage import Store

__all__ = ["MAX_BARS", "Bar", "NewBars", "create_app", "from_config"]


def create_app(
    store: Store,
    *,
    token: str | None = None,
    config: RootConfig | None = None,
    trading: TradingConfig | None = None,
    poll_seconds: float = 1.0,
) -> FastAPI:
    """The API and dashboard over ``store``.

    Parameters
    ----------
    store
        The store every endpoint reads and writes.
    token
        The bearer token of the mutating endpoints (none: they answer 503).
    config
        The root config of runs started over the API: their ``[trading]`` defaults and their
        gate, ``[signals]`` (default: the defaults).
    trading
        A ``[trading]`` section to use instead of ``config``'s.
    poll_seconds
        How often a paper run looks for new bars once it has traded the stored ones.
    """
    root = config or RootConfig()
    if trading is not None:
        root = root.model_copy(update={"trading": trading})
    supervisor = PaperSupervisor(store, poll_seconds=poll_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        supervisor.shutdown()

    app = FastAPIOffline(
        title="forex_diffusion",
        version=__version__,
        description="FX forecasts, patterns, signals and trading runs from the store; "
        "engine control of paper runs; the dashboard at /dashboard.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no call to validator.swagger.io
    )
    app.state.store = store
    app.state.config = root
    app.state.supervisor = supervisor
    app.state.authorise = bearer(token)  # the token stays in the check's closure
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_dashboard(app)
    return app


def from_config() -> FastAPI:
    """The app for the configured store and token (``load_config``: the config file and the
    ``FXD_`` variables); the factory ``fxd serve`` hands to uvicorn."""
    from forex_diffusion.core.config import load_config

    config = load_config()
    store = Store.from_config(config.storage)
    store.ensure_schema()
    return create_app(store, token=config.api.token, config=config)
