"""``AdaptiveParameterSystem``: watch closed trades, propose parameter changes, prove each on a
replay of the recent signals, deploy or roll back, and store every step.

Monitoring (:func:`performance`): win rate, profit factor, maximum drawdown (in pips of
cumulative P&L) and the current run of consecutive losses over the most recent trades.

Proposals (:meth:`AdaptiveParameterSystem.propose`), each a single-parameter change:

* losing streak or profit factor below 1: raise the quality ``threshold`` (fewer, better
  signals) and cut ``size_multiplier``;
* drawdown beyond the limit: halve ``size_multiplier``;
* stops hit far more often than targets: widen ``stop_multiple``; targets rarely hit while
  trades expire in profit: bring ``target_multiple`` in;
* profit factor above 1.5 with a good win rate: lower the threshold a little (more signals).

Validation (:meth:`AdaptiveParameterSystem.validate`): the recent signals and candles are
replayed (:func:`~forex_diffusion.intelligence.evaluation.signal_replay.replay_signals`) with
the current and the proposed value. A proposal that trades exactly the same way is ``rejected``
(it would change nothing); one whose replay is worse (lower total P&L) is ``rejected``; of the
rest, the one with the best replay is ``deployed`` (one change per round, so each can be judged
alone) and the others are ``rejected`` as outdone. After ``review_trades`` more closed trades, a
deployed change whose live P&L per trade is below the one before it is ``rolled_back``.
Every step is stored in ``parameter_adaptations`` through :class:`ParameterAdaptationDB`
(uuid ids, the evidence in ``params_metadata``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.intelligence.evaluation.signal_replay import (
    ReplayResult,
    TradingParameters,
    replay_signals,
)
from forex_diffusion.storage.database import Store
from forex_diffusion.storage.models import ParameterAdaptationRow, to_ms

__all__ = [
    "AdaptationRecord",
    "AdaptiveParameterSystem",
    "ParameterAdaptationDB",
    "Performance",
    "Proposal",
    "performance",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Performance:
    """Statistics of a window of closed trades (P&L in pips)."""

    trades: int
    win_rate: float
    profit_factor: float
    max_drawdown: float
    consecutive_losses: int
    stop_rate: float
    target_rate: float


def performance(
    pnl_pips: Sequence[float] | np.ndarray, exit_reasons: Sequence[str] | None = None
) -> Performance:
    """Win rate, profit factor, max drawdown, the current losing streak and the share of exits
    at the stop and at the target (``exit_reasons``: ``stop``, ``target``, ``expiry``...)."""
    pnl = np.asarray(pnl_pips, dtype=float)
    if not len(pnl):
        return Performance(0, float("nan"), float("nan"), 0.0, 0, float("nan"), float("nan"))
    gains, losses = pnl[pnl > 0].sum(), -pnl[pnl < 0].sum()
    equity = np.cumsum(pnl)
    drawdown = float(np.max(np.maximum.accumulate(np.r_[0.0, equity])[1:] - equity, initial=0.0))
    streak = 0
    for value in pnl[::-1]:
        if value >= 0:
            break
        streak += 1
    reasons = np.asarray(exit_reasons if exit_reasons is not None else [""] * len(pnl))
    return Performance(
        trades=len(pnl),
        win_rate=float((pnl > 0).mean()),
        profit_factor=float(gains / losses) if losses > 0 else float("inf"),
        max_drawdown=drawdown,
        consecutive_losses=streak,
        stop_rate=float((reasons == "stop").mean()),
        target_rate=float((reasons == "target").mean()),
    )


@dataclass(frozen=True, slots=True)
class Proposal:
    """A single-parameter change and why."""

    parameter: str
    old_value: float
    new_value: float
    reason: str


@dataclass(frozen=True, slots=True)
class AdaptationRecord:
    """A stored adaptation step."""

    adaptation_id: str
    proposal: Proposal
    status: str
    evidence: dict[str, Any]


class ParameterAdaptationDB:
    """Writes and reads ``parameter_adaptations``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        proposal: Proposal,
        *,
        status: str,
        evidence: dict[str, Any],
        ts: pd.Timestamp,
        symbol: str | None = None,
        timeframe: str | None = None,
        regime: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Store one step; returns its uuid."""
        adaptation_id = uuid.uuid4().hex
        with self.store.session() as session:
            session.add(
                ParameterAdaptationRow(
                    id=adaptation_id,
                    run_id=run_id,
                    ts=to_ms(ts),
                    symbol=Symbol.parse(symbol).name if symbol else None,
                    timeframe=Timeframe.parse(timeframe).value if timeframe else None,
                    regime=regime,
                    parameter_name=proposal.parameter,
                    old_value=proposal.old_value,
                    new_value=proposal.new_value,
                    status=status,
                    reason=proposal.reason,
                    params_metadata=evidence,
                )
            )
        return adaptation_id

    def history(self, *, symbol: str | None = None, run_id: str | None = None) -> pd.DataFrame:
        """Stored steps, oldest first."""
        stmt = select(ParameterAdaptationRow).order_by(
            ParameterAdaptationRow.ts, ParameterAdaptationRow.created_at
        )
        if symbol:
            stmt = stmt.where(ParameterAdaptationRow.symbol == Symbol.parse(symbol).name)
        if run_id:
            stmt = stmt.where(ParameterAdaptationRow.run_id == run_id)
        columns = ["id", "ts", "parameter_name", "old_value", "new_value", "status", "reason"]
        with self.store.session() as session:
            rows = [
                {**{c: getattr(r, c) for c in columns}, "params_metadata": r.params_metadata}
                for r in session.scalars(stmt)
            ]
        return pd.DataFrame(rows, columns=[*columns, "params_metadata"])


def _replay_summary(result: ReplayResult) -> dict[str, float | int]:
    return {
        "trades": len(result.pnl_pips),
        "total_pips": result.total,
        "expectancy": result.expectancy,
    }


@dataclass
class AdaptiveParameterSystem:
    """Adapts :class:`TradingParameters` to recent results, one proven change at a time.

    Parameters
    ----------
    symbol, timeframe
        The series adapted (the replay needs its pip size).
    db
        Where every step is stored (``None``: kept in :attr:`log` only).
    window
        Closed trades looked at.
    min_trades
        No proposals before this many trades.
    max_losing_streak, max_drawdown_pips
        Limits that trigger defensive proposals.
    review_trades
        Trades after a deployment before it is reviewed for rollback.
    """

    symbol: str
    timeframe: str
    db: ParameterAdaptationDB | None = None
    params: TradingParameters = field(default_factory=TradingParameters)
    window: int = 50
    min_trades: int = 20
    max_losing_streak: int = 5
    max_drawdown_pips: float = 200.0
    review_trades: int = 20
    spread_pips: float = 1.0
    run_id: str | None = None
    log: list[AdaptationRecord] = field(default_factory=list)
    _deployed: list[tuple[Proposal, float, int]] = field(default_factory=list)

    def propose(self, perf: Performance) -> list[Proposal]:
        """Changes the recent performance calls for (empty when it calls for none)."""
        p, out = self.params, list[Proposal]()
        if perf.trades < self.min_trades:
            return out
        if perf.consecutive_losses >= self.max_losing_streak or perf.profit_factor < 1.0:
            why = (
                f"{perf.consecutive_losses} losses in a row, profit factor {perf.profit_factor:.2f}"
            )
            out.append(Proposal("threshold", p.threshold, min(p.threshold + 0.02, 0.95), why))
            out.append(Proposal("size_multiplier", p.size_multiplier, p.size_multiplier * 0.8, why))
        if perf.max_drawdown > self.max_drawdown_pips:
            why = f"drawdown {perf.max_drawdown:.0f} pips > {self.max_drawdown_pips:.0f}"
            out.append(Proposal("size_multiplier", p.size_multiplier, p.size_multiplier * 0.5, why))
        if perf.stop_rate > 2.0 * max(perf.target_rate, 0.05):
            why = f"stops hit on {perf.stop_rate:.0%} of trades, targets on {perf.target_rate:.0%}"
            out.append(Proposal("stop_multiple", p.stop_multiple, p.stop_multiple * 1.2, why))
            out.append(Proposal("target_multiple", p.target_multiple, p.target_multiple * 0.8, why))
        if perf.profit_factor > 1.5 and perf.win_rate > 0.55:
            why = f"profit factor {perf.profit_factor:.2f}, win rate {perf.win_rate:.0%}"
            out.append(Proposal("threshold", p.threshold, max(p.threshold - 0.01, 0.5), why))
        return [q for q in out if q.new_value != q.old_value]

    def validate(
        self, proposal: Proposal, signals: pd.DataFrame, candles: pd.DataFrame
    ) -> tuple[str, dict[str, Any]]:
        """``deployed`` or ``rejected`` and the replay evidence of both parameter sets."""
        before = replay_signals(
            signals, candles, self.params, symbol=self.symbol, spread_pips=self.spread_pips
        )
        candidate = self.params.replace(proposal.parameter, proposal.new_value)
        after = replay_signals(
            signals, candles, candidate, symbol=self.symbol, spread_pips=self.spread_pips
        )
        evidence: dict[str, Any] = {
            "signals_replayed": len(signals),
            "before": _replay_summary(before),
            "after": _replay_summary(after),
            "params_before": self.params.as_dict(),
            "params_after": candidate.as_dict(),
        }
        evidence["validated"] = False
        if after.same_as(before):
            evidence["verdict"] = "the replay is unchanged: the proposal changes nothing"
            return "rejected", evidence
        if after.total < before.total:
            evidence["verdict"] = "the replay is worse with the new value"
            return "rejected", evidence
        evidence["verdict"] = "the replay improves or holds with different trades"
        evidence["validated"] = True
        return "deployed", evidence

    def _store(
        self, proposal: Proposal, status: str, evidence: dict[str, Any], ts: pd.Timestamp
    ) -> None:
        aid = uuid.uuid4().hex
        if self.db is not None:
            aid = self.db.record(
                proposal,
                status=status,
                evidence=evidence,
                ts=ts,
                symbol=self.symbol,
                timeframe=self.timeframe,
                run_id=self.run_id,
            )
        self.log.append(AdaptationRecord(aid, proposal, status, evidence))
        logger.info(
            "adaptation %s: %s %s -> %s (%s)",
            status,
            proposal.parameter,
            proposal.old_value,
            proposal.new_value,
            proposal.reason,
        )

    def step(
        self,
        *,
        pnl_pips: Sequence[float],
        exit_reasons: Sequence[str] | None,
        signals: pd.DataFrame,
        candles: pd.DataFrame,
        ts: pd.Timestamp,
    ) -> list[AdaptationRecord]:
        """One adaptation round on the closed trades so far: review deployed changes, then
        propose, validate and deploy. Returns the records written in this round."""
        start = len(self.log)
        pnl = np.asarray(pnl_pips, dtype=float)
        self._review(pnl, ts)
        recent = pnl[-self.window :]
        reasons = None if exit_reasons is None else list(exit_reasons)[-self.window :]
        perf = performance(recent, reasons)
        validated = []
        for proposal in self.propose(perf):
            status, evidence = self.validate(proposal, signals, candles)
            evidence["performance"] = _perf_dict(perf)
            validated.append((proposal, status, evidence))
        deployable = [v for v in validated if v[1] == "deployed"]
        best = max(deployable, key=lambda v: v[2]["after"]["total_pips"], default=None)
        for proposal, status, evidence in validated:
            if status == "deployed" and best is not None and proposal is not best[0]:
                status = "rejected"
                evidence["verdict"] = "valid, but another proposal replayed better"
                evidence["validated"] = False
            self._store(proposal, status, evidence, ts)
        if best is not None:
            proposal = best[0]
            before = float(recent.mean()) if len(recent) else 0.0
            self._deployed.append((proposal, before, len(pnl)))
            self.params = self.params.replace(proposal.parameter, proposal.new_value)
        return self.log[start:]

    def _review(self, pnl: np.ndarray, ts: pd.Timestamp) -> None:
        keep = []
        for proposal, before, at in self._deployed:
            since = pnl[at:]
            if len(since) < self.review_trades:
                keep.append((proposal, before, at))
                continue
            live = float(since.mean())
            if live < before:
                back = Proposal(
                    proposal.parameter,
                    proposal.new_value,
                    proposal.old_value,
                    f"rollback: {live:.2f} pips per trade since the change < {before:.2f} before",
                )
                self.params = self.params.replace(proposal.parameter, proposal.old_value)
                evidence = {
                    "live_expectancy": live,
                    "before_expectancy": before,
                    "trades": len(since),
                }
                self._store(back, "rolled_back", evidence, ts)
        self._deployed = keep


def _finite(value: float | int) -> float | int | None:
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _perf_dict(perf: Performance) -> dict[str, float | int | None]:
    return {f.name: _finite(getattr(perf, f.name)) for f in fields(Performance)}
