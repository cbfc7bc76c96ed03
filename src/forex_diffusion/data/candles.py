"""The candle frame contract (DESIGN.md section 2) and its validator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.names import OHLCV

__all__ = ["OHLC", "OHLCV", "format_ts", "index_ns", "validate_candles"]

OHLC = OHLCV[:4]
_TIME_COLUMNS = ("time", "timestamp", "datetime", "date")


def index_ns(index: pd.Index) -> np.ndarray:
    """Epoch nanoseconds (UTC) of a DatetimeIndex, whatever its unit (pandas 3 defaults to us)."""
    return np.asarray(pd.DatetimeIndex(index).as_unit("ns").asi8, dtype=np.int64)


def format_ts(value: pd.Timestamp | np.datetime64) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM[:SS] UTC`` for messages."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC")
    # from the fields, not strftime: it refuses years outside the standard library's (year 0)
    text = f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} {ts.hour:02d}:{ts.minute:02d}"
    return f"{text}:{ts.second:02d} UTC" if ts.second else f"{text} UTC"


def _fail(
    message: str,
    *,
    index: pd.Index | None = None,
    position: int | None = None,
    column: str | None = None,
) -> CandleDataError:
    stamp = None
    if index is not None and position is not None and isinstance(index, pd.DatetimeIndex):
        stamp = format_ts(index[position])
    where = []
    if position is not None:
        where.append(f"row {position}" + (f" ({stamp})" if stamp else ""))
    if column is not None:
        where.append(f"column '{column}'")
    prefix = ", ".join(where)
    text = f"{prefix}: {message}" if prefix else message
    return CandleDataError(text, position=position, column=column, timestamp=stamp, reason=message)


def _time_index(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """Find the bar times: a ``ts_utc`` ms column, a time column, or the index."""
    lower = {str(c).lower(): c for c in frame.columns}
    if "ts_utc" in lower:
        raw = frame[lower["ts_utc"]]
        values = pd.to_numeric(raw, errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            pos = int(np.argmax(bad))
            raise _fail("ts_utc is not a millisecond number", position=pos, column="ts_utc")
        return pd.DatetimeIndex(pd.to_datetime(values.astype("int64"), unit="ms", utc=True))
    if isinstance(frame.index, pd.DatetimeIndex):
        index = frame.index
    else:
        found = next((lower[c] for c in _TIME_COLUMNS if c in lower), None)
        if found is None:
            raise _fail(
                "no bar times: expected a DatetimeIndex, a 'ts_utc' millisecond column "
                "or a 'time' column"
            )
        column = frame[found]
        if not pd.api.types.is_datetime64_any_dtype(column):
            raise _fail("time column is not datetime-typed", column=str(found))
        index = pd.DatetimeIndex(column)
    if index.tz is None:
        raise _fail(
            "bar times have no time zone; localise them first "
            "(for UTC data: df.index = df.index.tz_localize('UTC'))"
        )
    return index.tz_convert("UTC")


def validate_candles(df: pd.DataFrame, *, repair: bool = False) -> pd.DataFrame:
    """Check a candle frame against the contract and return it normalised.

    Normalised means: a tz-aware UTC ``DatetimeIndex`` named ``time`` (nanosecond unit), strictly
    increasing; float64 columns ``open, high, low, close, volume`` first (lower-case), any other
    columns kept after them. A missing ``volume`` column becomes 0.0 (volume 0 means unknown).

    Parameters
    ----------
    df
        Candles. Column names are matched case-insensitively (``Open`` works); bar times come from
        a ``ts_utc`` column (epoch milliseconds), a ``time`` column or the index.
    repair
        Sort unsorted rows and drop duplicated timestamps (keeping the last) instead of failing.

    Raises
    ------
    CandleDataError
        Naming the first offending row (position and timestamp) and column.
    """
    if not isinstance(df, pd.DataFrame):
        raise CandleDataError(f"candles must be a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise CandleDataError("no candles: the frame is empty")
    lower = {str(c).lower(): c for c in df.columns}
    missing = [c for c in OHLC if c not in lower]
    if missing:
        raise _fail(f"missing column(s) {', '.join(missing)}; have {list(map(str, df.columns))}")
    index = _time_index(df)
    time_cols = {lower[c] for c in ("ts_utc", *_TIME_COLUMNS) if c in lower}
    values: dict[str, np.ndarray] = {}
    for name in OHLCV:
        if name not in lower:
            values[name] = np.zeros(len(df))
            continue
        series = df[lower[name]]
        values[name] = _to_float(series, index=index, column=name)
    extras = [c for c in df.columns if str(c).lower() not in OHLCV and c not in time_cols]
    out = pd.DataFrame(values, index=_nanoseconds(index))
    for col in extras:
        out[col] = df[col].to_numpy()
    out.index.name = "time"

    if repair:
        out = out[~out.index.duplicated(keep="last")].sort_index(kind="stable")
    _check_order(pd.DatetimeIndex(out.index))
    _check_values(out)
    return out


def _to_float(series: pd.Series, *, index: pd.DatetimeIndex, column: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64")
    numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    text = series.astype("string").str.strip().str.lower()
    spelled_nan = text.isin(["nan", "+nan", "-nan"]).fillna(False).to_numpy(dtype=bool)
    invalid = np.isnan(numeric) & ~spelled_nan
    if invalid.any():
        pos = int(np.argmax(invalid))
        raw = series.iloc[pos]
        what = (
            "empty value" if pd.isna(raw) or str(raw).strip() == "" else f"{raw!r} is not a number"
        )
        raise _fail(what, index=index, position=pos, column=column)
    return numeric


def _check_order(index: pd.DatetimeIndex) -> None:
    ns = index_ns(index)
    if len(ns) < 2:
        return
    step = np.diff(ns)
    if (step <= 0).any():
        pos = int(np.argmax(step <= 0)) + 1
        kind = "duplicated" if step[pos - 1] == 0 else "out of order (earlier than the row before)"
        raise _fail(
            f"timestamp {kind}; pass repair=True (or --repair) to sort and de-duplicate",
            index=index,
            position=pos,
            column="time",
        )


def _check_values(frame: pd.DataFrame) -> None:
    o, h, lo, c, v = (frame[name].to_numpy() for name in OHLCV)
    checks: list[tuple[np.ndarray, str, str]] = []
    for name, arr in zip(OHLCV, (o, h, lo, c, v), strict=True):
        checks.append((~np.isfinite(arr), name, "value is not finite (NaN or inf)"))
    for name, arr in zip(OHLC, (o, h, lo, c), strict=True):
        checks.append((arr <= 0, name, "price must be > 0"))
    checks.append((v < 0, "volume", "volume must be >= 0"))
    checks.append((h < lo, "high", "high is below low"))
    checks.append((lo > np.minimum(o, c), "low", "low is above min(open, close)"))
    checks.append((h < np.maximum(o, c), "high", "high is below max(open, close)"))
    first: tuple[int, str, str] | None = None
    for mask, name, text in checks:
        if mask.any():
            pos = int(np.argmax(mask))
            if first is None or pos < first[0]:
                first = (pos, name, text)
    if first is not None:
        pos, name, text = first
        row = frame.iloc[pos]
        detail = ", ".join(f"{k}={float(row[k]):.10g}" for k in OHLCV)
        raise _fail(f"{text} ({detail})", index=frame.index, position=pos, column=name)


def _nanoseconds(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The index in nanoseconds, the candle contract's unit (years 1677-2262); a time outside
    that range fails naming its row."""
    try:
        return index.as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        low, high = pd.Timestamp.min, pd.Timestamp.max
        bad = next(
            k
            for k, ts in enumerate(index)
            if pd.isna(ts) or not low <= ts.tz_localize(None) <= high
        )
        raise _fail(
            f"time {format_ts(index[bad])} is outside the supported range ({low.year}-{high.year})",
            position=bad,
            column="time",
        ) from None
