from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.data import load_sample
from forex_diffusion.intelligence.multi_timeframe import mtf_agreement, mtf_bull_agreement


def trend(direction: float, bars: int = 2400) -> pd.DataFrame:
    close = 1.1 * np.exp(np.cumsum(np.full(bars, direction * 2e-4)))
    index = pd.date_range("2017-01-02", periods=bars, freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "open": np.r_[close[0], close[:-1]],
            "high": close * 1.0002,
            "low": np.r_[close[0], close[:-1]] * 0.9998,
            "close": close,
            "volume": 1.0,
        },
        index=index,
    ).assign(
        high=lambda f: f[["open", "high", "close"]].max(axis=1),
        low=lambda f: f[["open", "low", "close"]].min(axis=1),
    )


def test_agreement_follows_the_higher_trends() -> None:
    up = mtf_bull_agreement(trend(+1), timeframe="H1")
    down = mtf_bull_agreement(trend(-1), timeframe="H1")
    assert up.iloc[0] == 0.5  # no higher bar has closed yet: everybody abstains
    assert up.iloc[-1] == 1.0
    assert down.iloc[-1] == 0.0
    assert mtf_agreement(up.iloc[-1], "bull") == 1.0
    assert mtf_agreement(up.iloc[-1], "bear") == 0.0
    assert mtf_agreement(0.75, "bear") == pytest.approx(0.25)


def test_agreement_is_causal() -> None:
    candles = load_sample().iloc[:2500]
    full = mtf_bull_agreement(candles, timeframe="H1")
    assert set(np.unique(full)) <= {0.0, 0.25, 0.5, 0.75, 1.0}
    assert full.std() > 0  # it moves with the market
    for t in (100, 900, 2499):
        prefix = mtf_bull_agreement(candles.iloc[: t + 1], timeframe="H1")
        assert prefix.iloc[-1] == full.iloc[t]
