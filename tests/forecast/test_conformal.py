from __future__ import annotations

import numpy as np
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.forecast.baselines import RandomWalkEstimator
from forex_diffusion.forecast.conformal import AdaptiveConformal, calibrate
from forex_diffusion.forecast.metrics import coverage
from tests.forecast.test_baselines import gaussian_walk


def test_conformal_fixes_a_miscalibrated_model() -> None:
    walk = gaussian_walk(5000, vol=1e-3, seed=9)
    # far too long a half-life on a walk whose volatility doubles half way: intervals too narrow
    walk.loc[walk.index[2500] :, "close"] = walk["close"].iloc[2500] * np.exp(
        2 * np.log(walk["close"].iloc[2500:] / walk["close"].iloc[2500])
    )
    model = RandomWalkEstimator(halflife=100_000.0).fit(walk.iloc[:3000])
    close = walk["close"].to_numpy()
    test = np.arange(4000, 4970, 5)

    def cover(predictor: object, h: int) -> float:
        fcs = predictor.predict_batch(walk, test.tolist(), num_samples=200)  # type: ignore[attr-defined]
        return coverage(
            close[test + h], [f.quantile(0.1, h) for f in fcs], [f.quantile(0.9, h) for f in fcs]
        )

    assert cover(model, 4) < 0.7
    calibrated = calibrate(model, walk, list(range(3000, 3970, 3)), level=0.8, num_samples=200)
    assert calibrated.factors[4] > 1.2
    assert 0.72 <= cover(calibrated, 4) <= 0.88
    forecast = calibrated.predict(walk.iloc[:4100], num_samples=50)
    assert forecast.model_id == "random_walk+conformal80"
    assert (np.diff(forecast.quantiles, axis=1) >= 0).all()


def test_calibration_needs_enough_origins_with_futures() -> None:
    walk = gaussian_walk(600, vol=1e-3, seed=1)
    model = RandomWalkEstimator().fit(walk)
    with pytest.raises(DataError, match="at least 10 origins"):
        calibrate(model, walk, [100, 101])
    with pytest.raises(DataError, match="whole future"):
        calibrate(model, walk, list(range(580, 600)))


def test_adaptive_conformal_tracks_a_volatility_shift_causally() -> None:
    walk = gaussian_walk(5000, vol=1e-3, seed=9)
    walk.loc[walk.index[2500] :, "close"] = walk["close"].iloc[2500] * np.exp(
        2 * np.log(walk["close"].iloc[2500:] / walk["close"].iloc[2500])
    )
    model = RandomWalkEstimator(halflife=100_000.0, horizons=(1, 4, 24)).fit(walk.iloc[:2000])
    close = walk["close"].to_numpy()
    test = np.arange(2000, 4970)
    adaptive = AdaptiveConformal(model, level=0.8)
    fcs = adaptive.predict_batch(walk, test.tolist(), num_samples=200, seed=0)
    late = slice(1500, None)  # well after the shift
    for h in (1, 4, 24):
        got = coverage(
            close[test + h][late],
            [f.quantile(0.1, h) for f in fcs][late],
            [f.quantile(0.9, h) for f in fcs][late],
        )
        assert 0.76 <= got <= 0.84, (h, got)
        assert 0.78 <= adaptive.coverage()[h] <= 0.82
    assert adaptive.factors[1] > 1.5  # the shift doubled the volatility
    assert fcs[0].model_id == "random_walk+aci80"
    # causal (the prefix test): the bars after the last origin change nothing
    prefix = walk.iloc[: test[299] + 1]
    again = AdaptiveConformal(model, level=0.8).predict_batch(
        prefix, test[:300].tolist(), num_samples=200, seed=0
    )
    for k in (0, 150, 299):
        np.testing.assert_array_equal(again[k].samples, fcs[k].samples)


def test_adaptive_conformal_refuses_bad_settings() -> None:
    model = RandomWalkEstimator().fit(gaussian_walk(300, vol=1e-3, seed=1))
    with pytest.raises(DataError, match="adaptive conformal"):
        AdaptiveConformal(model, level=1.2)
