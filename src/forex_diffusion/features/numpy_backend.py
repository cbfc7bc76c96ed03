"""The ``numpy`` backend: every indicator in NumPy/SciPy, with TA-Lib's definitions."""

from __future__ import annotations

import numpy as np

from forex_diffusion.features.hurst import hurst_exponent
from forex_diffusion.features.kernels import (
    Array,
    ema,
    is_zero,
    recursive_mean,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_std,
    true_range,
    wilder_sum,
)

__all__ = [
    "adx",
    "atr",
    "bb",
    "cci",
    "donchian",
    "ema_",
    "hurst",
    "keltner",
    "macd",
    "roc",
    "rsi",
    "sma",
    "stoch",
    "willr",
]


def _nan_before(values: Array, first: int) -> Array:
    values[: max(first, 0)] = np.nan
    return values


def _after(func: object, x: Array, start: int, *args: int) -> Array:
    """Apply a rolling kernel to ``x[start:]`` (NaN before), so warm-up NaNs do not spread."""
    out = np.full(len(x), np.nan)
    if start < len(x):
        out[start:] = func(x[start:], *args)  # type: ignore[operator]
    return out


def sma(close: Array, period: int) -> tuple[Array]:
    return (rolling_mean(close, period),)


def ema_(close: Array, period: int) -> tuple[Array]:
    return (ema(close, period),)


def rsi(close: Array, period: int) -> tuple[Array]:
    delta = np.r_[np.nan, np.diff(close)]
    gain = recursive_mean(np.maximum(delta, 0.0), 1.0 / period, seed_start=1, period=period)
    loss = recursive_mean(np.maximum(-delta, 0.0), 1.0 / period, seed_start=1, period=period)
    total = gain + loss
    out = gain * 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(out, total, out=out)
    out[is_zero(total)] = 0.0  # TA-Lib: no movement at all gives 0
    return (_nan_before(out, period),)


def atr(high: Array, low: Array, close: Array, period: int) -> tuple[Array]:
    tr = true_range(high, low, close)
    return (recursive_mean(tr, 1.0 / period, seed_start=1, period=period),)


def macd(close: Array, fast: int, slow: int, signal: int) -> tuple[Array, Array, Array]:
    if slow < fast:
        fast, slow = slow, fast
    line = ema(close, fast, seed_start=slow - fast) - ema(close, slow)
    sig = ema(line, signal, seed_start=slow - 1)
    first = slow - 1 + signal - 1
    return _nan_before(line, first), sig, sig * 0 + line - sig


def bb(close: Array, period: int, nbdev: float) -> tuple[Array, Array, Array]:
    middle = rolling_mean(close, period)
    width = nbdev * rolling_std(close, period, mean=middle)
    return middle + width, middle, middle - width


def stoch(
    high: Array, low: Array, close: Array, fastk: int, slowk: int, slowd: int
) -> tuple[Array, Array]:
    hh, ll = rolling_max(high, fastk), rolling_min(low, fastk)
    diff = (hh - ll) / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(diff != 0.0, (close - ll) / diff, 0.0)
    raw[: fastk - 1] = np.nan
    k = _after(rolling_mean, raw, fastk - 1, slowk)
    d = _after(rolling_mean, k, fastk - 1 + slowk - 1, slowd)
    first = fastk - 1 + slowk - 1 + slowd - 1
    return _nan_before(k, first), d


def _directional(high: Array, low: Array, close: Array, period: int) -> tuple[Array, Array, Array]:
    diff_p = np.r_[np.nan, np.diff(high)]
    diff_m = np.r_[np.nan, -np.diff(low)]
    minus = (diff_m > 0) & (diff_p < diff_m)
    plus = ~minus & (diff_p > 0) & (diff_p > diff_m)
    plus_dm = np.where(plus, diff_p, 0.0)
    minus_dm = np.where(minus, diff_m, 0.0)
    tr = true_range(high, low, close)
    seed = {"seed_start": 1, "seed_count": period - 1}
    return (
        wilder_sum(plus_dm, period, **seed),
        wilder_sum(minus_dm, period, **seed),
        wilder_sum(tr, period, **seed),
    )


def adx(high: Array, low: Array, close: Array, period: int) -> tuple[Array, Array, Array]:
    s_plus, s_minus, s_tr = _directional(high, low, close, period)
    ok_tr = ~is_zero(np.nan_to_num(s_tr))
    with np.errstate(invalid="ignore", divide="ignore"):
        plus_di = np.where(ok_tr, 100.0 * s_plus / s_tr, 0.0)
        minus_di = np.where(ok_tr, 100.0 * s_minus / s_tr, 0.0)
        total = plus_di + minus_di
        valid = ok_tr & ~is_zero(total)
        dx = np.where(valid, 100.0 * np.abs(minus_di - plus_di) / total, 0.0)
    n = len(close)
    out = np.full(n, np.nan)
    first = 2 * period - 1
    if first < n:
        value = float(np.sum(dx[period : first + 1])) / period
        out[first] = value
        # Wilder smoothing that holds its value where DX is undefined (TA-Lib skips the update):
        # run lfilter over the stretches between such bars.
        rest = np.arange(first + 1, n)
        breaks = rest[~valid[first + 1 :]]
        start = first + 1
        for stop in [*breaks.tolist(), n]:
            if stop > start:
                seg = dx[start:stop]
                out[start:stop] = recursive_mean(
                    np.r_[value, seg], 1.0 / period, seed_start=0, period=1
                )[1:]
                value = float(out[stop - 1])
            if stop < n:
                out[stop] = value
            start = stop + 1
    return out, _nan_before(plus_di, period), _nan_before(minus_di, period)


def donchian(high: Array, low: Array, period: int) -> tuple[Array, Array, Array]:
    upper, lower = rolling_max(high, period), rolling_min(low, period)
    return upper, (upper + lower) / 2.0, lower


def keltner(
    high: Array, low: Array, close: Array, period: int, atr_period: int, mult: float
) -> tuple[Array, Array, Array]:
    middle = ema(close, period)
    (band,) = atr(high, low, close, atr_period)
    return middle + mult * band, middle, middle - mult * band


def willr(high: Array, low: Array, close: Array, period: int) -> tuple[Array]:
    hh, ll = rolling_max(high, period), rolling_min(low, period)
    diff = (hh - ll) / -100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(diff != 0.0, (hh - close) / diff, 0.0)
    return (_nan_before(out, period - 1),)


def cci(high: Array, low: Array, close: Array, period: int) -> tuple[Array]:
    tp = (high + low + close) / 3.0
    n = len(tp)
    out = np.full(n, np.nan)
    if period > n:
        return (out,)
    # loop over the window's offsets (a few), each pass vectorised over all bars
    m = n - period + 1
    total = np.zeros(m)
    for j in range(period):
        total += tp[j : j + m]
    avg = total / period
    dev = np.zeros(m)
    for j in range(period):
        dev += np.abs(tp[j : j + m] - avg)
    last = tp[period - 1 :] - avg
    with np.errstate(invalid="ignore", divide="ignore"):
        out[period - 1 :] = np.where(
            (last != 0.0) & (dev != 0.0), last / (0.015 * (dev / period)), 0.0
        )
    return (out,)


def roc(close: Array, period: int) -> tuple[Array]:
    out = np.full(len(close), np.nan)
    prev = close[:-period]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[period:] = np.where(prev != 0.0, (close[period:] / prev - 1.0) * 100.0, 0.0)
    return (out,)


def hurst(close: Array, window: int) -> tuple[Array]:
    return (hurst_exponent(close, window),)
