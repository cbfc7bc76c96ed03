"""``fxd db``: schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from forex_diffusion.cli.context import console, state

__all__ = ["app"]

app = typer.Typer(help="Database schema: create and migrate the store.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the store's schema (default: to the newest revision)."""
    from forex_diffusion.storage import Store

    store = Store.from_config(state.config.storage)
    before = store.revision()
    store.upgrade(revision)
    after = store.revision()
    if before == after:
        console.print(f"{store.display_url}: already at revision {after}")
    else:
        console.print(f"{store.display_url}: upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current() -> None:
    """Show the store's URL, its schema revision and the newest one the code knows."""
    from forex_diffusion.storage import Store

    store = Store.from_config(state.config.storage)
    rev, head = store.revision(), store.head()
    status = "up to date" if rev == head else "run `fxd db upgrade`"
    console.print(f"{store.display_url}: revision {rev or 'empty'} (head {head}, {status})")
