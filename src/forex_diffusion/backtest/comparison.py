"""The evidence for a decision rule: walk-forward studies of several rules on the same folds,
random entries, flat, the deflated Sharpe ratio and the probability of backtest overfitting.

- **Random entries** (:func:`random_entries`): for each fold, the studied rule's trades are
  replayed at random times of the same test window, each with its side and holding time, the
  fold's median size and the same broker, costs and risk limits, through the compiled loop
  (:func:`~forex_diffusion.backtest.compiled.run_compiled`; a trade leaves at the close of its
  holding time, stops and targets aside). ``seeds`` such replays give the distribution a rule
  without skill would draw from; the rule's rank in it and the one-sided p-value
  ``(1 + #{random >= rule}) / (1 + seeds)`` say whether its timing adds anything.
- **Deflated Sharpe ratio** (:func:`deflated_sharpe`, Bailey and López de Prado, 2014): the
  probability that the true Sharpe ratio exceeds the best one expected from ``trials``
  configurations of no skill, given the Sharpe ratios' variance across the configurations
  tried and the skew and kurtosis of the returns (daily returns here).
- **PBO** (:func:`pbo_cscv`, Bailey, Borwein, López de Prado and Zhu, 2015): combinatorially
  symmetric cross-validation of the configurations' daily returns: the share of the splits of
  ``blocks`` time blocks into halves where the configuration best in one half ranks at or
  below the median in the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forex_diffusion.backtest.compiled import run_compiled
from forex_diffusion.backtest.metrics import daily_returns
from forex_diffusion.backtest.walkforward import Fold, WalkForward
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.trading.strategies import Rules

__all__ = [
    "EULER_GAMMA",
    "RandomEntries",
    "compare",
    "deflated_sharpe",
    "pbo_cscv",
    "random_entries",
]

EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True, slots=True)
class RandomEntries:
    """Net P&L per seed of the random replays and the rule's own (each fold's final equity
    less the initial balance, folds summed) and where the rule ranks."""

    pnl: np.ndarray
    rule_pnl: float

    @property
    def p_value(self) -> float:
        """One-sided: the chance of a random replay doing at least as well as the rule."""
        return float((1 + np.sum(self.pnl >= self.rule_pnl)) / (1 + len(self.pnl)))

    @property
    def percentile(self) -> float:
        """Share of the random replays the rule beat."""
        return float(np.mean(self.pnl < self.rule_pnl)) if len(self.pnl) else math.nan

    def summary(self) -> dict[str, Any]:
        q = np.quantile(self.pnl, [0.05, 0.5, 0.95]) if len(self.pnl) else [math.nan] * 3
        return {
            "seeds": len(self.pnl),
            "median_pnl": float(q[1]),
            "p05_pnl": float(q[0]),
            "p95_pnl": float(q[2]),
            "mean_pnl": float(np.mean(self.pnl)) if len(self.pnl) else math.nan,
            "rule_pnl": self.rule_pnl,
            "percentile": self.percentile,
            "p_value": self.p_value,
        }


def _schedule(
    holds: np.ndarray, sides: np.ndarray, bars: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``go_long, go_short, exit_long, exit_short`` for the trades in a random order at
    random, non-overlapping times of ``bars`` bars (as many as fit)."""
    go_long, go_short = np.zeros(bars, bool), np.zeros(bars, bool)
    exit_long, exit_short = np.zeros(bars, bool), np.zeros(bars, bool)
    order = rng.permutation(len(holds))
    holds, sides = holds[order], sides[order]
    span = np.cumsum(holds + 1)
    fit = int(np.searchsorted(span, bars - 1, side="right"))
    holds, sides = holds[:fit], sides[:fit]
    free = bars - 1 - int(np.sum(holds + 1))
    if not fit or free < 0:
        return go_long, go_short, exit_long, exit_short
    gaps = np.diff(np.r_[0, np.sort(rng.integers(0, free + 1, size=fit))])
    t = 0
    for hold, side, gap in zip(holds, sides, gaps, strict=True):
        t += int(gap)
        (go_long if side > 0 else go_short)[t] = True
        (exit_long if side > 0 else exit_short)[t + int(hold)] = True
        t += int(hold) + 1
    return go_long, go_short, exit_long, exit_short


def random_entries(
    candles: pd.DataFrame,
    study: WalkForward,
    folds: Sequence[Fold],
    *,
    symbol: str,
    timeframe: str,
    config: TradingConfig,
    seeds: int = 100,
    seed: int = 0,
) -> RandomEntries:
    """The studied rule's trades replayed at random times of their folds (see the module
    docstring); ``candles``: the series the folds index."""
    if seeds < 1:
        raise ConfigError(f"random entries need at least one seed, got {seeds}")
    rng = np.random.default_rng(seed)
    total = np.zeros(seeds)
    for fold, result in zip(folds, study.folds, strict=True):
        trades = result.result.trades
        if trades.empty:
            continue
        test = candles.iloc[fold.test_start : fold.test_end]
        index = pd.DatetimeIndex(test.index)
        entry = index.searchsorted(pd.DatetimeIndex(trades["entry_time"]))
        exit_ = index.searchsorted(pd.DatetimeIndex(trades["exit_time"]))
        holds = np.maximum(exit_ - entry, 0).astype(np.int64)
        sides = np.where(trades["direction"].to_numpy() == "long", 1, -1)
        units = float(np.median(trades["units"].to_numpy(float)))
        for k in range(seeds):
            go_long, go_short, exit_long, exit_short = _schedule(holds, sides, len(test), rng)
            run = run_compiled(
                test,
                Rules(go_long, go_short, exit_long, exit_short, units=units, source="random"),
                symbol=symbol,
                timeframe=timeframe,
                config=config,
                offset=0,
                act_from=0,
            )
            total[k] += float(run.equity.iloc[-1]) - config.broker.initial_balance
    initial = config.broker.initial_balance
    rule = float(
        sum(float(f.result.equity.iloc[-1]) - initial for f in study.folds if len(f.result.equity))
    )
    return RandomEntries(total, rule)


def deflated_sharpe(
    returns: np.ndarray, *, trial_sharpes: Sequence[float], trials: int
) -> float | None:
    """The deflated Sharpe ratio of per-period ``returns`` (see the module docstring):
    ``trial_sharpes`` are the per-period Sharpe ratios of the configurations compared, whose
    variance sets the expected maximum of ``trials`` unskilled ones. ``None`` with fewer than
    three returns or no variation."""
    r = np.asarray(returns, float)
    if len(r) < 3 or r.std(ddof=1) == 0:
        return None
    sr = r.mean() / r.std(ddof=1)
    var = float(np.var(np.asarray(trial_sharpes, float), ddof=1)) if len(trial_sharpes) > 1 else 0
    n = max(int(trials), 1)
    if n > 1 and var > 0:
        z1 = stats.norm.ppf(1 - 1 / n)
        z2 = stats.norm.ppf(1 - 1 / (n * math.e))
        sr0 = math.sqrt(var) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)
    else:
        sr0 = 0.0
    skew = float(stats.skew(r))
    kurt = float(stats.kurtosis(r, fisher=False))
    denom = 1 - skew * sr + (kurt - 1) / 4 * sr**2
    if denom <= 0:
        return None
    return float(stats.norm.cdf((sr - sr0) * math.sqrt(len(r) - 1) / math.sqrt(denom)))


def pbo_cscv(returns: np.ndarray, *, blocks: int = 8) -> float | None:
    """Probability of backtest overfitting of the configurations whose per-period returns are
    the columns of ``returns`` (see the module docstring); ``None`` with fewer than two
    configurations or fewer periods than blocks."""
    m = np.asarray(returns, float)
    if m.ndim != 2 or m.shape[1] < 2 or m.shape[0] < blocks or blocks < 2 or blocks % 2:
        return None
    parts = np.array_split(np.arange(m.shape[0]), blocks)
    n = m.shape[1]

    def perf(rows: np.ndarray) -> np.ndarray:
        x = m[rows]
        sd = x.std(axis=0, ddof=1)
        return np.where(sd > 0, x.mean(axis=0) / np.where(sd > 0, sd, 1), 0.0)

    logits = []
    for chosen in combinations(range(blocks), blocks // 2):
        rows_in = np.concatenate([parts[b] for b in chosen])
        rows_out = np.concatenate([parts[b] for b in range(blocks) if b not in chosen])
        best = int(np.argmax(perf(rows_in)))
        out = perf(rows_out)
        rank = float(stats.rankdata(out)[best])  # 1 = worst
        omega = rank / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
    return float(np.mean(np.asarray(logits) <= 0))


def _row(name: str, study: WalkForward | None, initial: float) -> dict[str, Any]:
    if study is None:  # flat: never in the market
        return {
            "rule": name,
            "net_pnl": 0.0,
            "total_return": 0.0,
            "max_drawdown": 0.0,
            "sharpe": None,
            "trades": 0,
            "expectancy_r": None,
        }
    m = study.metrics
    return {
        "rule": name,
        "net_pnl": float(m["net_pnl"]),
        "total_return": float(m["total_return"]),
        "max_drawdown": float(m["max_drawdown"]),
        "sharpe": m["sharpe"],
        "trades": int(m["trade_count"]),
        "expectancy_r": m["expectancy_r"],
    }


def compare(
    studies: Mapping[str, WalkForward],
    *,
    rule: str,
    candles: pd.DataFrame,
    folds: Sequence[Fold],
    symbol: str,
    timeframe: str,
    config: TradingConfig,
    trials: int,
    seeds: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """The comparison table of ``studies`` (decision rule -> walk-forward on ``folds``), flat,
    and random replays of ``rule``'s trades; the deflated Sharpe ratio of each rule over
    ``trials`` configurations and the PBO of the rules' choice."""
    if rule not in studies:
        raise ConfigError(f"the rule {rule!r} has no study to compare")
    initial = config.broker.initial_balance
    daily = {name: daily_returns(s.equity) for name, s in studies.items()}
    frame = pd.DataFrame(daily).fillna(0.0)
    per_period = {
        name: float(col.mean() / col.std(ddof=1)) if col.std(ddof=1) > 0 else 0.0
        for name, col in frame.items()
    }
    rows = []
    for name, study in studies.items():
        row = _row(name, study, initial)
        row["deflated_sharpe"] = deflated_sharpe(
            frame[name].to_numpy(), trial_sharpes=list(per_period.values()), trials=trials
        )
        rows.append(row)
    rows.append({**_row("flat", None, initial), "deflated_sharpe": None})
    randoms = random_entries(
        candles,
        studies[rule],
        folds,
        symbol=symbol,
        timeframe=timeframe,
        config=config,
        seeds=seeds,
        seed=seed,
    )
    return {
        "rule": rule,
        "rows": rows,
        "random": randoms.summary(),
        "trials": trials,
        "pbo": pbo_cscv(frame.to_numpy()),
        "days": len(frame),
    }
