"""Walk-forward studies: folds of train and test windows in time order, a model fitted on each
fold's training window only, and a leakage check that fails loudly.

Layout of fold k (positions in the bar series):

```
rolling:   ... [ train (train_bars) ][ purge ][ embargo ][ test k ] ...
anchored:  [ train from bar 0 ...      ][ purge ][ embargo ][ test k ] ...
```

The purge removes the bars whose labels (outcomes up to ``horizon`` bars ahead) would reach
into the test window; it is at least the label horizon. The embargo adds a further gap against
serial correlation. The test windows tile the bars after the first training window. Each fold
runs a fresh strategy through the engine: it sees the training window and the gap as history,
fits on the training window only (``fit_gap``), then trades the test window.

Folds are independent tasks (:class:`FoldTask` -> :func:`run_fold`): ``run_walkforward`` takes
a ``mapper`` that may run them in other processes or on Ray
(:func:`forex_diffusion.distributed.pools.map_tasks`); the results come back in fold order and
are the same whichever runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forex_diffusion.backtest.metrics import performance
from forex_diffusion.backtest.runner import BacktestResult, run_backtest
from forex_diffusion.core.adaptation import Adaptation
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ConfigError, DataError, ForexDiffusionError, describe
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.core.types import Timeframe
from forex_diffusion.trading.recording import CollectingRecorder
from forex_diffusion.trading.strategies import make_strategy

__all__ = [
    "Fold",
    "FoldResult",
    "FoldTask",
    "LeakageError",
    "WalkForward",
    "check_leakage",
    "make_folds",
    "run_fold",
    "run_walkforward",
]


class LeakageError(ForexDiffusionError):
    """A fold's training data (labels included) reaches its test period."""


@dataclass(frozen=True, slots=True)
class Fold:
    """Bar positions of one fold: ``[train_start, train_end)`` and ``[test_start, test_end)``."""

    number: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int

    @property
    def gap(self) -> int:
        """Bars between training and test (purge plus embargo)."""
        return self.test_start - self.train_end


def make_folds(
    bars: int,
    *,
    folds: int,
    train_bars: int,
    purge: int,
    embargo: int = 0,
    anchored: bool = False,
) -> list[Fold]:
    """``folds`` test windows tiling the bars after the first training window and its gap."""
    if folds < 1 or train_bars < 1 or purge < 0 or embargo < 0:
        raise ConfigError("walk-forward needs folds >= 1, train_bars >= 1, purge/embargo >= 0")
    gap = purge + embargo
    first = train_bars + gap
    size = (bars - first) // folds
    if size < 1:
        raise DataError(
            f"{bars} bars cannot hold {folds} test folds after {train_bars} training bars and a "
            f"gap of {gap}"
        )
    out = []
    for k in range(folds):
        test_start = first + k * size
        test_end = bars if k == folds - 1 else test_start + size
        train_end = test_start - gap
        train_start = 0 if anchored else train_end - train_bars
        out.append(Fold(k + 1, train_start, train_end, test_start, test_end))
    return out


def check_leakage(
    *,
    trained_until: pd.Timestamp,
    test_start: pd.Timestamp,
    horizon: int,
    bar: pd.Timedelta,
) -> None:
    """Raise :class:`LeakageError` when the last training bar, or the end of its label
    (``horizon`` bars later), is not before the first test bar."""
    if trained_until >= test_start:
        raise LeakageError(
            f"training data reaches {trained_until}, at or after the test start {test_start}"
        )
    if trained_until + horizon * bar >= test_start:
        raise LeakageError(
            f"labels of the last training bar ({trained_until} + {horizon} bars) reach the test "
            f"start {test_start}: purge at least {horizon} bars"
        )


@dataclass(frozen=True)
class FoldResult:
    """A fold, its backtest (without its strategy object), its windows' times, the last bar
    its model was fitted on, and (when asked) every bar's changes for the store."""

    fold: Fold
    result: BacktestResult
    train: tuple[pd.Timestamp, pd.Timestamp]
    test: tuple[pd.Timestamp, pd.Timestamp]
    trained_until: pd.Timestamp | None
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)
    """``TradingRepository.record_bars`` input of the fold's run (``record=True``)."""

    def summary(self) -> dict[str, Any]:
        """Per-fold figures for tables and JSON."""
        return {
            "fold": self.fold.number,
            "run_id": self.result.run_id,
            "train_from": self.train[0].isoformat(),
            "train_to": self.train[1].isoformat(),
            "test_from": self.test[0].isoformat(),
            "test_to": self.test[1].isoformat(),
            "gap_bars": self.fold.gap,
            "trained_until": None if self.trained_until is None else self.trained_until.isoformat(),
            "trade_count": len(self.result.trades),
            "net_pips": self.result.net_pips,
            "metrics": self.result.metrics,
            "pnl_by_source": self.result.pnl_by_source,
            "signal_errors": dict(self.result.signal_errors),
            "adaptations": dict(self.result.adaptations),
            "decisions": dict(self.result.decisions),
            "state": "failed" if self.result.failed else "done",
            "error": self.result.reason if self.result.failed else None,
        }


@dataclass(frozen=True)
class WalkForward:
    """Every fold's result and the aggregate over the chained test windows (failed folds
    included with what they did up to their failure; :attr:`failed` lists them)."""

    folds: list[FoldResult]
    trades: pd.DataFrame
    equity: pd.Series
    metrics: dict[str, Any]

    @property
    def failed(self) -> list[FoldResult]:
        """The folds whose run failed."""
        return [f for f in self.folds if f.result.failed]

    @property
    def signal_errors(self) -> dict[str, int]:
        """Candidates skipped per signal source after an error, every fold summed."""
        out: dict[str, int] = {}
        for f in self.folds:
            for source, count in f.result.signal_errors.items():
                out[source] = out.get(source, 0) + count
        return out


def _chained(results: list[BacktestResult], initial: float) -> pd.Series:
    """The test windows' equity curves chained: each fold continues from the last one's
    growth."""
    parts, scale = [], 1.0
    for r in results:
        parts.append(r.equity * scale)
        if len(r.equity):
            scale *= float(r.equity.iloc[-1]) / initial
    return pd.concat(parts) if parts else pd.Series(dtype=float)


@dataclass(frozen=True)
class FoldTask:
    """One fold as a picklable task: its bars from the training start to the test end."""

    fold: Fold
    bars: pd.DataFrame
    symbol: str
    timeframe: str
    config: TradingConfig
    horizon: int
    costs: bool
    run_id: str
    record: bool
    signals: SignalsConfig = field(default_factory=SignalsConfig)
    adaptations: tuple[Adaptation, ...] = ()
    """Deployed adaptations made from bars before the fold's first test bar."""


def run_fold(task: FoldTask) -> FoldResult:
    """Fit and trade one fold (see the module docstring); raises :class:`LeakageError` when
    its model was fitted on bars that reach its test window."""
    fold, bars, config = task.fold, task.bars, task.config
    params = dict(config.strategy_params)
    if config.strategy == "fused":
        params.update(fit_bars=fold.train_end - fold.train_start, fit_gap=fold.gap)
    strategy = make_strategy(config.strategy, params, signals=task.signals)
    split = fold.test_start - fold.train_start
    history, test = bars.iloc[:split], bars.iloc[split:]
    recorder = CollectingRecorder() if task.record else None
    try:
        result = run_backtest(
            test,
            symbol=task.symbol,
            timeframe=task.timeframe,
            config=config.model_copy(update={"strategy_params": params}),
            strategy=strategy,
            costs=task.costs,
            run_id=task.run_id,
            recorder=recorder,
            warmup=history,
            adaptations=task.adaptations,
        )
    except Exception as exc:  # the fold failed (its strategy could not start): say so
        reason = f"{describe(exc)} ({task.symbol} {task.timeframe} fold "
        reason += f"{fold.number}, before its first test bar {test.index[0].isoformat()})"
        result = BacktestResult.failure(task.run_id, reason, initial=config.broker.initial_balance)
    trained = getattr(strategy, "trained_until", None)
    if trained is not None:
        check_leakage(
            trained_until=trained,
            test_start=test.index[0],
            horizon=task.horizon,
            bar=pd.Timedelta(Timeframe.parse(task.timeframe).delta),
        )
    train = bars.index[0], bars.index[fold.train_end - fold.train_start - 1]
    return FoldResult(
        fold,
        result.detached(),
        train,
        (test.index[0], test.index[-1]),
        trained,
        recorder.pending if recorder is not None else [],
    )


Mapper = Callable[[Callable[[FoldTask], FoldResult], Sequence[FoldTask]], list[FoldResult]]


def _serial(fn: Callable[[FoldTask], FoldResult], tasks: Sequence[FoldTask]) -> list[FoldResult]:
    return [fn(t) for t in tasks]


def run_walkforward(
    candles: pd.DataFrame,
    *,
    symbol: str,
    timeframe: str,
    config: TradingConfig,
    folds: list[Fold],
    horizon: int,
    costs: bool = True,
    run_id: str = "wf",
    record: bool = False,
    mapper: Mapper | None = None,
    signals: SignalsConfig | None = None,
    adaptations: Sequence[Adaptation] = (),
) -> WalkForward:
    """Run every fold (see the module docstring) with ``mapper`` (default: one after the
    other in this process); ``record`` keeps every bar's changes for the store. Fold ``k``'s
    run id is ``{run_id}-f{k}``."""
    tasks = [
        FoldTask(
            fold=fold,
            bars=candles.iloc[fold.train_start : fold.test_end],
            symbol=symbol,
            timeframe=timeframe,
            config=config,
            horizon=horizon,
            costs=costs,
            run_id=f"{run_id}-f{fold.number}",
            record=record,
            signals=signals or SignalsConfig(),
            adaptations=tuple(
                a for a in adaptations if a.made_until < candles.index[fold.test_start]
            ),
        )
        for fold in folds
    ]
    out = (mapper or _serial)(run_fold, tasks)
    initial = config.broker.initial_balance
    # a fold without trades has an empty frame whose columns would turn the times to objects
    traded = [f.result.trades for f in out if len(f.result.trades)]
    trades = (
        pd.concat(traded, ignore_index=True)
        if traded
        else out[0].result.trades.iloc[:0]
        if out
        else pd.DataFrame()
    )
    equity = _chained([f.result for f in out], initial)
    return WalkForward(out, trades, equity, performance(equity, trades, initial=initial))
