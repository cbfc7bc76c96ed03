"""Shared by the benchmarks: synthetic FX-like bars and a best-of timer."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["best_of", "candles"]


def candles(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0, 5e-4, n)))
    open_ = np.r_[1.1, close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.exponential(2e-4, n))
    low = np.minimum(open_, close) * (1 - rng.exponential(2e-4, n))
    index = pd.date_range("2010-01-01", periods=n, freq="min", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.integers(1, 100, n).astype(float),
        },
        index=index,
    )


def best_of(func: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best
