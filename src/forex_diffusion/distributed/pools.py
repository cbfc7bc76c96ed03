"""Where independent tasks run: in this process, in a local process pool, or on Ray.

A pool maps a top-level function over picklable tasks and returns the results **in task
order**, whichever finishes first, so the outcome does not depend on the engine: a walk-forward
fold or a sweep's parameter set computes the same numbers in any of them (each task carries its
own seeds).

- ``serial``: in this process, one after the other (debugging, the smallest memory).
- ``local`` (the default of the CLI): a :class:`~concurrent.futures.ProcessPoolExecutor` with
  ``spawn`` workers (no state inherited from the parent's threads).
- ``ray``: Ray tasks, on a local Ray instance started for the call (``num_cpus=workers``, its
  temp dir under ``.work/ray``, ``RAY_AUTH_MODE=disabled``) or on an existing cluster
  (``address="ray://head:10001"`` or ``"auto"``; every node needs ``forex-diffusion`` installed).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Literal, TypeVar

from forex_diffusion.core.errors import ConfigError

__all__ = ["Engine", "map_tasks", "ray_temp_dir"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Engine = Literal["serial", "local", "ray"]

_SOCKET_ROOM = 60
"""Longest temp dir Ray can use: its socket paths add ~45 characters and AF_UNIX allows 107."""


def ray_temp_dir(base: Path | None = None) -> Path:
    """Ray's temp dir: ``FXD_RAY_TEMP_DIR``, else ``.work/ray`` under ``base`` (default: the
    current directory), else (when that path is too long for Ray's sockets) a short dir in the
    system temp dir."""
    chosen = os.environ.get("FXD_RAY_TEMP_DIR")
    path = Path(chosen) if chosen else (base or Path.cwd()) / ".work" / "ray"
    path = path.resolve()
    if len(str(path)) > _SOCKET_ROOM:
        short = Path(tempfile.gettempdir()) / f"fxd-ray-{os.getuid()}"
        logger.warning("%s is too long for Ray's socket paths; using %s", path, short)
        path = short
    path.mkdir(parents=True, exist_ok=True)
    return path


def map_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    engine: Engine = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[R]:
    """``[fn(t) for t in tasks]`` on ``engine`` (see the module docstring).

    Parameters
    ----------
    fn
        A module-level function (it is pickled by reference).
    tasks
        Its arguments, one per task; picklable.
    engine
        ``serial``, ``local`` or ``ray``.
    workers
        Processes (``local``) or CPUs of a local Ray instance; default: the machine's CPUs,
        at most one per task.
    ray_address
        An existing Ray cluster (``ray`` only).
    on_done
        Called with each finished task's position, as tasks finish (progress bars).
    """
    if not tasks:
        return []
    if ray_address is not None and engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    count = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    if engine == "serial" or (engine == "local" and count == 1):
        out = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            if on_done is not None:
                on_done(i)
        return out
    if engine == "local":
        return _processes(fn, tasks, count, on_done)
    if engine == "ray":
        return _ray(fn, tasks, count if workers else None, ray_address, on_done)
    raise ConfigError(f"unknown engine {engine!r}: serial, local or ray")


def _processes(
    fn: Callable[[T], R], tasks: Sequence[T], count: int, on_done: Callable[[int], None] | None
) -> list[R]:
    context = multiprocessing.get_context("spawn")
    results: dict[int, R] = {}
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        pending: dict[Future[R], int] = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                results[i] = future.result()
                if on_done is not None:
                    on_done(i)
    return [results[i] for i in range(len(tasks))]


def _ray(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    cpus: int | None,
    address: str | None,
    on_done: Callable[[int], None] | None,
) -> list[R]:
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray

    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
        if address is None:
            options |= {"num_cpus": cpus or os.cpu_count() or 1, "_temp_dir": str(ray_temp_dir())}
        ray.init(address=address, **options)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(fn)
        refs = [remote.remote(task) for task in tasks]
        position = {ref: i for i, ref in enumerate(refs)}
        waiting = list(refs)
        try:
            while waiting:
                ready, waiting = ray.wait(waiting, num_returns=1)
                for ref in ready:
                    ray.get(ref)  # raises here if the task failed
                    if on_done is not None:
                        on_done(position[ref])
            return list(ray.get(refs))
        except ray.exceptions.RayTaskError as exc:
            # the task's own exception (a DataError, a LeakageError...), as the other engines
            if isinstance(exc.cause, Exception):
                raise exc.cause from None
            raise
    finally:
        if started:
            ray.shutdown()
