"""Backtests and walk-forward studies over stored history, stored as runs.

A backtest fills market orders at the next bar's open and closes what is open at the last
close; a walk-forward study refits the strategy on each fold's training window and trades its
test window after the purge and embargo, every fold stored as a backtest run. A run that failed
is stored ``failed`` with its reason and raises :class:`RunFailedError` after storing what it
did (a study stores every fold first; ``keep_going`` stores it and returns instead).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.backtest.runner import BacktestResult, run_backtest
from forex_diffusion.backtest.walkforward import Fold, WalkForward, make_folds, run_walkforward
from forex_diffusion.core.adaptation import Adaptation
from forex_diffusion.core.config import DECISION_VARIANTS_TRIED, MIN_EDGE_R_TRIED, RootConfig
from forex_diffusion.core.errors import ConfigError, RunFailedError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.distributed.pools import Engine
from forex_diffusion.services.config import Scalar, run_settings, with_strategy
from forex_diffusion.services.forecast import (
    default_model_path,
    fused_fit_end,
    with_registered_checkpoint,
)
from forex_diffusion.services.progress import Progress, silent, tracked_mapper
from forex_diffusion.services.series import Span, load_series
from forex_diffusion.storage import (
    AdaptationRepository,
    FusedSignalRepository,
    RunRepository,
    Store,
    TradingRepository,
)
from forex_diffusion.trading.recording import BufferedRecorder
from forex_diffusion.trading.strategies.base import Strategy

__all__ = [
    "BacktestOutcome",
    "BacktestRequest",
    "WalkForwardOutcome",
    "WalkForwardRequest",
    "backtest",
    "backtest_report",
    "deployed",
    "register_meta_models",
    "walkforward",
]

DECISIONS = ("edge", "gate", "all")
"""The decision rules a comparison runs (``[signals] decision``)."""

SUMMARY_KEYS = (
    "trade_count",
    "net_pips",
    "metrics",
    "pnl_by_source",
    "signal_errors",
    "adaptations",
    "decisions",
)
"""What a backtest run stores as its metrics."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestRequest:
    """One backtest: a series, a strategy (default: the config's) and its parameters over the
    configured ones, the span traded (earlier bars warm the strategy up), costs on or off."""

    symbol: Symbol
    timeframe: Timeframe
    strategy: str | None = None
    params: dict[str, Scalar] = field(default_factory=dict)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    costs: bool = True
    run_id: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    """What the face asked for, as given (``from``/``to`` text...), stored with the run."""


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """A finished backtest: its run id, result, and the bars (all loaded, and traded)."""

    run_id: str
    symbol: Symbol
    timeframe: Timeframe
    result: BacktestResult
    config: RootConfig
    span: Span

    def summary(self) -> dict[str, Any]:
        """The result's JSON summary."""
        return self.result.summary()


def deployed(
    store: Store, config: RootConfig, symbol: Symbol, timeframe: Timeframe
) -> list[Adaptation]:
    """The deployed, validated adaptations a run of the series may trade with (none when
    ``[signals] use_optimized_parameters`` is off); each bar uses only those made before it."""
    if not config.signals.use_optimized_parameters:
        return []
    return AdaptationRepository(store).deployed(symbol, timeframe)


def register_meta_models(
    store: Store, strategy: Strategy | None, symbol: Symbol, timeframe: Timeframe
) -> list[str]:
    """Save the meta-models a fused strategy fitted (joblib files in the models directory)
    and register each with its data hash and out-of-fold scores, like a forecaster
    checkpoint (kind ``meta``); returns their model ids."""
    from forex_diffusion.storage.models import to_ms
    from forex_diffusion.storage.repositories import TrainedModelRepository

    if strategy is None or strategy.name != "fused":
        return []
    # imported here: a reference strategy's backtest need not load the forecasters (seconds)
    from forex_diffusion.trading.strategies.fusion import FusionStrategy

    assert isinstance(strategy, FusionStrategy)
    ids = []
    for model in strategy.meta_models:
        info = model.info()
        path = default_model_path(info["model_id"]).with_suffix(".joblib")
        model.save(path)
        TrainedModelRepository(store).register(
            model_id=info["model_id"],
            kind="meta",
            symbol=symbol.name,
            timeframe=timeframe.value,
            path=str(path.resolve()),
            config={"kind": model.kind, "folds": model.n_folds, "embargo": str(model.embargo)},
            horizons=[],
            data_start_ms=to_ms(info["data_start"]),
            data_end_ms=to_ms(info["data_end"]),
            data_hash=info["data_hash"],
            metrics=info["metrics"],
        )
        ids.append(info["model_id"])
    return ids


def backtest(
    store: Store,
    config: RootConfig,
    request: BacktestRequest,
    *,
    progress: Progress = silent,
) -> BacktestOutcome:
    """Run and store one backtest (see the module docstring)."""
    cfg = with_strategy(config, request.strategy, request.params)
    trading = cfg.trading
    span = load_series(
        store, request.symbol, request.timeframe, start=request.start, end=request.end
    )
    if trading.strategy == "fused":
        warm = 0 if span.warmup is None else len(span.warmup)
        fit_end = fused_fit_end(span.all, warm, cfg)
        cfg = with_registered_checkpoint(
            store, cfg, request.symbol, request.timeframe, fit_end=fit_end
        )
        trading = cfg.trading
    rid = request.run_id or f"bt-{uuid.uuid4().hex[:12]}"
    digest, stored = run_settings(
        trading, cfg.signals, costs="default" if request.costs else "none", **request.settings
    )
    label = f"{trading.strategy} on {request.symbol} {request.timeframe.value}"
    with RunRepository(store).recording(
        kind="backtest",
        config_hash=digest,
        config=stored,
        symbol=request.symbol.name,
        timeframe=request.timeframe.value,
        strategy=trading.strategy,
        run_id=rid,
    ) as run:
        recorder = BufferedRecorder(store, rid)

        def on_bar(done: int, total: int) -> None:
            progress(label, done, total)
            run.beat()

        try:
            result = run_backtest(
                span.traded,
                symbol=request.symbol.name,
                timeframe=request.timeframe.value,
                config=trading,
                signals=cfg.signals,
                costs=request.costs,
                run_id=rid,
                recorder=recorder,
                warmup=span.warmup,
                on_bar=on_bar,
                adaptations=deployed(store, cfg, request.symbol, request.timeframe),
            )
        finally:
            recorder.flush()  # what it did up to a failure is stored too
        summary = result.summary()
        run.metrics = {k: summary[k] for k in SUMMARY_KEYS}
        if result.failed:
            raise RunFailedError(rid, result.reason or "unknown error")
    register_meta_models(store, result.strategy, request.symbol, request.timeframe)
    return BacktestOutcome(rid, request.symbol, request.timeframe, result, cfg, span)


def backtest_report(store: Store, outcome: BacktestOutcome, path: Path, *, fans: int = 3) -> Path:
    """A self-contained HTML report of a backtest: price, trades, equity, the stored signals
    (or the patterns scanned on the last 3,000 bars) and ``fans`` forecast fans of a fused
    strategy."""
    from forex_diffusion.backtest.report import pattern_marks, scanned_marks, write_report
    from forex_diffusion.trading.strategies.fusion import FusionStrategy

    result, span = outcome.result, outcome.span
    symbol, timeframe = outcome.symbol, outcome.timeframe
    signals = FusedSignalRepository(store).load(symbol, timeframe, run_id=outcome.run_id)
    strategy = result.strategy
    forecasts = []
    if isinstance(strategy, FusionStrategy) and fans:
        first = len(span.all) - len(span.traded)
        origins = np.linspace(first, len(span.all) - 30, fans + 2)[1:-1].astype(int).tolist()
        forecasts = strategy.forecasts_at(symbol.name, timeframe.value, span.all, origins)
    marks = pattern_marks(signals) if not signals.empty else scanned_marks(span.traded.iloc[-3000:])
    return write_report(
        path,
        title=f"{strategy.name if strategy else '-'} on {symbol} {timeframe.value}: "
        f"backtest {outcome.run_id}",
        symbol=symbol.name,
        timeframe_delta=pd.Timedelta(timeframe.delta),
        candles=span.traded,
        trades=result.trades,
        equity=result.equity,
        metrics=result.metrics,
        pnl_by_source=result.pnl_by_source,
        patterns=marks,
        forecasts=forecasts,
        signals=None if signals.empty else signals,
        signal_errors=result.signal_errors,
        decisions=result.decisions,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkForwardRequest:
    """A walk-forward study: folds in time order over a series' stored bars."""

    symbol: Symbol
    timeframe: Timeframe
    folds: int = 4
    strategy: str | None = None
    params: dict[str, Scalar] = field(default_factory=dict)
    train_bars: int = 1000
    purge: int = 24
    embargo: int = 0
    horizon: int = 24
    anchored: bool = False
    costs: bool = True
    engine: Engine = "local"
    workers: int | None = None
    ray_address: str | None = None
    keep_going: bool = False
    compare: bool = False
    """Also run the other decision rules on the same folds, random entries and flat
    (:mod:`forex_diffusion.backtest.comparison`)."""
    seeds: int = 100
    """Random-entry replays of the comparison."""

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ConfigError(f"--seeds must be at least 1, got {self.seeds}")
        if self.purge < self.horizon:
            raise ConfigError(
                f"--purge {self.purge} is shorter than the label horizon ({self.horizon} bars): "
                "training labels would reach into the test window"
            )


@dataclass(frozen=True, slots=True)
class WalkForwardOutcome:
    """A stored walk-forward study: its run id, the study and its stored summary."""

    run_id: str
    study: WalkForward
    summary: dict[str, Any]
    config: RootConfig


def walkforward(
    store: Store,
    config: RootConfig,
    request: WalkForwardRequest,
    *,
    plan: list[Fold] | None = None,
    progress: Progress = silent,
) -> WalkForwardOutcome:
    """Run a walk-forward study on ``request.engine`` and store it: one ``walkforward`` run
    and every fold as a ``backtest`` run with all its bars (``plan``: folds made by the
    caller instead of ``make_folds`` over the request). Raises :class:`RunFailedError` after
    storing everything when a fold failed, unless ``keep_going``."""
    cfg = with_strategy(config, request.strategy, request.params)
    trading = cfg.trading
    candles = load_series(store, request.symbol, request.timeframe).all
    folds = plan or make_folds(
        len(candles),
        folds=request.folds,
        train_bars=request.train_bars,
        purge=request.purge,
        embargo=request.embargo,
        anchored=request.anchored,
    )
    if folds:  # the first fold's fit ends first: a checkpoint fitted before it suits every fold
        fit_end = pd.Timestamp(candles.index[folds[0].train_end - 1])
        cfg = with_registered_checkpoint(
            store, cfg, request.symbol, request.timeframe, fit_end=fit_end
        )
        trading = cfg.trading
    digest, stored = run_settings(
        trading,
        cfg.signals,
        folds=len(folds),
        train_bars=request.train_bars,
        purge=request.purge,
        embargo=request.embargo,
        horizon=request.horizon,
        anchored=request.anchored,
        costs="default" if request.costs else "none",
    )
    rid = f"wf-{uuid.uuid4().hex[:8]}"
    runs = RunRepository(store)
    recorded = partial(
        runs.recording,
        config_hash=digest,
        config=stored,
        symbol=request.symbol.name,
        timeframe=request.timeframe.value,
        strategy=trading.strategy,
    )
    label = f"walk-forward folds ({request.engine})"
    with recorded(kind="walkforward", run_id=rid) as run:
        mapper = tracked_mapper(
            engine=request.engine,
            workers=request.workers,
            ray_address=request.ray_address,
            progress=progress,
            label=label,
            total=len(folds),
            beat=run.beat,
        )
        study = run_walkforward(
            candles,
            symbol=request.symbol.name,
            timeframe=request.timeframe.value,
            config=trading,
            signals=cfg.signals,
            folds=folds,
            horizon=request.horizon,
            costs=request.costs,
            run_id=rid,
            record=True,
            mapper=mapper,
            adaptations=deployed(store, cfg, request.symbol, request.timeframe),
        )
        for f in study.folds:
            with recorded(kind="backtest", run_id=f.result.run_id) as fold_run:
                TradingRepository(store).record_bars(f.result.run_id, f.records)
                fold_run.metrics = f.result.summary()
                if f.result.failed:
                    fold_run.fail(f.result.reason or "unknown error")
        failed = [f.summary() for f in study.failed]
        summary: dict[str, Any] = {
            "run_id": rid,
            "engine": request.engine,
            "folds": [f.summary() for f in study.folds],
            "failed_folds": [
                {"fold": f["fold"], "run_id": f["run_id"], "error": f["error"]} for f in failed
            ],
            "trade_count": len(study.trades),
            "net_pips": float(study.trades["pnl_pips"].sum()) if len(study.trades) else 0.0,
            "metrics": study.metrics,
            "signal_errors": study.signal_errors,
            "adaptations": sorted({a for f in study.folds for a in f.result.adaptations}),
        }
        if request.compare and not failed:
            variants: dict[str, WalkForward] = {cfg.signals.decision: study}
            for decision in DECISIONS:
                if decision in variants:
                    continue
                variants[decision] = run_walkforward(
                    candles,
                    symbol=request.symbol.name,
                    timeframe=request.timeframe.value,
                    config=trading,
                    signals=cfg.signals.model_copy(update={"decision": decision}),
                    folds=folds,
                    horizon=request.horizon,
                    costs=request.costs,
                    run_id=f"{rid}-{decision}",
                    mapper=tracked_mapper(
                        engine=request.engine,
                        workers=request.workers,
                        ray_address=request.ray_address,
                        progress=progress,
                        label=f"walk-forward folds, decision {decision} ({request.engine})",
                        total=len(folds),
                        beat=run.beat,
                    ),
                    adaptations=deployed(store, cfg, request.symbol, request.timeframe),
                )
            # here, not at the top: scipy.stats and Numba cost every `fxd backtest` ~3 s
            from forex_diffusion.backtest.comparison import compare

            progress(f"random entries ({request.seeds} seeds)", 0, 1)
            summary["comparison"] = compare(
                {d: variants[d] for d in DECISIONS},
                rule=cfg.signals.decision,
                candles=candles,
                folds=folds,
                symbol=request.symbol.name,
                timeframe=request.timeframe.value,
                config=trading,
                # the rules, the min_edge_r values and the edge decision's other version
                trials=len(DECISIONS) + MIN_EDGE_R_TRIED + DECISION_VARIANTS_TRIED - 1,
                seeds=request.seeds,
            )
            progress(f"random entries ({request.seeds} seeds)", 1, 1)
        run.metrics = summary
        if failed and not request.keep_going:
            first = failed[0]
            raise RunFailedError(
                rid,
                f"{len(failed)} of {len(study.folds)} folds failed (--keep-going to store the "
                f"study anyway); fold {first['fold']} ({first['run_id']}): {first['error']}",
            )
    return WalkForwardOutcome(rid, study, summary, cfg)
