"""Bar spacing: infer a timeframe, check that data matches one, and find real gaps.

Weekend closures (Friday 17:00 to Sunday 17:00 New York) are not gaps; holidays are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.sessions import market_open_mask
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import format_ts, index_ns

__all__ = ["check_spacing", "find_gaps", "format_duration", "infer_timeframe"]

_WEEKEND_NS = 49 * 3_600_000_000_000  # a weekend closure is 48 h; one hour of slack for DST


def format_duration(nanos: int) -> str:
    """A duration for messages: ``30min``, ``1h``, ``1d 2h``."""
    minutes, rest = divmod(int(nanos), 60_000_000_000)
    if rest:
        return f"{pd.Timedelta(int(nanos), unit='ns').total_seconds():g}s"
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "min")) if v]
    return " ".join(parts) or "0s"


def infer_timeframe(index: pd.DatetimeIndex) -> Timeframe | None:
    """The timeframe whose bar length is the most common spacing, or ``None`` if none fits."""
    if len(index) < 2:
        return None
    steps = np.diff(index_ns(index))
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    mode = int(values[np.argmax(counts)])
    return next((tf for tf in Timeframe if tf.nanos == mode), None)


def check_spacing(index: pd.DatetimeIndex, timeframe: Timeframe) -> None:
    """Fail if the bar times contradict ``timeframe``.

    Contradictions: two bars closer than one bar length, intraday bar times not on the
    timeframe's grid (an H1 bar at 10:30), or a most common spacing that is another timeframe.

    Raises
    ------
    CandleDataError
        Naming the row and the timeframe the data looks like.
    """
    ns = index_ns(index)
    if len(ns) < 2:
        _check_grid(index, ns, timeframe)  # one bar has no spacing, but it has a time
        return
    steps = np.diff(ns)
    looks = infer_timeframe(index)
    looks_txt = f"; the data looks like {looks.value}" if looks else ""
    short = steps < timeframe.nanos
    if short.any():
        pos = int(np.argmax(short)) + 1
        gap = format_duration(int(steps[pos - 1]))
        reason = f"bars only {gap} apart, less than one {timeframe.value} bar{looks_txt}"
        raise _row_error(index, pos, reason)
    _check_grid(index, ns, timeframe)
    if looks is not None and looks is not timeframe and len(ns) >= 3:
        raise CandleDataError(
            f"column 'time': the most common spacing is {format_duration(looks.nanos)}, not one "
            f"{timeframe.value} "
            f"bar{looks_txt}"
        )


def _check_grid(index: pd.DatetimeIndex, ns: np.ndarray, timeframe: Timeframe) -> None:
    """Intraday bar open times must be multiples of the bar length (D1 and W1 bars open at
    midnight UTC or 17:00 New York, so they have no single grid)."""
    if timeframe.minutes >= Timeframe.D1.minutes:
        return
    off_grid = (ns % timeframe.nanos) != 0
    if off_grid.any():
        pos = int(np.argmax(off_grid))
        reason = (
            f"not on the {timeframe.value} grid "
            f"(bar open times must be multiples of {format_duration(timeframe.nanos)})"
        )
        raise _row_error(index, pos, reason)


def _row_error(index: pd.DatetimeIndex, pos: int, reason: str) -> CandleDataError:
    stamp = format_ts(index[pos])
    return CandleDataError(
        f"row {pos} ({stamp}), column 'time': {reason}",
        position=pos,
        column="time",
        timestamp=stamp,
        reason=reason,
    )


def find_gaps(index: pd.DatetimeIndex, timeframe: Timeframe) -> pd.DataFrame:
    """Missing stretches of bars while the market was open.

    Returns
    -------
    DataFrame
        Columns ``after`` (last bar before the gap), ``before`` (first bar after it) and
        ``missing_bars``; one row per gap, weekend closures left out.
    """
    ns = index_ns(index)
    step = timeframe.nanos
    if len(ns) < 2:
        return pd.DataFrame({"after": [], "before": [], "missing_bars": []})
    diffs = np.diff(ns)
    where = np.flatnonzero(diffs > step)
    first_missing = pd.DatetimeIndex(ns[where] + step, tz="UTC")
    last_missing = pd.DatetimeIndex(ns[where + 1] - step, tz="UTC")
    weekend = (
        ~market_open_mask(first_missing)
        & ~market_open_mask(last_missing)
        & ((index_ns(last_missing) - index_ns(first_missing)) <= _WEEKEND_NS)
    )
    keep = where[~weekend]
    return pd.DataFrame(
        {
            "after": index[keep],
            "before": index[keep + 1],
            "missing_bars": (diffs[keep] // step - 1).astype("int64"),
        }
    )
