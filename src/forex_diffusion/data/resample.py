"""Causal resampling of candles to a higher timeframe.

A higher-timeframe bar is built only from the bars inside it (open of the first, highest high,
lowest low, close of the last, summed volume) and labelled with its open time. The result has a
boolean column ``complete``: only the last bar can be incomplete, and it is flagged, never passed
off as complete. A bar is complete once a later source bar exists, or the last source bar reaches
the bucket's end (or the Friday close, when the FX week ends inside the bucket). Complete bars
computed on a prefix of the data equal those computed on all of it (the prefix test of DESIGN.md).

Buckets: intraday timeframes on the UTC grid (H4 at 00, 04, 08... UTC); D1 and W1 by
``anchor``: ``"utc"`` (days at 00:00 UTC, weeks from Sunday 00:00 UTC) or ``"new_york"`` (the FX
convention: days and weeks start at 17:00 New York, daylight saving included).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError, DataError
from forex_diffusion.core.sessions import NEW_YORK, week_close
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import OHLCV, index_ns
from forex_diffusion.data.spacing import infer_timeframe

__all__ = ["Anchor", "bucket_bounds", "resample_candles"]

Anchor = Literal["utc", "new_york"]
_DAY_NS = 86_400_000_000_000


def bucket_bounds(
    index: pd.DatetimeIndex, timeframe: Timeframe, *, anchor: Anchor = "utc"
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (epoch ns, UTC) of the ``timeframe`` bucket holding each bar time."""
    ns = index_ns(index)
    if timeframe.minutes < Timeframe.D1.minutes:
        start = ns - ns % timeframe.nanos
        return start, start + timeframe.nanos
    if anchor == "utc":
        day = ns - ns % _DAY_NS
        if timeframe is Timeframe.D1:
            return day, day + _DAY_NS
        days_since_sunday = (np.asarray(index.day_of_week, dtype=np.int64) + 1) % 7
        start = day - days_since_sunday * _DAY_NS
        return start, start + 7 * _DAY_NS
    if anchor != "new_york":
        raise ConfigError(f"unknown resample anchor {anchor!r} (use 'utc' or 'new_york')")
    # FX day D runs from 17:00 New York on D-1 to 17:00 on D: shift by 7 h, take the date.
    local = index.tz_convert(NEW_YORK).tz_localize(None) + pd.Timedelta(hours=7)
    day_start = local.normalize()
    if timeframe is Timeframe.W1:
        day_start = day_start - pd.to_timedelta((np.asarray(day_start.day_of_week)) % 7, unit="D")
        step = pd.Timedelta(days=7)
    else:
        step = pd.Timedelta(days=1)
    shift = pd.Timedelta(hours=7)

    def to_utc(naive: pd.DatetimeIndex) -> np.ndarray:
        aware = (naive - shift).tz_localize(NEW_YORK, ambiguous=False, nonexistent="shift_forward")
        return index_ns(aware.tz_convert("UTC"))

    return to_utc(day_start), to_utc(day_start + step)


def _last_bucket_complete(last: pd.Timestamp, source: Timeframe, bucket_end: int) -> bool:
    """The last bucket is complete when its last bar reaches the bucket's end, or the end of
    the FX week when the market closes for the weekend inside the bucket (the calendar is known
    in advance, so this stays causal)."""
    start = int(last.value)
    reached = start + source.nanos
    closes = int(week_close(last).value)
    return reached >= bucket_end or (start < closes <= bucket_end and reached >= closes)


def resample_candles(
    candles: pd.DataFrame,
    timeframe: Timeframe | str,
    *,
    source_timeframe: Timeframe | str | None = None,
    anchor: Anchor = "utc",
) -> pd.DataFrame:
    """Resample a validated candle frame to a higher ``timeframe``.

    Parameters
    ----------
    candles
        A candle frame (see :func:`~forex_diffusion.data.validate_candles`).
    timeframe
        The target timeframe; it must be longer than the source's.
    source_timeframe
        The source bars' timeframe; inferred from the most common spacing when omitted.
    anchor
        Day and week boundaries for D1 and W1: ``"utc"`` or ``"new_york"`` (17:00 New York).

    Returns
    -------
    DataFrame
        Candle columns plus ``complete`` (bool) and ``bars`` (source bars in the bucket).
    """
    target = Timeframe.parse(timeframe)
    if source_timeframe is not None:
        source = Timeframe.parse(source_timeframe)
    else:
        inferred = infer_timeframe(pd.DatetimeIndex(candles.index))
        if inferred is None:
            raise DataError("cannot infer the source timeframe; pass source_timeframe")
        source = inferred
    if target.minutes <= source.minutes:
        raise ConfigError(
            f"cannot resample {source.value} bars to {target.value}: "
            "the target must be a longer timeframe"
        )
    if candles.empty:
        raise DataError("no candles to resample")
    index = pd.DatetimeIndex(candles.index)
    start, end = bucket_bounds(index, target, anchor=anchor)
    first = np.flatnonzero(np.r_[True, start[1:] != start[:-1]])
    last = np.r_[first[1:] - 1, len(start) - 1]
    o, h, lo, c, v = (candles[col].to_numpy(dtype="float64") for col in OHLCV)
    out = pd.DataFrame(
        {
            "open": o[first],
            "high": np.maximum.reduceat(h, first),
            "low": np.minimum.reduceat(lo, first),
            "close": c[last],
            "volume": np.add.reduceat(v, first),
        },
        index=pd.DatetimeIndex(start[first], tz="UTC", name="time"),
    )
    complete = np.ones(len(first), dtype=bool)
    complete[-1] = _last_bucket_complete(index[-1], source, int(end[first[-1]]))
    out["complete"] = complete
    out["bars"] = (last - first + 1).astype("int64")
    return out
