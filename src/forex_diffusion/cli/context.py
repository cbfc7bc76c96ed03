"""State shared by the commands: global options, the console, the store, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from forex_diffusion.core.config import RootConfig, load_config

if TYPE_CHECKING:
    from rich.progress import TaskID

    from forex_diffusion.services.progress import Progress as ProgressFn
    from forex_diffusion.storage import Store

__all__ = [
    "CliState",
    "console",
    "err_console",
    "make_progress",
    "progress_bars",
    "state",
    "wide_console",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class CliState:
    """Global options, read lazily so ``--help`` never touches the config or the database."""

    config_path: Path | None = None
    database_url: str | None = None
    debug: bool = False
    _config: RootConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> RootConfig:
        """The root config (file plus ``FXD_`` overrides plus ``--database-url``)."""
        if self._config is None:
            cfg = load_config(self.config_path)
            if self.database_url:
                storage = cfg.storage.model_copy(update={"url": self.database_url})
                cfg = cfg.model_copy(update={"storage": storage})
            self._config = cfg
        return self._config

    def store(self) -> Store:
        """The configured store, with its schema created if the database is empty."""
        from forex_diffusion.storage import Store  # imported lazily: keeps --help fast

        store = Store.from_config(self.config.storage)
        store.ensure_schema()
        return store


state = CliState()


def wide_console(width: int) -> Console:
    """A stdout console at least ``width`` columns wide, for tables that must not truncate
    (when stdout is a pipe, rich assumes 80 columns)."""
    return Console(highlight=False, width=max(console.width, width))


def make_progress() -> Progress:
    """A rich progress bar on stderr; silent when stderr is not a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


@contextmanager
def progress_bars() -> Iterator[ProgressFn]:
    """A service's progress callback drawn as rich bars (one per stage label) on stderr."""
    with make_progress() as bars:
        tasks: dict[str, TaskID] = {}

        def report(label: str, done: int, total: int | None) -> None:
            if label not in tasks:
                tasks[label] = bars.add_task(label, total=total)
            bars.update(tasks[label], completed=done, total=total)

        yield report
