from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import DataError, ModelError
from forex_diffusion.data import load_sample
from forex_diffusion.forecast.diffusion import (
    DiffusionConfig,
    DiffusionEstimator,
    DiffusionPredictor,
)
from forex_diffusion.forecast.diffusion.estimator import centre_paths, latent_noise
from forex_diffusion.forecast.diffusion.windows import bar_features, hourly_profile
from forex_diffusion.forecast.metrics import coverage
from tests.forecast.test_baselines import gaussian_walk

TINY = DiffusionConfig(
    context=16,
    hidden=64,
    layers=2,
    context_dim=32,
    epochs=4,
    sampling_steps=8,
    val_origins=64,
    val_samples=16,
    patience=4,
)


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_sample("EURUSD", "H1").iloc[:2000]


@pytest.fixture(scope="module")
def predictor(candles: pd.DataFrame) -> DiffusionPredictor:
    return DiffusionEstimator(TINY).fit(candles.iloc[:1600])


def test_forecast_shapes_and_monotone_quantiles(
    predictor: DiffusionPredictor, candles: pd.DataFrame
) -> None:
    forecast = predictor.predict(candles.iloc[:1700], num_samples=64, seed=3)
    assert forecast.horizons == (1, 4, 12, 24)
    assert forecast.quantiles.shape == (4, 19)
    assert (np.diff(forecast.quantiles, axis=1) >= 0).all()
    assert forecast.samples is not None
    assert forecast.samples.shape == (64, 4)
    assert forecast.origin_ts == candles.index[1699]
    assert forecast.model_id.startswith("diffusion-")
    spread = forecast.quantiles[:, -1] - forecast.quantiles[:, 0]
    assert spread[-1] > spread[0]  # 24 bars ahead is more uncertain than 1


def test_prefix_test_and_seeds(predictor: DiffusionPredictor, candles: pd.DataFrame) -> None:
    t = 1750
    alone = predictor.predict(candles.iloc[: t + 1], num_samples=32, seed=5)
    batch = predictor.predict_batch(candles, [t - 10, t, t + 5], num_samples=32, seed=5)[1]
    np.testing.assert_allclose(alone.samples, batch.samples, rtol=1e-5)
    other_seed = predictor.predict(candles.iloc[: t + 1], num_samples=32, seed=6)
    assert not np.allclose(alone.samples, other_seed.samples)
    unseeded = [
        predictor.predict(candles.iloc[: t + 1], num_samples=32, seed=None) for _ in range(2)
    ]
    assert not np.allclose(unseeded[0].samples, unseeded[1].samples)


def test_save_load_round_trip(
    predictor: DiffusionPredictor, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = predictor.save(tmp_path / "model.pt")
    loaded = DiffusionPredictor.load(path)
    assert loaded.config == predictor.config
    assert loaded.meta["data_hash"] == predictor.meta["data_hash"]
    assert loaded.meta["data_end"] == candles.index[1599].isoformat()
    a = predictor.predict(candles, num_samples=16, seed=1)
    b = loaded.predict(candles, num_samples=16, seed=1)
    np.testing.assert_array_equal(a.samples, b.samples)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="not a forex_diffusion checkpoint"):
        DiffusionPredictor.load(tmp_path / "junk.pt")
    with pytest.raises(ModelError, match="checkpoint not found"):
        DiffusionPredictor.load(tmp_path / "missing.pt")


def test_validation_history_is_of_the_future(predictor: DiffusionPredictor) -> None:
    history = predictor.meta["history"]
    assert 1 <= len(history) <= TINY.epochs
    assert predictor.meta["val_crps"] == min(h["val_crps"] for h in history)
    assert predictor.meta["train_windows"] > predictor.meta["val_windows"] > 0


def test_intervals_reach_nominal_coverage_on_known_volatility() -> None:
    walk = gaussian_walk(5000, vol=1e-3, seed=11)
    model = DiffusionEstimator(TINY.model_copy(update={"epochs": 8, "halflife": 200.0})).fit(
        walk.iloc[:4000]
    )
    origins = list(range(4000, 4970, 4))
    forecasts = model.predict_batch(walk, origins, num_samples=128)
    close = walk["close"].to_numpy()
    for h in (1, 4):
        y = close[np.array(origins) + h]
        lo = [f.quantile(0.1, h) for f in forecasts]
        hi = [f.quantile(0.9, h) for f in forecasts]
        assert 0.68 <= coverage(y, lo, hi) <= 0.92, h


def ny_hours(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame.index.tz_convert("America/New_York").hour)


def seasonal_walk(n: int, *, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A Gaussian walk whose step size depends on the New York hour: 0.4x at night, 1.6x
    midday (local hours, so in UTC the pattern moves with daylight saving)."""
    hours = np.arange(24)
    size = np.where((hours >= 8) & (hours < 17), 1.6, np.where(hours < 6, 0.4, 1.0))
    walk = gaussian_walk(n, vol=1e-3, seed=seed)
    steps = np.diff(np.log(walk["close"].to_numpy()), prepend=np.log(1.1))
    close = 1.1 * np.exp(np.cumsum(steps * size[ny_hours(walk)]))
    walk = walk.assign(open=close, high=close * 1.0001, low=close * 0.9999, close=close)
    return walk, size / size.mean()


def test_hourly_profile_recovers_the_intraday_sizes() -> None:
    walk, truth = seasonal_walk(12_000, seed=2)
    profile = hourly_profile(walk)
    assert profile.shape == (24,)
    np.testing.assert_allclose(profile / profile.mean(), truth, rtol=0.12)
    assert (hourly_profile(walk.iloc[::24]) == 1.0).all()  # daily bars: no seasonal scaling
    assert (hourly_profile(walk.iloc[:200]) == 1.0).sum() >= 20  # < 20 returns an hour
    with pytest.raises(ValueError, match="24 positive"):
        bar_features(walk, halflife=50.0, profile=np.ones(12))


def test_centre_paths_removes_the_mean_and_keeps_the_spread() -> None:
    rng = np.random.default_rng(0)
    paths = rng.normal(0.5, 2.0, size=(3, 4000, 5))
    centred = centre_paths(paths)
    np.testing.assert_allclose(centred.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(centred.std(axis=1, ddof=0), paths.std(axis=1, ddof=1))
    single = paths[:, :1]
    assert centre_paths(single) is single


def test_intervals_follow_the_hour_of_the_forecast() -> None:
    """Night and midday forecasts both reach nominal coverage: the scale follows the hour."""
    walk, _ = seasonal_walk(6000, seed=7)
    model = DiffusionEstimator(TINY.model_copy(update={"epochs": 8, "halflife": 200.0})).fit(
        walk.iloc[:4500]
    )
    origins = np.arange(4500, 5970)
    forecasts = model.predict_batch(walk, origins.tolist(), num_samples=128)
    close = walk["close"].to_numpy()
    y = close[origins + 1]
    lo = np.array([f.quantile(0.1, 1) for f in forecasts])
    hi = np.array([f.quantile(0.9, 1) for f in forecasts])
    next_hour = (ny_hours(walk)[origins] + 1) % 24
    night, midday = next_hour < 6, (next_hour >= 8) & (next_hour < 17)
    # without the hourly profile: night 0.99, midday 0.56 (one scale for all hours)
    covered = [coverage(y[picked], lo[picked], hi[picked]) for picked in (night, midday)]
    assert all(0.6 <= c <= 0.92 for c in covered), covered
    assert abs(covered[0] - covered[1]) < 0.1, covered
    width = hi - lo
    assert np.median(width[midday]) > 3 * np.median(width[night])


def test_bad_inputs(candles: pd.DataFrame, predictor: DiffusionPredictor) -> None:
    with pytest.raises(DataError, match="too few bars"):
        DiffusionEstimator(TINY).fit(candles.iloc[:80])
    with pytest.raises(DataError, match="forecast origins"):
        predictor.predict(candles.iloc[:20])
    with pytest.raises(ValueError, match="horizons"):
        DiffusionConfig(horizons=(4, 1))


def test_epsilon_prediction_samples_a_sane_spread() -> None:
    """Epsilon prediction learns slower than v (a zero network is a Gaussian sampler under v, a
    broken one under epsilon) and starts DDIM where alpha_bar >= 0.01: from the last step
    (alpha_bar 2e-9) its first x0 estimate was clipped noise and the intervals far too wide."""
    walk = gaussian_walk(5000, vol=1e-3, seed=12)
    update = {"epochs": 30, "patience": 30, "halflife": 200.0, "prediction": "epsilon"}
    model = DiffusionEstimator(TINY.model_copy(update=update)).fit(walk.iloc[:4000])
    origins = list(range(4000, 4970, 4))
    forecasts = model.predict_batch(walk, origins, num_samples=128)
    close = walk["close"].to_numpy()
    y = close[np.array(origins) + 1]
    lo = [f.quantile(0.1, 1) for f in forecasts]
    hi = [f.quantile(0.9, 1) for f in forecasts]
    assert 0.68 <= coverage(y, lo, hi) <= 0.92


def test_sobol_latent_noise_is_seeded_gaussian_and_evener_than_iid() -> None:
    from scipy.stats import kstest

    sobol = latent_noise(100, 24, 5, "sobol").numpy()
    assert sobol.shape == (100, 24)
    np.testing.assert_array_equal(sobol, latent_noise(100, 24, 5, "sobol").numpy())
    assert not np.allclose(sobol, latent_noise(100, 24, 6, "sobol").numpy())
    iid = latent_noise(100, 24, 5, "iid").numpy()

    def distance(z: np.ndarray) -> float:  # mean KS distance of the marginals from N(0, 1)
        return float(np.mean([kstest(z[:, k], "norm").statistic for k in range(z.shape[1])]))

    assert distance(sobol) < 0.5 * distance(iid)
    with pytest.raises(ValueError, match="latent"):
        DiffusionConfig(latent="halton")  # type: ignore[arg-type]
