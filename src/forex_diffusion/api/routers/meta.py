"""``/health`` and ``/ready``: the process and its store answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from forex_diffusion import __version__
from forex_diffusion.api.deps import StoreDep
from forex_diffusion.api.schemas import Health, Ready
from forex_diffusion.core.errors import StorageError

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health)
def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok", "version": __version__}


@router.get("/ready", response_model=Ready)
def ready(store: StoreDep) -> dict[str, Any]:
    """The store answers and its schema is current (503 otherwise)."""
    revision = store.revision()
    if revision != store.head():
        raise StorageError(
            f"store schema at {revision}, the code needs {store.head()}: fxd db upgrade"
        )
    return {"status": "ready", "store": store.display_url, "schema": revision}
