"""The one place where errors become exit codes and one-line messages."""

from __future__ import annotations

import logging
import traceback

from rich.console import Console

from forex_diffusion.core.errors import (
    BrokerError,
    ConfigError,
    DataError,
    ForexDiffusionError,
    ModelError,
    RiskLimitError,
    RunFailedError,
    StorageError,
    one_line,
)

__all__ = ["EXIT_CODES", "EXIT_INTERNAL", "exit_code_for", "report_error"]

EXIT_CODES: dict[type[ForexDiffusionError], int] = {
    DataError: 3,
    ConfigError: 4,
    StorageError: 5,
    ModelError: 6,
    BrokerError: 7,
    RiskLimitError: 8,
    RunFailedError: 9,
}
"""Exit code per error family; 1 for any other project error, 2 for usage errors (click)."""

EXIT_INTERNAL = 70
"""An unexpected exception: a bug (EX_SOFTWARE)."""

log = logging.getLogger(__name__)


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an exception."""
    if isinstance(exc, ForexDiffusionError):
        for kind in type(exc).__mro__:
            if kind in EXIT_CODES:
                return EXIT_CODES[kind]
        return 1
    return EXIT_INTERNAL


def report_error(exc: BaseException, *, debug: bool, console: Console) -> int:
    """Print one line (the traceback too with ``debug``) and return the exit code."""
    code = exit_code_for(exc)
    if debug:
        console.print(traceback.format_exc(), markup=False, highlight=False, end="")
    message = one_line(exc)
    if code == EXIT_INTERNAL:
        message = f"internal error ({type(exc).__name__}): {message}"
        if not debug:
            message += " (run with --debug for the traceback)"
    console.print(
        f"error: {message}", style="bold red", markup=False, highlight=False, soft_wrap=True
    )
    return code
