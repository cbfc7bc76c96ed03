from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forex_diffusion.data import load_sample
from forex_diffusion.features import calculate_indicators
from forex_diffusion.patterns.primitives import (
    atr,
    atr_or_range,
    count_touches,
    fit_line,
    swings,
    swings_frame,
)
from tests.data.strategies import random_candles


def test_atr_is_the_one_implementation() -> None:
    candles = load_sample().iloc[:300]
    np.testing.assert_array_equal(atr(candles), calculate_indicators(candles, "atr_14")["atr_14"])
    filled = atr_or_range(candles["high"].to_numpy(), candles["low"].to_numpy(), atr(candles))
    assert not np.isnan(filled).any()
    assert filled[0] == candles["high"].iloc[0] - candles["low"].iloc[0]


def check_swings(candles: pd.DataFrame, threshold: float) -> list:  # type: ignore[type-arg]
    high, low = candles["high"].to_numpy(), candles["low"].to_numpy()
    a = atr_or_range(high, low, atr(candles))
    points = swings(high, low, a, threshold=threshold)
    for prev, swing in itertools.pairwise(points):
        assert prev.kind != swing.kind  # alternate
        assert swing.index > prev.index
    for s in points:
        assert s.confirm_index > s.index  # never confirmed on or before the extreme
        seg = slice(s.index, s.confirm_index + 1)
        if s.kind == "high":
            assert low[s.confirm_index] <= s.price - threshold * a[s.index] + 1e-12
            assert high[seg].max() == s.price  # no higher high before confirmation
            # and no earlier bar had already confirmed it
            assert (low[s.index + 1 : s.confirm_index] > s.price - threshold * a[s.index]).all()
        else:
            assert high[s.confirm_index] >= s.price + threshold * a[s.index] - 1e-12
            assert low[seg].min() == s.price
            assert (high[s.index + 1 : s.confirm_index] < s.price + threshold * a[s.index]).all()
    return points


@pytest.mark.parametrize("threshold", [1.0, 2.0, 3.0])
def test_swings_on_the_sample(threshold: float) -> None:
    points = check_swings(load_sample(), threshold)
    assert len(points) > 50


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1.5, 2.5]), st.integers(10, 590))
def test_swings_are_causal(seed: int, threshold: float, t: int) -> None:
    candles = random_candles(600, seed=seed, freq="1h")
    check_swings(candles, threshold)
    full = swings_frame(candles, threshold=threshold)
    prefix = swings_frame(candles.iloc[: t + 1], threshold=threshold)
    known = full[full["confirm_time"] <= candles.index[t]].reset_index(drop=True)
    pd.testing.assert_frame_equal(prefix, known)


def test_line_fit_and_touches() -> None:
    x = np.arange(10.0)
    y = 1.10 + 0.001 * x
    line = fit_line(x, y, atr_value=0.002)
    assert line.slope == pytest.approx(0.001)
    assert line.slope_atr == pytest.approx(0.5)
    assert line.rmse_atr == pytest.approx(0.0, abs=1e-9)
    assert line.at(20) == pytest.approx(1.12)
    noisy = y + np.r_[0, 0, 0.0004, 0, 0, 0.002, 0, 0, 0, 0]
    fit = fit_line(x, noisy, atr_value=0.002)
    assert count_touches(fit, x, noisy, 0.002, tolerance=0.25) == 9
    with pytest.raises(ValueError, match="two points"):
        fit_line(x[:1], y[:1], atr_value=0.002)
