"""Rolling Hurst exponent from the scaling of lagged differences (vectorised, causal).

For a window of ``window`` log prices ending at bar t and lags tau in ``lags``, the standard
deviation of ``x[s] - x[s - tau]`` over the window's last ``window - max(lags)`` positions grows
like ``tau ** H``; H is the least-squares slope of log(std) on log(tau). H is about 0.5 for a
random walk, above it for trending and below it for mean-reverting prices. TA-Lib has no Hurst
exponent, so both backends use this kernel; the streaming version recomputes it on its window.
"""

from __future__ import annotations

import numpy as np

from forex_diffusion.features.kernels import Array, rolling_mean

__all__ = ["default_lags", "hurst_exponent", "hurst_last"]


def default_lags(window: int) -> tuple[int, ...]:
    """Lags 1, 2, 4, ... up to a quarter of the window (at least two lags)."""
    lags = [1]
    while lags[-1] * 2 <= max(2, window // 4):
        lags.append(lags[-1] * 2)
    return tuple(lags)


def _slope(log_std: Array, log_lags: Array) -> Array:
    lx = log_lags - log_lags.mean()
    return np.asarray((log_std * lx[:, None]).sum(axis=0) / (lx * lx).sum(), dtype=np.float64)


def hurst_exponent(close: Array, window: int) -> Array:
    """Rolling Hurst exponent of ``close`` over ``window`` bars; NaN for the first ``window - 1``.

    A window whose differences are all zero at some lag (flat prices) gives NaN.
    """
    n = len(close)
    lags = default_lags(window)
    m = window - max(lags)
    x = np.log(close)
    log_std = np.full((len(lags), n), np.nan)
    for i, tau in enumerate(lags):  # loop over a handful of lags, not over bars
        d = np.full(n, np.nan)
        d[tau:] = x[tau:] - x[:-tau]
        d0 = np.nan_to_num(d)
        mean = rolling_mean(d0, m)
        var = rolling_mean(d0 * d0, m) - mean * mean
        with np.errstate(divide="ignore", invalid="ignore"):
            log_std[i] = 0.5 * np.log(np.where(var > 1e-30, var, np.nan))
    h = _slope(log_std, np.log(np.asarray(lags, dtype=float)))
    h[: window - 1] = np.nan
    return h


def hurst_last(window_close: Array) -> float:
    """Hurst exponent of one window (the last value of :func:`hurst_exponent` on it)."""
    return float(hurst_exponent(window_close, len(window_close))[-1])
