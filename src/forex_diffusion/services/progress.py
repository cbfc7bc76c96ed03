"""How a long use case reports progress: a callback the face draws (a progress bar in the
CLI, nothing in the API)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "silent"]


class Progress(Protocol):
    """``progress(label, done, total)``: ``done`` of ``total`` steps of the stage ``label``
    (``total`` ``None``: not known yet). Called from the thread running the use case."""

    def __call__(self, label: str, done: int, total: int | None) -> None: ...


def silent(label: str, done: int, total: int | None) -> None:
    """Progress nobody watches."""
