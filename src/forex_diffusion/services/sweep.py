"""Parameter sweeps over stored history, stored as runs.

Every combination of a grid on every symbol is one backtest, a task on a local process pool,
on Ray or serial (:func:`forex_diffusion.distributed.pools.map_tasks`); each is stored as a
``backtest`` run with its figures under one ``sweep`` run that ranks them. Every backtest takes
the root config's ``[trading]`` (the grid's strategy, the combination's parameters) and its
``[signals]``, both stored with the run and both in its hash. A backtest that failed is stored
``failed`` with its reason; the sweep raises :class:`RunFailedError` after storing everything
(``keep_going`` stores it and returns instead).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forex_diffusion.backtest.sweep import (
    SweepGrid,
    SweepTask,
    load_grid,
    run_sweep_task,
    sweep_table,
)
from forex_diffusion.core.config import RootConfig
from forex_diffusion.core.errors import ConfigError, RunFailedError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.distributed.pools import Engine
from forex_diffusion.services.config import Scalar, run_settings
from forex_diffusion.services.progress import Progress, silent, tracked_mapper
from forex_diffusion.services.series import load_series
from forex_diffusion.storage import RunRepository, Store

__all__ = ["SweepFailure", "SweepRequest", "SweepStudy", "load_grid", "sweep"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepRequest:
    """A sweep: a grid (a file, or one loaded with :func:`load_grid`) on one or more series of
    one timeframe, over the span traded (earlier bars warm the strategies up), ranked by
    ``metric`` (``max_drawdown``: lowest first)."""

    symbols: list[Symbol]
    timeframe: Timeframe
    grid: SweepGrid | Path
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    costs: bool = True
    metric: str = "sharpe"
    engine: Engine = "local"
    workers: int | None = None
    ray_address: str | None = None
    keep_going: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    """What the face asked for, as given (``from``/``to`` text...), stored with the run."""

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ConfigError("a sweep needs at least one symbol")


@dataclass(frozen=True, slots=True)
class SweepFailure:
    """A backtest of the sweep that failed: its run, its parameters and why."""

    run_id: str
    params: dict[str, Scalar]
    error: str | None

    def summary(self) -> dict[str, Any]:
        """As JSON and the stored sweep show it."""
        return {"run_id": self.run_id, "params": self.params, "error": self.error}


@dataclass(frozen=True, slots=True)
class SweepStudy:
    """A stored sweep: its run id, the grid, the ranked table (one row per backtest, best
    ``metric`` first, failed ones last) and the failed backtests."""

    run_id: str
    grid: SweepGrid
    symbols: list[Symbol]
    timeframe: Timeframe
    metric: str
    table: pd.DataFrame
    failed: list[SweepFailure]
    config: RootConfig

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The ranked table as records (as stored with the sweep run)."""
        rows: list[dict[str, Any]] = json.loads(
            self.table.to_json(orient="records", double_precision=15)
        )
        return rows

    def summary(self) -> dict[str, Any]:
        """The sweep's JSON summary (what its run stores as metrics, with its id)."""
        return {
            "run_id": self.run_id,
            "metric": self.metric,
            "results": self.rows,
            "failed": [f.summary() for f in self.failed],
        }


def sweep(
    store: Store,
    config: RootConfig,
    request: SweepRequest,
    *,
    progress: Progress = silent,
) -> SweepStudy:
    """Run and store a sweep (see the module docstring)."""
    grid = request.grid if isinstance(request.grid, SweepGrid) else load_grid(request.grid)
    tf = request.timeframe
    base = config.trading.model_copy(update={"strategy": grid.strategy})
    rid = f"sw-{uuid.uuid4().hex[:8]}"
    tasks: list[SweepTask] = []
    for sym in request.symbols:
        span = load_series(store, sym, tf, start=request.start, end=request.end)
        for params in grid.combinations():
            tasks.append(
                SweepTask(
                    symbol=sym.name,
                    timeframe=tf.value,
                    candles=span.traded,
                    warmup=span.warmup,
                    config=base,
                    params=params,
                    costs=request.costs,
                    run_id=f"{rid}-{len(tasks) + 1}",
                    signals=config.signals,
                )
            )
    settings: dict[str, Any] = {
        "grid": {"strategy": grid.strategy, "params": grid.params, "fixed": grid.fixed},
        "symbols": [s.name for s in request.symbols],
        **request.settings,
        "costs": "default" if request.costs else "none",
        "engine": request.engine,
    }
    digest, stored = run_settings(base, config.signals, **settings)
    runs = RunRepository(store)
    single = request.symbols[0].name if len(request.symbols) == 1 else None
    with runs.recording(
        kind="sweep",
        config_hash=digest,
        config=stored,
        symbol=single,  # a sweep over several symbols is stored without one
        timeframe=tf.value,
        strategy=grid.strategy,
        run_id=rid,
    ) as run:
        label = f"{len(tasks)} backtests ({request.engine})"
        mapper = tracked_mapper(
            engine=request.engine,
            workers=request.workers,
            ray_address=request.ray_address,
            progress=progress,
            label=label,
            total=len(tasks),
            beat=run.beat,
        )
        outcomes = mapper(run_sweep_task, tasks)
        table = sweep_table(outcomes, metric=request.metric)
        failed: list[SweepFailure] = []
        for task, outcome in zip(tasks, outcomes, strict=True):
            trading = base.model_copy(update={"strategy_params": outcome.params})
            combo_hash, combo_config = run_settings(trading, config.signals, sweep=rid)
            with runs.recording(
                kind="backtest",
                config_hash=combo_hash,
                config=combo_config,
                symbol=task.symbol,
                timeframe=tf.value,
                strategy=grid.strategy,
                run_id=task.run_id,
            ) as combo:
                combo.metrics = outcome.result.summary()
                if outcome.result.failed:
                    combo.fail(outcome.result.reason or "unknown error")
                    failed.append(SweepFailure(task.run_id, outcome.params, outcome.result.reason))
        study = SweepStudy(rid, grid, request.symbols, tf, request.metric, table, failed, config)
        summary = study.summary()
        run.metrics = {k: summary[k] for k in ("metric", "results", "failed")}
        if failed and not request.keep_going:
            first = failed[0]
            raise RunFailedError(
                rid,
                f"{len(failed)} of {len(tasks)} backtests failed (--keep-going to store the "
                f"sweep anyway); {first.run_id} {first.params}: {first.error}",
            )
    return study
