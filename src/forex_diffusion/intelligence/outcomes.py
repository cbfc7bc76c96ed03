"""What happened after a signal: did it reach its target before its stop?

The outcome of a signal decided on the close of bar ``i`` is read from bars ``i+1`` up to and
including the expiry bar: ``target_first`` is 1 when a bar's range reaches the target before
any bar reaches the stop, 0 when the stop comes first (a bar that reaches both counts as the
stop: the conservative reading of OHLC bars), NaN when neither is reached. ``direction_hit``
is 1 when the close of the expiry bar is beyond the entry in the signal's direction by more
than the spread: the label the calibrators learn from and the statistics' hit rate, because it
does not depend on where a source puts its target and stop (a forecast's strength is the same
probability). Signals whose expiry lies beyond the data get NaN everywhere (not yet known).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forex_diffusion.data.candles import index_ns

__all__ = ["signal_outcomes"]


def signal_outcomes(
    candles: pd.DataFrame,
    *,
    decided_at: pd.DatetimeIndex | pd.Series,
    direction: np.ndarray | pd.Series,
    entry: np.ndarray | pd.Series,
    target: np.ndarray | pd.Series,
    stop: np.ndarray | pd.Series,
    valid_until: pd.DatetimeIndex | pd.Series,
    spread: float = 0.0,
) -> pd.DataFrame:
    """Outcome columns ``target_first``, ``direction_hit``, ``bars_held`` and ``exit_price``
    (target, stop or the expiry bar's close: where a trade on the signal would have left), one row
    per signal (``decided_at``: open time of the bar on whose close it was decided;
    ``valid_until``: open time of the last bar it may use)."""
    ns = index_ns(pd.DatetimeIndex(candles.index))
    high = candles["high"].to_numpy(float)
    low = candles["low"].to_numpy(float)
    close = candles["close"].to_numpy(float)
    start = np.searchsorted(ns, index_ns(pd.DatetimeIndex(decided_at)), side="right")
    last = np.searchsorted(ns, index_ns(pd.DatetimeIndex(valid_until)), side="right") - 1
    sign = np.where(np.asarray(direction) == "bull", 1.0, -1.0)
    entry_a, target_a, stop_a = (np.asarray(v, float) for v in (entry, target, stop))
    n = len(sign)
    first = np.full(n, np.nan)
    direction_hit = np.full(n, np.nan)
    held = np.full(n, np.nan)
    exit_price = np.full(n, np.nan)
    complete = (last >= start) & (ns[-1] >= index_ns(pd.DatetimeIndex(valid_until)))
    for k in np.flatnonzero(complete):
        span = slice(start[k], last[k] + 1)
        if sign[k] > 0:
            reached = high[span] >= target_a[k]
            stopped = low[span] <= stop_a[k]
        else:
            reached = low[span] <= target_a[k]
            stopped = high[span] >= stop_a[k]
        t = int(np.argmax(reached)) if reached.any() else None
        s = int(np.argmax(stopped)) if stopped.any() else None
        if s is not None and (t is None or s <= t):
            first[k], held[k], exit_price[k] = 0.0, s + 1, stop_a[k]
        elif t is not None:
            first[k], held[k], exit_price[k] = 1.0, t + 1, target_a[k]
        else:
            held[k], exit_price[k] = last[k] - start[k] + 1, close[last[k]]
        move = sign[k] * (close[last[k]] - entry_a[k])
        direction_hit[k] = float(move > spread)
    return pd.DataFrame(
        {
            "target_first": first,
            "direction_hit": direction_hit,
            "bars_held": held,
            "exit_price": exit_price,
        }
    )
