"""Numba compilation for the loops NumPy cannot express without temporaries: nopython mode,
cached on disk, so a process pays the compilation once per machine, not once per start.

Numba keeps the cache beside the module or, where that is read-only, in the user's cache
directory (``NUMBA_CACHE_DIR`` chooses another). Where neither can be written, the function is
compiled without a cache (once per process, about a second) and a warning says so, rather than
failing the import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

__all__ = ["jit"]

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def jit(fn: F) -> F:
    """Numba-compile ``fn`` in nopython mode, cached on disk where a cache can be written
    (typed as ``fn`` for mypy)."""
    try:
        return cast(F, njit(cache=True)(fn))
    except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
        if "cannot cache" not in str(exc):
            raise
        log.warning(
            "%s: no writable Numba cache directory (%s); compiling once per process instead "
            "(set NUMBA_CACHE_DIR to a writable directory to keep compiled code)",
            fn.__qualname__,
            exc,
        )
        return cast(F, njit(cache=False)(fn))
