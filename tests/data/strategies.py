"""Hypothesis strategies for candle frames (random walks that satisfy the contract)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st


def random_candles(
    n: int,
    *,
    seed: int,
    start: str = "2017-01-02 00:00",
    freq: str = "1min",
    drop: float = 0.0,
) -> pd.DataFrame:
    """A valid candle frame: geometric random walk, shadows >= 0, optional missing bars."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="time")
    if drop:
        keep = rng.random(n) >= drop
        keep[0] = True
        index = index[keep]
    m = len(index)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0, 5e-4, m)))
    open_ = np.r_[1.1, close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.exponential(2e-4, m))
    low = np.minimum(open_, close) * (1 - rng.exponential(2e-4, m))
    volume = rng.integers(0, 1000, m).astype(float)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


@st.composite
def candle_frames(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 600, freq: str = "1min"
) -> pd.DataFrame:
    """Valid candle frames with random gaps."""
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    drop = draw(st.sampled_from([0.0, 0.05, 0.3]))
    offset = draw(st.integers(0, 7 * 24 * 60 - 1))
    start = str(pd.Timestamp("2017-01-01") + pd.Timedelta(minutes=offset))
    return random_candles(n, seed=seed, start=start, freq=freq, drop=drop)
