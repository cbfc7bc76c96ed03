"""Performance metrics of a run, from its equity curve and its closed trades.

Plain functions, each checked against hand-computed values in the tests.

Conventions:

- Daily returns are the returns of the equity at the end of each FX day (days roll at 17:00
  New York, the FX convention), so a Sunday-evening session belongs to Monday.
- Annualisation uses ``PERIODS_PER_YEAR = 260`` FX days (52 weeks of 5 days); CAGR uses calendar
  time (365.25 days a year).
- Sharpe and Sortino take a zero risk-free rate; Sortino's downside deviation is the root mean
  square of the negative daily returns over *all* days.
- Drawdowns come from the per-bar equity; the duration is the longest time from a peak to the
  bar that regains it (or to the end when it never does).
- Expectancy in R divides each trade's P&L by the risk it took at entry (stop distance x units,
  in the account currency); trades without a stop are left out of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.core.sessions import NEW_YORK
from forex_diffusion.data.candles import index_ns

__all__ = [
    "PERIODS_PER_YEAR",
    "cagr",
    "daily_returns",
    "exposure",
    "max_drawdown",
    "performance",
    "sharpe",
    "sortino",
]

PERIODS_PER_YEAR = 260
"""FX trading days a year."""


def daily_returns(equity: pd.Series) -> pd.Series:
    """Returns of the equity at the end of each FX day (the first day against its first
    value)."""
    if equity.empty:
        return pd.Series(dtype=float)
    ny = pd.DatetimeIndex(equity.index).tz_convert(NEW_YORK) + pd.Timedelta(hours=7)
    closes = equity.groupby(ny.date).last()
    base = np.r_[float(equity.iloc[0]), closes.to_numpy(float)[:-1]]
    return pd.Series(closes.to_numpy(float) / base - 1.0, index=pd.Index(closes.index))


def sharpe(returns: pd.Series, *, periods: int = PERIODS_PER_YEAR) -> float | None:
    """Annualised Sharpe ratio of periodic returns (``None`` with fewer than two or no
    variation)."""
    r = returns.to_numpy(float)
    if len(r) < 2 or r.std(ddof=1) == 0:
        return None
    return float(r.mean() / r.std(ddof=1) * np.sqrt(periods))


def sortino(returns: pd.Series, *, periods: int = PERIODS_PER_YEAR) -> float | None:
    """Annualised Sortino ratio (``None`` without a losing period)."""
    r = returns.to_numpy(float)
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2)) if len(r) else 0.0
    if len(r) < 2 or downside == 0:
        return None
    return float(r.mean() / downside * np.sqrt(periods))


def max_drawdown(equity: pd.Series) -> tuple[float, pd.Timedelta]:
    """Largest peak-to-trough fall as a fraction of the peak, and the longest time under a
    peak."""
    if equity.empty:
        return 0.0, pd.Timedelta(0)
    values = equity.to_numpy(float)
    peaks = np.maximum.accumulate(values)
    depth = float(((peaks - values) / peaks).max())
    times = index_ns(equity.index)
    at_peak = values >= peaks
    last_peak = np.maximum.accumulate(np.where(at_peak, np.arange(len(values)), 0))
    recovered = np.flatnonzero(at_peak[1:] & ~at_peak[:-1]) + 1  # first bar back at a peak
    spells = times[recovered] - times[last_peak[recovered - 1]]
    if not at_peak[-1]:  # still under water at the end
        spells = np.r_[spells, times[-1] - times[last_peak[-1]]]
    longest = pd.Timedelta(int(spells.max()) if len(spells) else 0)
    return depth, longest


def cagr(equity: pd.Series, *, initial: float) -> float | None:
    """Compound annual growth from ``initial`` to the last equity over the curve's span."""
    if len(equity) < 2:
        return None
    years = (equity.index[-1] - equity.index[0]) / pd.Timedelta(days=365.25)
    final = float(equity.iloc[-1])
    if years <= 0 or final <= 0:
        return None
    return float((final / initial) ** (1 / years) - 1)


def exposure(index: pd.DatetimeIndex, entries: pd.Series, exits: pd.Series) -> float:
    """Share of the bars of ``index`` with at least one position open (entered at or before
    the bar, exited after it)."""
    if len(index) == 0:
        return 0.0
    ns = index_ns(index)
    counts = np.zeros(len(ns) + 1, dtype=int)
    np.add.at(counts, np.searchsorted(ns, index_ns(pd.DatetimeIndex(entries)), side="left"), 1)
    np.add.at(counts, np.searchsorted(ns, index_ns(pd.DatetimeIndex(exits)), side="left"), -1)
    return float((np.cumsum(counts)[:-1] > 0).mean())


def performance(equity: pd.Series, trades: pd.DataFrame, *, initial: float) -> dict[str, Any]:
    """Every metric of a run (see the module docstring for the conventions).

    ``equity``: equity per bar (index: bar time); ``trades``: one row per closed trade with
    ``entry_time``, ``exit_time``, ``pnl``, ``commission``, ``swap``, ``spread_cost``,
    ``slippage_cost`` and optionally ``risk`` (the risk at entry) and ``source``.
    """
    daily = daily_returns(equity)
    dd, dd_time = max_drawdown(equity)
    growth = cagr(equity, initial=initial)
    pnl = trades["pnl"].to_numpy(float) if len(trades) else np.zeros(0)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    r = (
        trades["pnl"] / trades["risk"]
        if len(trades) and "risk" in trades
        else pd.Series(dtype=float)
    )
    r = r[np.isfinite(r.to_numpy(float))] if len(r) else r
    held = (trades["exit_time"] - trades["entry_time"]) if len(trades) else None
    final = float(equity.iloc[-1]) if len(equity) else initial
    return {
        "total_return": final / initial - 1,
        "cagr": growth,
        "volatility": float(daily.std(ddof=1) * np.sqrt(PERIODS_PER_YEAR))
        if len(daily) > 1
        else None,
        "sharpe": sharpe(daily),
        "sortino": sortino(daily),
        "max_drawdown": dd,
        "max_drawdown_days": dd_time / pd.Timedelta(days=1),
        "calmar": growth / dd if growth is not None and dd > 0 else None,
        "trade_count": len(pnl),
        "win_rate": float(len(wins) / len(pnl)) if len(pnl) else None,
        "profit_factor": float(wins.sum() / -losses.sum()) if len(losses) else None,
        "expectancy": float(pnl.mean()) if len(pnl) else None,
        "expectancy_r": float(r.mean()) if len(r) else None,
        "average_win": float(wins.mean()) if len(wins) else None,
        "average_loss": float(losses.mean()) if len(losses) else None,
        "exposure": exposure(
            pd.DatetimeIndex(equity.index), trades["entry_time"], trades["exit_time"]
        )
        if len(trades)
        else 0.0,
        "average_holding_hours": float(held.dt.total_seconds().mean() / 3600)
        if held is not None
        else None,
        "net_pnl": float(pnl.sum()),
        "final_equity": final,
        "costs": {
            c: float(trades[c].sum()) if len(trades) else 0.0
            for c in ("spread_cost", "slippage_cost", "commission", "swap")
        },
    }
