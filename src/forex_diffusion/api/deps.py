"""What the routers' endpoints get from the app they are mounted on (``create_app`` puts it in
``app.state``): the store, the root config, the paper supervisor, and the bearer-token guard of
the mutating endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from forex_diffusion.core.config import RootConfig
from forex_diffusion.services.paper import PaperSupervisor
from forex_diffusion.storage import Store

__all__ = [
    "ConfigDep",
    "StoreDep",
    "SupervisorDep",
    "authorised",
    "guarded",
]


async def store_of(request: Request) -> Store:
    """The store every endpoint reads and writes."""
    store: Store = request.app.state.store
    return store


async def config_of(request: Request) -> RootConfig:
    """The root config runs started over the API trade with (``[trading]``, ``[signals]``)."""
    config: RootConfig = request.app.state.config
    return config


async def supervisor_of(request: Request) -> PaperSupervisor:
    """The paper runs trading in this server."""
    supervisor: PaperSupervisor = request.app.state.supervisor
    return supervisor


async def authorised(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """The guard of mutating endpoints: ``Authorization: Bearer <token>`` (see
    :func:`~forex_diffusion.api.common.bearer`)."""
    request.app.state.authorise(authorization)


StoreDep = Annotated[Store, Depends(store_of)]
ConfigDep = Annotated[RootConfig, Depends(config_of)]
SupervisorDep = Annotated[PaperSupervisor, Depends(supervisor_of)]
guarded = [Depends(authorised)]
"""``dependencies=guarded``: the endpoint needs the bearer token."""
