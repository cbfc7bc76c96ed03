"""Adaptive parameters in the loop: propose from a stored run, validate by replay on bars the
proposal did not see, deploy, retire.

``adapt`` splits a stored walk-forward or backtest run of the fused strategy in time: the
trades closed in its first ``search_fraction`` (the search) drive the proposals of
:class:`AdaptiveParameterSystem`; each proposal is then replayed against the current
parameters on the run's signals decided after the split (the validation: bars the search did
not see). The best proposal whose replay improves or holds is stored ``validated``, the others
``rejected`` with the reason; every one keeps its evidence in ``params_metadata``. A validated
adaptation is used by runs only once deployed (``deploy``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from forex_diffusion.core.adaptation import TradingParameters
from forex_diffusion.core.config import RootConfig
from forex_diffusion.core.errors import ConfigError, DataError, NotFoundError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.intelligence.adaptive_parameter_system import (
    AdaptiveParameterSystem,
    ParameterAdaptationDB,
    performance,
)
from forex_diffusion.storage import (
    AdaptationRepository,
    CandleRepository,
    FusedSignalRepository,
    RunRepository,
    Store,
    TradingRepository,
)

__all__ = ["AdaptOutcome", "AdaptRequest", "adapt", "current_parameters"]

_EXITS = {"stop_loss": "stop", "trailing_stop": "stop", "take_profit": "target"}


@dataclass(frozen=True, slots=True, kw_only=True)
class AdaptRequest:
    """Adapt a series' parameters from a stored run (``regime``: for that regime only)."""

    symbol: Symbol
    timeframe: Timeframe
    from_run: str
    search_fraction: float = 0.7
    regime: str | None = None

    def __post_init__(self) -> None:
        if not 0.1 <= self.search_fraction <= 0.9:
            raise ConfigError(
                f"--search-fraction {self.search_fraction}: must be in [0.1, 0.9] (the rest of "
                "the run validates)"
            )


@dataclass(frozen=True, slots=True)
class AdaptOutcome:
    """What ``adapt`` stored: one row per proposal (``validated`` or ``rejected``), and why
    there were none when the search performance called for no change."""

    adaptations: list[dict[str, Any]]
    performance: dict[str, Any]
    search: tuple[pd.Timestamp, pd.Timestamp]
    validation: tuple[pd.Timestamp, pd.Timestamp]
    current: TradingParameters

    @property
    def validated(self) -> list[dict[str, Any]]:
        return [a for a in self.adaptations if a["status"] == "validated"]


def current_parameters(
    store: Store, config: RootConfig, symbol: Symbol, timeframe: Timeframe
) -> TradingParameters:
    """The parameters runs of the series trade now: the newest deployed adaptation's, else
    the configured gate threshold and unit multiples."""
    deployed = AdaptationRepository(store).deployed(symbol, timeframe)
    if deployed and config.signals.use_optimized_parameters:
        return deployed[-1].params
    return TradingParameters(threshold=config.signals.threshold)


def _source_runs(store: Store, run_id: str, symbol: Symbol, timeframe: Timeframe) -> list[str]:
    row = RunRepository(store).get(run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id!r} in the store (see `fxd runs list`)")
    if (row["symbol"], row["timeframe"]) != (symbol.name, timeframe.value):
        raise ConfigError(
            f"run {run_id} traded {row['symbol']} {row['timeframe']}, not {symbol} "
            f"{timeframe.value}"
        )
    metrics = row["metrics"] or {}
    if row["kind"] == "walkforward":
        return [f["run_id"] for f in metrics.get("folds", [])]
    if row["kind"] == "sweep":
        return [r["run_id"] for r in metrics.get("results", [])]
    if row["kind"] == "backtest":
        return [run_id]
    raise ConfigError(f"run {run_id} is a {row['kind']} run: adapt from a walk-forward or sweep")


def adapt(store: Store, config: RootConfig, request: AdaptRequest) -> AdaptOutcome:
    """Propose, validate by replay and store adaptations (see the module docstring)."""
    sym, tf = request.symbol, request.timeframe
    runs = _source_runs(store, request.from_run, sym, tf)
    signals_repo, trading = FusedSignalRepository(store), TradingRepository(store)
    frames = [f for f in (signals_repo.load(sym, tf, run_id=r) for r in runs) if len(f)]
    if not frames:
        raise DataError(
            f"run {request.from_run} stored no fused signals: adaptation replays the fused "
            "strategy's signals; adapt from a walk-forward or backtest of the fused strategy"
        )
    signals = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable")
    signals = signals.reset_index(drop=True)
    trades = pd.concat([trading.trades(r) for r in runs], ignore_index=True)
    first, last = signals["ts"].iloc[0], signals["ts"].iloc[-1]
    split = first + (last - first) * request.search_fraction
    searched = trades[pd.to_datetime(trades["exit_time"], utc=True) < split]
    held_out = signals[signals["ts"] >= split].reset_index(drop=True)
    reasons = [_EXITS.get(str(r), str(r)) for r in searched["exit_reason"]]
    perf = performance(searched["pnl_pips"].to_numpy(float), reasons)
    current = current_parameters(store, config, sym, tf)
    system = AdaptiveParameterSystem(
        symbol=sym.name,
        timeframe=tf.value,
        params=current,
        spread_pips=config.signals.spread_pips,
    )
    candles = CandleRepository(store).load(sym, tf)
    checked = []
    for proposal in system.propose(perf):
        status, evidence = system.validate(proposal, held_out, candles)
        checked.append((proposal, "validated" if status == "deployed" else "rejected", evidence))
    best = max(
        (c for c in checked if c[1] == "validated"),
        key=lambda c: c[2]["after"]["total_pips"],
        default=None,
    )
    db, stored = ParameterAdaptationDB(store), []
    perf_values = {k: _finite(v) for k, v in asdict(perf).items()}
    context: dict[str, Any] = {
        "source_run": request.from_run,
        "search": {"from": first.isoformat(), "to": split.isoformat(), "trades": len(searched)},
        "validation": {"from": split.isoformat(), "to": last.isoformat(), "signals": len(held_out)},
        "performance": perf_values,
    }
    for proposal, status, evidence in checked:
        if status == "validated" and best is not None and proposal is not best[0]:
            status = "rejected"
            evidence.update(verdict="valid, but another proposal replayed better", validated=False)
        aid = db.record(
            proposal,
            status=status,
            evidence={**evidence, **context},
            ts=last,
            symbol=sym.name,
            timeframe=tf.value,
            regime=request.regime,
            run_id=request.from_run,
        )
        stored.append(AdaptationRepository(store).get(aid))
    return AdaptOutcome(stored, perf_values, (first, split), (split, last), current)


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: ``None`` for them."""
    return None if isinstance(value, float) and not math.isfinite(value) else value
