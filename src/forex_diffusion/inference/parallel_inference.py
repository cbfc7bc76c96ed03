"""Run several forecasters on one context in worker processes that can be killed.

* ``ModelExecutor``: one model (a predictor object or a checkpoint path), loaded once,
  ``predict``-ed many times, unloaded on demand.
* ``ParallelInferenceEngine``: persistent worker processes, each keeping an LRU cache of
  executors. A model always goes to the same worker (so it is loaded once); the engine sends the
  pickled predictor only when that worker does not hold it. Each task's timer starts when its
  worker starts it; a task past ``per_model_timeout_s`` has its worker killed (SIGKILL) and
  replaced, and ``global_timeout_s`` bounds the whole call. Crashes (an exception, a segfault, an
  exit, the OOM killer) are reported per model with their reason; the other models' results
  still come back and are aggregated.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import signal
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, cast

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Forecast
from forex_diffusion.inference.aggregation import Method, aggregate
from forex_diffusion.inference.executor import ModelExecutor, ModelRef, model_key, worker_main

__all__ = [
    "InferenceResult",
    "ModelExecutor",
    "ModelStatus",
    "ParallelInferenceEngine",
    "model_key",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """What happened to one model in one call."""

    key: str
    model_id: str
    status: str  # ok, error, timeout, crashed, invalid
    reason: str | None
    latency_s: float | None


@dataclass(frozen=True, slots=True)
class InferenceResult:
    """The aggregate forecast and one status per model."""

    forecast: Forecast | None
    statuses: list[ModelStatus]
    forecasts: dict[str, Forecast]

    @property
    def contributed(self) -> list[str]:
        return [s.model_id for s in self.statuses if s.status == "ok"]

    @property
    def failed(self) -> list[str]:
        return [s.model_id for s in self.statuses if s.status not in ("ok", "timeout")]

    @property
    def timed_out(self) -> list[str]:
        return [s.model_id for s in self.statuses if s.status == "timeout"]


@dataclass
class _Stats:
    calls: int = 0
    ok: int = 0
    failures: int = 0
    timeouts: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=1000))


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    conn: Connection
    cached: set[str] = field(default_factory=set)


@dataclass
class _Task:
    index: int
    key: str
    model: ModelRef
    worker: int
    started: float | None = None
    done: bool = False


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "worker stopped answering"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"worker exited with code {code}"


def _check(result: object, horizons: Sequence[int] | None) -> str | None:
    """Why a worker's result is unusable, or ``None`` if it is a good forecast."""
    if not isinstance(result, Forecast):
        return f"expected a Forecast, got {type(result).__name__}"
    q = np.asarray(result.quantiles, dtype=float)
    if q.shape != (len(result.horizons), len(result.quantile_levels)):
        return f"quantiles of shape {q.shape}"
    if not np.isfinite(q).all() or result.origin_price <= 0:
        return "non-finite quantiles or origin price"
    if horizons is not None and set(result.horizons) != set(horizons):
        return f"horizons {result.horizons}, asked for {tuple(horizons)}"
    return None


class ParallelInferenceEngine:
    """Several forecasters on one context, in parallel, with hard timeouts and a model cache.

    Parameters
    ----------
    max_workers
        Worker processes.
    per_model_timeout_s
        A model running longer is cut (its worker killed and replaced).
    global_timeout_s
        Bound of a whole :meth:`run` call.
    cache_size
        Models each worker keeps loaded (least recently used evicted first).
    """

    def __init__(
        self,
        max_workers: int = 2,
        *,
        per_model_timeout_s: float = 30.0,
        global_timeout_s: float = 60.0,
        cache_size: int = 10,
        start_method: str = "forkserver",
    ) -> None:
        if max_workers < 1 or cache_size < 1:
            raise ConfigError("max_workers and cache_size must be at least 1")
        if per_model_timeout_s <= 0 or global_timeout_s <= 0:
            raise ConfigError("timeouts must be positive")
        self.max_workers = max_workers
        self.per_model_timeout_s = per_model_timeout_s
        self.global_timeout_s = global_timeout_s
        self.cache_size = cache_size
        self._ctx = mp.get_context(start_method)
        if start_method == "forkserver":
            self._ctx.set_forkserver_preload(["forex_diffusion.forecast.diffusion"])
        self._workers: list[_Worker] = [self._spawn() for _ in range(max_workers)]
        self._affinity: dict[str, int] = {}
        self._stats: dict[str, _Stats] = {}
        self._model_ids: dict[str, str] = {}
        self._finalizer = weakref.finalize(self, ParallelInferenceEngine._kill_all, self._workers)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(child, self.cache_size),
            daemon=True,
            name="fxd-inference-worker",
        )
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def _replace(self, index: int) -> None:
        worker = self._workers[index]
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        self._workers[index] = self._spawn()

    @staticmethod
    def _kill_all(workers: list[_Worker]) -> None:
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join(timeout=2)

    def _worker_for(self, key: str) -> int:
        if key not in self._affinity:
            load = [
                sum(1 for w in self._affinity.values() if w == i) for i in range(self.max_workers)
            ]
            self._affinity[key] = int(np.argmin(load))
        return self._affinity[key]

    def run(
        self,
        models: Sequence[ModelRef],
        candles: pd.DataFrame,
        *,
        horizons: Sequence[int] | None = None,
        num_samples: int = 100,
        seed: int | None = 0,
        method: Method = "mean",
    ) -> InferenceResult:
        """Forecast with every model from the last bar of ``candles`` and aggregate the
        healthy forecasts (``mean``, ``median`` or ``crps_weighted``)."""
        if not models:
            raise ConfigError("run() needs at least one model")
        started = time.monotonic()
        deadline = started + self.global_timeout_s
        tasks = [_Task(i, model_key(m), m, 0) for i, m in enumerate(models)]
        for task in tasks:
            task.worker = self._worker_for(task.key)
            self._model_ids.setdefault(task.key, getattr(task.model, "model_id", str(task.model)))
        queues: dict[int, deque[_Task]] = {i: deque() for i in range(self.max_workers)}
        for task in tasks:
            queues[task.worker].append(task)
        running: dict[int, _Task] = {}
        outcome: dict[int, tuple[str, Any, float | None, float | None]] = {}

        def send_next(w: int) -> None:
            while queues[w] and w not in running:
                task = queues[w].popleft()
                worker = self._workers[w]
                payload = None if task.key in worker.cached else task.model
                try:
                    worker.conn.send(
                        (
                            task.index,
                            task.key,
                            payload,
                            candles,
                            None if horizons is None else list(horizons),
                            num_samples,
                            seed,
                        )
                    )
                except (BrokenPipeError, OSError):
                    self._replace(w)
                    queues[w].appendleft(task)
                    continue
                running[w] = task

        for w in queues:
            send_next(w)
        while running:
            now = time.monotonic()
            if now >= deadline:
                for w, task in list(running.items()):
                    outcome[task.index] = (
                        "timeout",
                        f"global timeout {self.global_timeout_s}s",
                        None,
                        None,
                    )
                    self._replace(w)
                running.clear()
                break
            limits = [deadline] + [
                t.started + self.per_model_timeout_s
                for t in running.values()
                if t.started is not None
            ]
            ready = wait(
                [self._workers[w].conn for w in running], timeout=max(0.0, min(limits) - now)
            )
            for ready_conn in ready:
                conn = cast(Connection, ready_conn)
                w = next(i for i in running if self._workers[i].conn is conn)
                task = running[w]
                try:
                    message: Any = conn.recv()
                except (EOFError, OSError):
                    self._workers[w].process.join(timeout=2)
                    reason = _describe_exit(self._workers[w].process.exitcode)
                    outcome[task.index] = ("crashed", reason, None, None)
                    del running[w]
                    self._replace(w)
                    send_next(w)
                    continue
                if message[0] == "start":
                    task.started = time.monotonic()
                    continue
                _, _, status, value, val_crps, cached = message
                latency = time.monotonic() - (task.started or now)
                outcome[task.index] = (status, value, latency, val_crps)
                self._workers[w].cached = set(cached)
                del running[w]
                send_next(w)
            now = time.monotonic()
            for w, task in list(running.items()):
                if task.started is not None and now - task.started >= self.per_model_timeout_s:
                    outcome[task.index] = (
                        "timeout",
                        f"no answer within {self.per_model_timeout_s}s",
                        None,
                        None,
                    )
                    del running[w]
                    self._replace(w)
                    send_next(w)
        for queue in queues.values():  # never started before the global deadline
            for task in queue:
                outcome.setdefault(
                    task.index, ("timeout", "global timeout before start", None, None)
                )
            queue.clear()
        return self._result(tasks, outcome, horizons, method)

    def _result(
        self,
        tasks: list[_Task],
        outcome: dict[int, tuple[str, Any, float | None, float | None]],
        horizons: Sequence[int] | None,
        method: Method,
    ) -> InferenceResult:
        statuses, good, scores, forecasts = [], [], [], {}
        for task in tasks:
            status, value, latency, val_crps = outcome.get(
                task.index, ("timeout", "not run", None, None)
            )
            reason = None
            if status == "ok":
                problem = _check(value, horizons)
                if problem is None:
                    good.append(value)
                    scores.append(val_crps)
                    forecasts[task.key] = value
                    self._model_ids[task.key] = value.model_id
                else:
                    status, reason = "invalid", problem
            else:
                reason = str(value)
            stats = self._stats.setdefault(task.key, _Stats())
            stats.calls += 1
            if status == "ok":
                stats.ok += 1
                if latency is not None:
                    stats.latencies.append(latency)
            elif status == "timeout":
                stats.timeouts += 1
            else:
                stats.failures += 1
            statuses.append(
                ModelStatus(
                    task.key, self._model_ids.get(task.key, task.key), status, reason, latency
                )
            )
        combined = aggregate(good, method=method, val_crps=scores) if good else None
        return InferenceResult(forecast=combined, statuses=statuses, forecasts=forecasts)

    def metrics(self) -> dict[str, dict[str, Any]]:
        """Per model: calls, ok, failures, timeouts, latency mean/p50/p95 (seconds)."""
        out = {}
        for key, s in self._stats.items():
            lat = np.asarray(s.latencies, float)
            out[self._model_ids.get(key, key)] = {
                "calls": s.calls,
                "ok": s.ok,
                "failures": s.failures,
                "timeouts": s.timeouts,
                "latency_mean_s": float(lat.mean()) if lat.size else None,
                "latency_p50_s": float(np.percentile(lat, 50)) if lat.size else None,
                "latency_p95_s": float(np.percentile(lat, 95)) if lat.size else None,
            }
        return out

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for monitoring)."""
        return [int(w.process.pid) for w in self._workers]

    def close(self) -> None:
        """Stop the workers (politely, then by force)."""
        for worker in self._workers:
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
            worker.conn.close()
        self._finalizer.detach()

    def __enter__(self) -> ParallelInferenceEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
