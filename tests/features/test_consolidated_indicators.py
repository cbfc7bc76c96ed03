from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forex_diffusion.core import ConfigError
from forex_diffusion.data import load_sample
from forex_diffusion.features import (
    calculate_indicators,
    get_available_indicators,
    get_backend_info,
    lookback,
    parse_spec,
)
from forex_diffusion.features.consolidated_indicators import INDICATORS
from tests.data.strategies import random_candles

SPECS = [
    "sma_20",
    "ema_20",
    "rsi_14",
    "atr_14",
    "macd_12_26_9",
    "bb_20_2",
    "stoch_5_3_3",
    "adx_14",
    "donchian_20",
    "keltner_20_10_2",
    "willr_14",
    "cci_14",
    "roc_10",
    "hurst_100",
    "rsi_2",
    "macd_5_3_4",
    "bb_10_1p5",
    "adx_5",
    "stoch_14_1_1",
    "ema_2",
]


def assert_parity(candles: pd.DataFrame, spec: str) -> None:
    a = calculate_indicators(candles, spec, backend="talib")
    b = calculate_indicators(candles, spec, backend="numpy")
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=f"{col}: warm-up NaNs")
        ok = ~np.isnan(x)
        scale = np.maximum(1.0, np.abs(x[ok]))  # CCI/ADX run to the hundreds: 1e-9 relative
        assert np.all(np.abs(x[ok] - y[ok]) <= 1e-9 * scale), (col, np.max(np.abs(x[ok] - y[ok])))


@pytest.mark.parametrize("spec", SPECS)
def test_backends_agree_on_the_real_sample(spec: str) -> None:
    assert_parity(load_sample("EURUSD", "H1"), spec)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SPECS))
def test_backends_agree_on_random_walks(seed: int, spec: str) -> None:
    assert_parity(random_candles(3000, seed=seed, freq="1h"), spec)


@pytest.mark.parametrize("key", INDICATORS.keys())
def test_warm_up_matches_lookback(key: str) -> None:
    candles = random_candles(400, seed=3, freq="1h")
    frame = calculate_indicators(candles, key)
    first_full = max(int(np.argmax(frame[c].notna().to_numpy())) for c in frame.columns)
    assert first_full == lookback(key)
    assert frame.iloc[first_full:].notna().all().all()


def frame_of(**cols: list[float]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    index = pd.date_range("2017-01-02", periods=n, freq="h", tz="UTC")
    data = {"open": cols.get("close"), **cols, "volume": [0.0] * n}
    return pd.DataFrame(data, index=index)


NAN = np.nan


@pytest.mark.parametrize("backend", ["talib", "numpy"])
def test_hand_computed_values(backend: str) -> None:
    close = [1.0, 2.0, 1.0, 2.0, 3.0]
    f = frame_of(close=close, high=[c + 0.5 for c in close], low=[c - 0.5 for c in close])

    def ind(spec: str) -> pd.DataFrame:
        return calculate_indicators(f, spec, backend=backend)

    np.testing.assert_allclose(ind("sma_3")["sma_3"], [NAN, NAN, 4 / 3, 5 / 3, 2.0])
    # EMA(3): alpha 0.5, seed = SMA of the first 3 = 4/3
    np.testing.assert_allclose(ind("ema_3")["ema_3"], [NAN, NAN, 4 / 3, 5 / 3, 7 / 3])
    # RSI(2): diffs +1 -1 +1 +1; seed gain 0.5 loss 0.5 -> 50; then 0.75/0.25 -> 75; 87.5
    np.testing.assert_allclose(ind("rsi_2")["rsi_2"], [NAN, NAN, 50.0, 75.0, 87.5])
    # true ranges: bar1 max(2.5,1)-min(1.5,1)=1.5, bar2 max(1.5,2)-min(.5,2)=1.5, bar3 1.5, bar4 1.5
    np.testing.assert_allclose(ind("atr_2")["atr_2"], [NAN, NAN, 1.5, 1.5, 1.5])
    # ROC(2): (1/1-1), (2/2-1), (3/1-1) in percent
    np.testing.assert_allclose(ind("roc_2")["roc_2"], [NAN, NAN, 0.0, 0.0, 200.0])
    # Bollinger(3, 2): population std of [1,2,1] = sqrt(2/9)
    bb = ind("bb_3_2")
    np.testing.assert_allclose(bb["bb_upper_3_2"].iloc[2], 4 / 3 + 2 * np.sqrt(2 / 9))
    np.testing.assert_allclose(bb["bb_lower_3_2"].iloc[4], 2.0 - 2 * np.sqrt(2 / 3))
    # Donchian(3): highest high of bars 2..4 = 3.5, lowest low = 0.5
    dc = ind("donchian_3")
    assert (dc["donchian_upper_3"].iloc[4], dc["donchian_lower_3"].iloc[4]) == (3.5, 0.5)
    # Williams %R(3) at bar 4: -100 * (3.5 - 3) / (3.5 - 0.5)
    np.testing.assert_allclose(ind("willr_3")["willr_3"].iloc[4], -100 * 0.5 / 3.0)
    # fast stochastic %K(3) at bar 4 = 100 * (3 - 0.5) / 3; with slowk=slowd=1 it is the output
    np.testing.assert_allclose(ind("stoch_3_1_1")["stoch_k_3_1_1"].iloc[4], 100 * 2.5 / 3)
    # CCI(3) at bar 4: typical prices 1, 2, 3 -> mean 2, mean deviation 2/3
    np.testing.assert_allclose(ind("cci_3")["cci_3"].iloc[4], (3 - 2) / (0.015 * (2 / 3)))


def test_macd_and_keltner_from_their_parts() -> None:
    candles = load_sample("EURUSD", "H1").iloc[:300]
    parts = calculate_indicators(candles, ["ema_12", "ema_26", "atr_10", "ema_20"])
    macd = calculate_indicators(candles, "macd_12_26_9")
    # after both EMAs have settled, MACD is their difference (TA-Lib seeds the fast one later)
    diff = (parts["ema_12"] - parts["ema_26"]).iloc[200:]
    np.testing.assert_allclose(macd["macd_12_26_9"].iloc[200:], diff, atol=1e-7)
    np.testing.assert_allclose(
        macd["macd_hist_12_26_9"], macd["macd_12_26_9"] - macd["macd_signal_12_26_9"]
    )
    kc = calculate_indicators(candles, "keltner_20_10_2")
    np.testing.assert_allclose(kc["keltner_upper_20_10_2"], parts["ema_20"] + 2 * parts["atr_10"])


def test_adx_is_bounded_and_tracks_trends() -> None:
    up = frame_of(
        close=list(np.linspace(1.0, 2.0, 80)),
        high=list(np.linspace(1.0, 2.0, 80) + 0.01),
        low=list(np.linspace(1.0, 2.0, 80) - 0.01),
    )
    adx = calculate_indicators(up, "adx_14")
    assert adx["adx_14"].iloc[-1] > 95  # a steady rise: directional movement all one way
    assert (adx["minus_di_14"].dropna() == 0).all()
    sample = calculate_indicators(load_sample(), "adx_14").dropna()
    assert ((sample >= 0) & (sample <= 100)).all().all()


def test_hurst_separates_trend_walk_and_mean_reversion() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    walk = np.exp(np.cumsum(rng.normal(0, 1e-3, n)))
    noise = np.exp(rng.normal(0, 1e-3, n))  # white noise around a level: H near 0
    steps = np.zeros(n)
    shocks = rng.normal(0, 1e-3, n)
    for i in range(1, n):  # persistent increments (AR(1), phi 0.9): a trending market
        steps[i] = 0.9 * steps[i - 1] + shocks[i]
    trend = np.exp(np.cumsum(steps))

    def h(close: np.ndarray) -> float:
        frame = frame_of(close=list(close), high=list(close * 1.001), low=list(close * 0.999))
        return float(calculate_indicators(frame, "hurst_200")["hurst_200"].dropna().median())

    assert 0.4 < h(walk) < 0.6
    assert h(noise) < 0.2
    assert h(trend) > 0.7


def test_unknown_names_and_parameters_suggest_the_closest() -> None:
    candles = random_candles(50, seed=1, freq="1h")
    with pytest.raises(ConfigError, match=r"unknown indicator 'rsl'; did you mean 'rsi'"):
        calculate_indicators(candles, "rsl_14")
    with pytest.raises(
        ConfigError,
        match=r"unknown parameter 'perod' for bb; did you mean "
        r"'period'",
    ):
        calculate_indicators(candles, {"bb": {"perod": 20}})
    with pytest.raises(ConfigError, match="rsi period must be >= 2, got 1"):
        calculate_indicators(candles, "rsi_1")
    with pytest.raises(ConfigError, match="takes at most 1 parameters"):
        calculate_indicators(candles, "rsi_14_3")
    with pytest.raises(ConfigError, match="unknown indicator backend 'pandas'"):
        calculate_indicators(candles, "rsi", backend="pandas")
    with pytest.raises(ConfigError, match="lack column"):
        calculate_indicators(candles[["close"]], "atr")


def test_spec_forms_and_names() -> None:
    candles = random_candles(100, seed=2, freq="1h")
    frame = calculate_indicators(
        candles,
        ["rsi", "bollinger_30", {"macd": {"fast": 8}}, "plus_di_10", "bb_20_2p5"],
        prefix="x_",
    )
    assert list(frame.columns) == [
        "x_rsi_14",
        "x_bb_upper_30_2",
        "x_bb_middle_30_2",
        "x_bb_lower_30_2",
        "x_macd_8_26_9",
        "x_macd_signal_8_26_9",
        "x_macd_hist_8_26_9",
        "x_adx_10",
        "x_plus_di_10",
        "x_minus_di_10",
        "x_bb_upper_20_2p5",
        "x_bb_middle_20_2p5",
        "x_bb_lower_20_2p5",
    ]
    assert frame.index.equals(candles.index)
    assert [r.columns[0] for r in parse_spec("rsi_14, atr_7")] == ["rsi_14", "atr_7"]
    assert lookback("macd") == 33
    assert lookback("rsi", period=14) == 14
    assert lookback("adx", period=14) == 27


def test_catalogue_and_backend_info() -> None:
    catalogue = get_available_indicators()
    assert set(catalogue) == {
        "sma",
        "ema",
        "rsi",
        "atr",
        "macd",
        "bb",
        "stoch",
        "adx",
        "donchian",
        "keltner",
        "willr",
        "cci",
        "roc",
        "hurst",
    }
    assert catalogue["macd"]["params"] == {"fast": 12, "slow": 26, "signal": 9}
    info = get_backend_info()
    assert info["default"] == "talib"
    assert info["backends"] == ["talib", "numpy"]


@pytest.mark.parametrize("backend", ["talib", "numpy"])
def test_prefix_test_every_indicator(backend: str) -> None:
    candles = load_sample().iloc[:1200]
    full = calculate_indicators(candles, SPECS, backend=backend)
    for t in (30, 250, 1199):
        prefix = calculate_indicators(candles.iloc[: t + 1], SPECS, backend=backend)
        np.testing.assert_allclose(
            prefix.iloc[-1].to_numpy(float),
            full.iloc[t].to_numpy(float),
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
        )
