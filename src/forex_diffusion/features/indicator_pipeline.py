"""Feature frames for a base timeframe: indicators on several timeframes, calendar, returns.

Causality (DESIGN.md): a row for the base bar opening at t holds what is known when that bar
closes. A higher-timeframe bar is joined only from the base bar whose close is the higher bar's
close, i.e. from the base bar opening at ``bucket_end - base_length`` on; before that the
previous higher bar is used. (Across a weekend this is conservative: the Friday H4 bar that the
week's close cuts short becomes available on the first bar of the next week.) Every column
passes the prefix test: computed on ``candles.iloc[:t+1]`` it equals the full computation at t.

Column names: ``rsi_14`` on the base timeframe, ``rsi_h4_14`` on H4; ``hour_sin``, ``hour_cos``,
``weekday_sin``, ``weekday_cos``, ``session_london`` ...; ``ret_1``, ``ret_4``, ``realized_vol_24``,
``log_range``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError, DataError
from forex_diffusion.core.sessions import session_flags
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import index_ns
from forex_diffusion.data.resample import Anchor, bucket_bounds, resample_candles
from forex_diffusion.data.spacing import infer_timeframe
from forex_diffusion.features.consolidated_indicators import SpecItem, compute, parse_spec
from forex_diffusion.features.feature_name_utils import validate_feature_names
from forex_diffusion.features.kernels import rolling_std

__all__ = ["DEFAULT_INDICATORS", "build_features", "calendar_features", "return_features"]

DEFAULT_INDICATORS: tuple[str, ...] = ("rsi_14", "atr_14", "macd_12_26_9", "bb_20_2", "adx_14")


def calendar_features(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Hour of day and day of week as sine/cosine pairs, and FX session flags (0/1)."""
    hour = np.asarray(index.hour, dtype=float) + np.asarray(index.minute, dtype=float) / 60.0
    weekday = np.asarray(index.day_of_week, dtype=float)
    out = pd.DataFrame(
        {
            "hour_sin": np.sin(2 * np.pi * hour / 24.0),
            "hour_cos": np.cos(2 * np.pi * hour / 24.0),
            "weekday_sin": np.sin(2 * np.pi * weekday / 7.0),
            "weekday_cos": np.cos(2 * np.pi * weekday / 7.0),
        },
        index=index,
    )
    return out.join(session_flags(index).astype(float))


def return_features(
    candles: pd.DataFrame, *, returns: Sequence[int] = (1, 4, 24), volatility: Sequence[int] = (24,)
) -> pd.DataFrame:
    """Log returns over k bars, realised volatility of 1-bar log returns, and log(high/low)."""
    close = candles["close"].to_numpy(dtype=float)
    log_close = np.log(close)
    out: dict[str, np.ndarray] = {}
    for k in returns:
        ret = np.full(len(close), np.nan)
        ret[k:] = log_close[k:] - log_close[:-k]
        out[f"ret_{k}"] = ret
    one = np.r_[np.nan, np.diff(log_close)]
    for w in volatility:
        vol = np.full(len(close), np.nan)
        if len(close) > w:
            vol[1:] = rolling_std(one[1:], w)
        out[f"realized_vol_{w}"] = vol
    out["log_range"] = np.log(candles["high"].to_numpy(float) / candles["low"].to_numpy(float))
    return pd.DataFrame(out, index=candles.index)


def _indicator_columns(
    candles: pd.DataFrame, spec: SpecItem | Sequence[SpecItem], *, tag: str, backend: str | None
) -> dict[str, np.ndarray]:
    arrays = {k: candles[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close")}
    columns: dict[str, np.ndarray] = {}
    for ind in parse_spec(spec):
        for out, values in zip(
            ind.spec.outputs, compute(ind, arrays, backend=backend).values(), strict=True
        ):
            name = f"{out}_{tag}_{ind.suffix}" if tag else f"{out}_{ind.suffix}"
            columns[name] = values
    return columns


def _higher_timeframe(
    candles: pd.DataFrame,
    base: Timeframe,
    higher: Timeframe,
    spec: SpecItem | Sequence[SpecItem],
    *,
    anchor: Anchor,
    backend: str | None,
) -> pd.DataFrame:
    bars = resample_candles(candles, higher, source_timeframe=base, anchor=anchor)
    _, end = bucket_bounds(pd.DatetimeIndex(bars.index), higher, anchor=anchor)
    available = end - base.nanos  # open time of the base bar whose close ends the higher bar
    values = _indicator_columns(bars, spec, tag=higher.value.lower(), backend=backend)
    pick = np.searchsorted(available, index_ns(candles.index), side="right") - 1
    out = {}
    for name, column in values.items():
        joined = np.where(pick >= 0, column[np.clip(pick, 0, None)], np.nan)
        out[name] = joined
    return pd.DataFrame(out, index=candles.index)


def build_features(
    candles: pd.DataFrame,
    *,
    timeframe: Timeframe | str | None = None,
    indicators: SpecItem | Sequence[SpecItem] = DEFAULT_INDICATORS,
    higher: Mapping[Timeframe | str, SpecItem | Sequence[SpecItem]] | None = None,
    calendar: bool = True,
    returns: Sequence[int] = (1, 4, 24),
    volatility: Sequence[int] = (24,),
    anchor: Anchor = "new_york",
    backend: str | None = None,
) -> pd.DataFrame:
    """Build the causal feature frame of a candle frame.

    Parameters
    ----------
    candles
        Validated candles of the base timeframe.
    timeframe
        The base timeframe; inferred from the spacing when omitted.
    indicators
        Indicator spec on the base timeframe (see ``calculate_indicators``).
    higher
        ``{"H4": ["rsi_14"], "D1": ["atr_14"]}``: indicators on longer timeframes, joined only
        once their bar has closed.
    calendar, returns, volatility
        Calendar features on/off; return horizons and realised-volatility windows in bars.
    anchor
        Day/week boundaries for D1 and W1 (``"new_york"``: 17:00 New York, the FX convention).
    backend
        Indicator backend (``"talib"`` default, or ``"numpy"``).
    """
    if candles.empty:
        raise DataError("no candles to build features from")
    index = pd.DatetimeIndex(candles.index)
    base = Timeframe.parse(timeframe) if timeframe is not None else infer_timeframe(index)
    if base is None:
        raise DataError("cannot infer the base timeframe from the bar spacing; pass timeframe")
    parts = [
        pd.DataFrame(
            _indicator_columns(candles, indicators, tag="", backend=backend), index=candles.index
        )
    ]
    for tf, spec in (higher or {}).items():
        target = Timeframe.parse(tf)
        if target.minutes <= base.minutes:
            raise ConfigError(f"higher timeframe {target.value} is not longer than {base.value}")
        parts.append(_higher_timeframe(candles, base, target, spec, anchor=anchor, backend=backend))
    if calendar:
        parts.append(calendar_features(index))
    if returns or volatility:
        parts.append(return_features(candles, returns=returns, volatility=volatility))
    frame = pd.concat(parts, axis=1)
    ok, invalid = validate_feature_names(frame.columns)
    if not ok or frame.columns.duplicated().any():
        raise ConfigError(f"feature names clash or are not standard: {invalid or 'duplicates'}")
    return frame
