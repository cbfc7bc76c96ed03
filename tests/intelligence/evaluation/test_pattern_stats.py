"""Pattern hit rates against the shuffled-bars baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.data.sample import load_sample
from forex_diffusion.intelligence.evaluation.pattern_stats import (
    pattern_hit_rates,
    pattern_stats,
    shuffled_bars,
)


def test_shuffled_bars_keep_every_bar_in_another_order() -> None:
    candles = load_sample().iloc[:500]
    shuffled = shuffled_bars(candles, np.random.default_rng(0))
    returns = lambda f: np.sort(np.log(f["close"]).diff().to_numpy()[1:])  # noqa: E731
    np.testing.assert_allclose(returns(shuffled), returns(candles), atol=1e-12)
    assert not np.allclose(shuffled["close"], candles["close"])
    assert (shuffled["high"] >= shuffled[["open", "close"]].max(axis=1) - 1e-12).all()
    assert (shuffled["low"] <= shuffled[["open", "close"]].min(axis=1) + 1e-12).all()


def _bars(closes: list[float]) -> pd.DataFrame:
    c = np.asarray(closes, float)
    return pd.DataFrame(
        {"open": c, "high": c + 0.1, "low": c - 0.1, "close": c, "volume": 1.0},
        index=pd.date_range("2017-01-02", periods=len(c), freq="h", tz="UTC"),
    )


def _event(at: pd.Timestamp, key: str, direction: str, target: float, failure: float) -> dict:  # type: ignore[type-arg]
    return {
        "pattern_key": key,
        "direction": direction,
        "state": "confirmed",
        "confirm_ts": at,
        "target_price": target,
        "failure_price": failure,
        "horizon_bars": 3,
    }


def test_hit_rates_by_hand_net_of_the_spread() -> None:
    bars = _bars([10, 10, 11, 12, 10, 9, 8, 8, 8, 8])
    t = bars.index
    events = pd.DataFrame(
        [
            _event(t[1], "a", "bull", 11.9, 9.0),  # high 12.1 - 0.2 spread / 2 >= 11.9: hit
            _event(t[1], "a", "bull", 12.05, 9.0),  # 12.1 - 0.1 < 12.05: not reached in time
            _event(t[3], "b", "bear", 9.0, 13.0),  # lows 9.9, 8.9 (+0.1 ask) <= 9.0: hit
            _event(t[8], "b", "bear", 7.0, 9.0),  # the horizon runs past the data: left out
        ]
    )
    table = pattern_hit_rates(events, bars, spread=0.2)
    assert table.loc["a", "events"] == 2 and table.loc["a", "hits"] == 1
    assert table.loc["b", "events"] == 1 and table.loc["b", "hit_rate"] == 1.0


def test_pattern_stats_on_the_sample_has_a_baseline_per_key() -> None:
    table = pattern_stats(load_sample(), spread=0.00009, baselines=2, seed=1)
    assert {"events", "hit_rate", "baseline_events", "baseline_hit_rate", "edge"} <= set(
        table.columns
    )
    assert table["events"].sum() > 100
    both = table.dropna(subset=["hit_rate", "baseline_hit_rate"])
    assert len(both) > 10
    assert (table["baseline_events"].dropna() > 0).all()  # per shuffle: a mean over 2 series
    assert table["hit_rate"].dropna().between(0, 1).all()
    with pytest.raises(Exception, match="unknown pattern kind"):
        pattern_stats(load_sample().iloc[:100], kinds=["charts"], baselines=0)
