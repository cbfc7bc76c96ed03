"""The dashboard: one page served by the API, drawing from its endpoints.

``/dashboard`` is a static page (``static/``) whose script reads ``/symbols``, ``/candles``,
``/patterns``, ``POST /forecast``, ``/signals``, ``/runs`` and ``/paper``: the price chart with
pattern overlays and the forecast fan, the signals with their six quality dimensions, open
positions, trades and the equity curve of the selected run, and the paper runs of this server
with their controls. It refreshes on a timer while a paper run trades. Plotly.js comes from the
installed ``plotly`` package (no CDN: the page works offline).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["mount_dashboard", "plotly_js"]

STATIC = Path(str(resources.files("forex_diffusion.api") / "static"))


def plotly_js() -> Path:
    """The minified plotly.js bundled with the installed plotly package."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: plotly.min.js is missing from the plotly package")
    return path


def mount_dashboard(app: FastAPI) -> None:
    """Add ``/`` (redirects), ``/dashboard``, its static files and plotly.js to ``app``."""
    router = APIRouter(include_in_schema=False)
    script = plotly_js()

    @router.get("/")
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard")

    @router.get("/dashboard")
    def page() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", headers={"Cache-Control": "no-cache"})

    @router.get("/dashboard/plotly.min.js")
    def plotly() -> FileResponse:
        return FileResponse(script, media_type="text/javascript")

    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
