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


def test_bad_inputs(candles: pd.DataFrame, predictor: DiffusionPredictor) -> None:
    with pytest.raises(DataError, match="too few bars"):
        DiffusionEstimator(TINY).fit(candles.iloc[:80])
    with pytest.raises(DataError, match="forecast origins"):
        predictor.predict(candles.iloc[:20])
    with pytest.raises(ValueError, match="horizons"):
        DiffusionConfig(horizons=(4, 1))
