from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.data import load_sample
from forex_diffusion.intelligence.regime import REGIMES, RegimeDetector


def segments(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Repeating blocks of a known regime: drift up, drift down, quiet, then wild."""
    rng = np.random.default_rng(seed)
    steps, labels = [], []
    for _ in range(6):
        for name, mu, sigma in (
            ("trending_up", 6e-4, 4e-4),
            ("trending_down", -6e-4, 4e-4),
            ("ranging", 0.0, 4e-4),
            ("volatile", 0.0, 2.4e-3),
        ):
            steps.append(rng.normal(mu, sigma, 300))
            labels += [name] * 300
    close = 1.1 * np.exp(np.cumsum(np.concatenate(steps)))
    spread = np.abs(np.r_[0, np.diff(close)]) + 1e-4
    index = pd.date_range("2017-01-02", periods=len(close), freq="h", tz="UTC")
    frame = pd.DataFrame(
        {
            "open": np.r_[close[0], close[:-1]],
            "high": close + spread,
            "low": close - spread,
            "close": close,
            "volume": 1.0,
        },
        index=index,
    )
    frame["high"] = frame[["open", "high"]].max(axis=1)
    frame["low"] = frame[["open", "low"]].min(axis=1)
    return frame, np.array(labels)


def test_constructed_regimes_are_recognised() -> None:
    candles, truth = segments()
    detector = RegimeDetector(seed=1).fit(candles.iloc[:3600])
    found = detector.predict(candles)
    # judge the second half, well inside each block (the features need 24-240 bars to turn)
    test = np.arange(3600, len(candles))
    inside = test[(test % 300) >= 150]
    for regime in REGIMES:
        sel = inside[truth[inside] == regime]
        agreement = (found["regime"].to_numpy()[sel] == regime).mean()
        assert agreement > 0.75, (regime, agreement)
    assert found["confidence"].dropna().between(0, 1).all()


def test_regimes_are_causal_on_the_sample() -> None:
    candles = load_sample().iloc[:3000]
    detector = RegimeDetector().fit(candles.iloc[:2000])
    full = detector.predict(candles)
    assert set(full["regime"]) - {""} <= set(REGIMES)
    for t in (300, 1500, 2999):
        prefix = detector.predict(candles.iloc[: t + 1]).iloc[-1]
        assert prefix["regime"] == full["regime"].iloc[t]
        assert prefix["confidence"] == pytest.approx(
            full["confidence"].iloc[t], abs=1e-12, nan_ok=True
        )
    regime, confidence = detector.current(candles)
    assert regime in REGIMES
    assert 0 < confidence <= 1


def test_errors() -> None:
    candles = load_sample().iloc[:200]
    with pytest.raises(DataError, match="too few bars"):
        RegimeDetector().fit(candles)
    with pytest.raises(DataError, match="not fitted"):
        RegimeDetector().predict(candles)
