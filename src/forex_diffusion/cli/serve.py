"""``fxd serve``: the HTTP API with uvicorn (127.0.0.1:8000 by default)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from forex_diffusion.cli.context import console, state
from forex_diffusion.core.errors import ConfigError

__all__ = ["serve"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [config: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port [config: 8000].")] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote", help="Allow a bind address beyond this machine (an explicit choice)."
        ),
    ] = False,
) -> None:
    """Serve the API and the dashboard (OpenAPI docs at /docs, dashboard at /dashboard).
    Mutating endpoints (appending bars, engine control) need the bearer token of the config
    key api.token (FXD_API__TOKEN)."""
    import os

    import uvicorn

    api = state.config.api
    bind, bind_port = host or api.host, port or api.port
    if not _loopback(bind) and not allow_remote:
        raise ConfigError(
            f"refusing to listen on {bind}: other machines could reach the API; "
            "pass --allow-remote to mean it"
        )
    store = state.store()  # checks the database and its schema before listening
    if api.token is None:
        console.print(
            "no API token (config api.token, FXD_API__TOKEN): the mutating endpoints answer 503 "
            "until one is set"
        )
    # the app is built by its factory from the same config (the api layer is not imported here)
    if state.config_path is not None:
        os.environ["FXD_CONFIG"] = str(state.config_path)
    os.environ["FXD_DATABASE_URL"] = store.url.render_as_string(hide_password=False)
    store.dispose()
    console.print(
        f"serving on http://{bind}:{bind_port} (dashboard: /dashboard, docs: /docs)",
        soft_wrap=True,
    )
    uvicorn.run(
        "forex_diffusion.api.app:from_config",
        factory=True,
        host=bind,
        port=bind_port,
        log_level="info",
    )
