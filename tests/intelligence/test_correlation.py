from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import DataError
from forex_diffusion.intelligence.correlation import correlation_safety, rolling_correlations


def test_correlation_safety_by_hand() -> None:
    corr = {("EURUSD", "GBPUSD"): 0.8}
    assert correlation_safety("bull", "EURUSD", {}, corr) == 1.0
    assert correlation_safety("bull", "EURUSD", {"GBPUSD": 1}, corr) == pytest.approx(0.2)
    assert correlation_safety("bull", "GBPUSD", {"EURUSD": 1}, corr) == pytest.approx(0.2)
    assert correlation_safety("bull", "EURUSD", {"GBPUSD": -1}, corr) == 1.0  # a hedge
    assert correlation_safety("bear", "EURUSD", {"GBPUSD": -1}, corr) == pytest.approx(0.2)
    assert correlation_safety("bear", "EURUSD", {"EURUSD": -1}, corr) == 0.0
    assert correlation_safety("bull", "EURUSD", {"USDJPY": 1}, corr) == 1.0  # unknown: 0


def test_rolling_correlations_window_and_cutoff() -> None:
    rng = np.random.default_rng(3)
    index = pd.date_range("2017-01-02", periods=600, freq="h", tz="UTC")
    common = rng.normal(0, 1e-3, 600)
    eur = pd.Series(1.1 * np.exp(np.cumsum(common + rng.normal(0, 5e-4, 600))), index)
    gbp = pd.Series(1.3 * np.exp(np.cumsum(common + rng.normal(0, 5e-4, 600))), index)
    chf = pd.Series(0.9 * np.exp(np.cumsum(-common + rng.normal(0, 5e-4, 600))), index)
    rho = rolling_correlations({"EUR/USD": eur, "GBPUSD": gbp, "USDCHF": chf}, window=240)
    assert rho[("EURUSD", "GBPUSD")] == pytest.approx(0.8, abs=0.08)
    assert rho[("EURUSD", "USDCHF")] == pytest.approx(-0.8, abs=0.08)
    # only bars at or before the cutoff count: changing later bars changes nothing
    cut = index[300]
    later = gbp.copy()
    later.iloc[301:] *= np.exp(rng.normal(0, 1e-2, 299))
    a = rolling_correlations({"EURUSD": eur, "GBPUSD": gbp}, at=cut)
    b = rolling_correlations({"EURUSD": eur, "GBPUSD": later}, at=cut)
    assert a == b
    assert rolling_correlations({"EURUSD": eur[:50], "GBPUSD": gbp[:50]}) == {}  # too short
    with pytest.raises(DataError, match="at least 10"):
        rolling_correlations({"EURUSD": eur}, window=5)
