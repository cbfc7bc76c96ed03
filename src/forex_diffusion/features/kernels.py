"""Pure NumPy/SciPy kernels with TA-Lib's definitions and warm-up (no Python loop per bar).

Every kernel takes float64 arrays and returns arrays of the same length, NaN where TA-Lib has
no value yet. Recursive smoothers run through ``scipy.signal.lfilter`` (a C loop); rolling
windows through ``scipy.ndimage`` filters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import uniform_filter1d

__all__ = [
    "Array",
    "ema",
    "is_zero",
    "recursive_mean",
    "rolling_max",
    "rolling_mean",
    "rolling_min",
    "rolling_std",
    "true_range",
    "wilder_sum",
]

Array = NDArray[np.float64]
TA_EPSILON = 1e-8
"""TA-Lib's TA_IS_ZERO tolerance: |v| < 1e-8 counts as zero in its divisions."""


def is_zero(values: Array) -> NDArray[np.bool_]:
    """TA-Lib's ``TA_IS_ZERO``."""
    return np.abs(values) < TA_EPSILON


def _nan(n: int) -> Array:
    return np.full(n, np.nan)


def rolling_mean(x: Array, period: int) -> Array:
    """Trailing mean over ``period`` values; NaN for the first ``period - 1``."""
    out: Array = np.asarray(
        uniform_filter1d(x, size=period, origin=(period - 1) // 2, mode="nearest"), dtype=float
    )
    out[: period - 1] = np.nan
    return out


def _rolling_extreme(x: Array, period: int, op: np.ufunc) -> Array:
    """Trailing max/min by doubling: windows of 1, 2, 4, ... then two overlapping halves.

    log2(period) vectorised passes; exact (max and min do not round)."""
    n = len(x)
    out = np.full(n, np.nan)
    if period > n:
        return out
    span, acc = 1, x
    while span * 2 <= period:  # acc[t] = op over x[t - 2*span + 1 .. t]
        nxt = np.empty_like(acc)
        nxt[:span] = acc[:span]
        op(acc[span:], acc[:-span], out=nxt[span:])
        acc, span = nxt, span * 2
    rest = period - span  # window = [t - period + 1, t] = two windows of `span` overlapping
    out[period - 1 :] = op(acc[period - 1 :], acc[period - 1 - rest : n - rest])
    return out


def rolling_max(x: Array, period: int) -> Array:
    """Trailing maximum over ``period`` values (TA-Lib MAX)."""
    return _rolling_extreme(x, period, np.maximum)


def rolling_min(x: Array, period: int) -> Array:
    """Trailing minimum over ``period`` values (TA-Lib MIN)."""
    return _rolling_extreme(x, period, np.minimum)


def rolling_std(x: Array, period: int, *, mean: Array | None = None) -> Array:
    """Population standard deviation over ``period`` values, TA-Lib's way (E[x^2] - E[x]^2)."""
    mu = rolling_mean(x, period) if mean is None else mean
    var = rolling_mean(x * x, period)
    var -= mu * mu
    np.maximum(var, 0.0, out=var)  # NaN (warm-up) stays NaN; rounding below zero becomes 0
    return np.sqrt(var, out=var)


def recursive_mean(x: Array, alpha: float, *, seed_start: int, period: int) -> Array:
    """``y = y_prev + alpha * (x - y_prev)`` seeded with the mean of ``x[seed_start:+period]``.

    The seed lands on index ``seed_start + period - 1``; earlier values are NaN. This is TA-Lib's
    EMA (alpha = 2 / (period + 1)) and Wilder's smoothing (alpha = 1 / period).
    """
    n = len(x)
    out = _nan(n)
    first = seed_start + period - 1
    if first >= n or seed_start < 0:
        return out
    seed = float(np.mean(x[seed_start : first + 1]))
    out[first] = seed
    if first + 1 < n:
        from scipy.signal import lfilter  # here: scipy.signal costs ~2 s to import

        y, _ = lfilter([alpha], [1.0, alpha - 1.0], x[first + 1 :], zi=[(1.0 - alpha) * seed])
        out[first + 1 :] = y
    return out


def ema(x: Array, period: int, *, seed_start: int = 0) -> Array:
    """TA-Lib EMA: alpha 2/(period+1), seeded with the SMA of the first ``period`` values."""
    return recursive_mean(x, 2.0 / (period + 1), seed_start=seed_start, period=period)


def wilder_sum(x: Array, period: int, *, seed_start: int, seed_count: int) -> Array:
    """Wilder's running sum ``s = s_prev - s_prev/period + x`` (TA-Lib's +DM, -DM and TR sums).

    Seeded with the plain sum of ``seed_count`` values from ``seed_start``; the seed lands on
    index ``seed_start + seed_count - 1``.
    """
    n = len(x)
    out = _nan(n)
    first = seed_start + seed_count - 1
    if first >= n:
        return out
    seed = float(np.sum(x[seed_start : first + 1]))
    out[first] = seed
    if first + 1 < n:
        decay = 1.0 - 1.0 / period
        from scipy.signal import lfilter  # here: scipy.signal costs ~2 s to import

        y, _ = lfilter([1.0], [1.0, -decay], x[first + 1 :], zi=[decay * seed])
        out[first + 1 :] = y
    return out


def true_range(high: Array, low: Array, close: Array) -> Array:
    """True range; NaN on the first bar (no previous close), as in TA-Lib TRANGE."""
    prev = np.empty_like(close)
    prev[0] = np.nan
    prev[1:] = close[:-1]
    out = np.maximum(high, prev)  # NaN on the first bar propagates
    out -= np.minimum(low, prev)
    return out
