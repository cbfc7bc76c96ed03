"""Numba compilation for the loops NumPy cannot express without temporaries: nopython mode,
cached on disk (numba falls back to a per-user cache directory where the package's own is not
writable), so a process pays the compilation once per machine, not once per start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

__all__ = ["jit"]

F = TypeVar("F", bound=Callable[..., Any])


def jit(fn: F) -> F:
    """Numba-compile ``fn`` in nopython mode, cached on disk (typed as ``fn`` for mypy)."""
    return cast(F, njit(cache=True)(fn))
