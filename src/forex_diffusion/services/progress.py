"""How a long use case reports progress: a callback the face draws (a progress bar in the
CLI, nothing in the API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from forex_diffusion.distributed.pools import Engine, map_tasks

__all__ = ["Progress", "silent", "tracked_mapper"]

T = TypeVar("T")
R = TypeVar("R")


class Progress(Protocol):
    """``progress(label, done, total)``: ``done`` of ``total`` steps of the stage ``label``
    (``total`` ``None``: not known yet). Called from the thread running the use case."""

    def __call__(self, label: str, done: int, total: int | None) -> None: ...


def silent(label: str, done: int, total: int | None) -> None:
    """Progress nobody watches."""


def tracked_mapper(
    *,
    engine: Engine,
    workers: int | None,
    ray_address: str | None,
    progress: Progress,
    label: str,
    total: int,
    beat: Callable[[], None],
) -> Callable[[Callable[[T], R], Sequence[T]], list[R]]:
    """:func:`~forex_diffusion.distributed.pools.map_tasks` on ``engine`` that reports each
    finished task as progress of ``label`` and beats the run's heartbeat."""
    finished = 0
    progress(label, 0, total)

    def done(_i: int) -> None:
        nonlocal finished
        finished += 1
        progress(label, finished, total)
        beat()

    def mapper(fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        return map_tasks(
            fn, tasks, engine=engine, workers=workers, ray_address=ray_address, on_done=done
        )

    return mapper
