from __future__ import annotations

import math

import numpy as np
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.forecast.baselines import baseline_estimators
from forex_diffusion.forecast.evaluation import evaluate_forecasts, rolling_split
from forex_diffusion.forecast.metrics import crps_samples
from tests.forecast.test_baselines import gaussian_walk


def test_rolling_split() -> None:
    split = rolling_split(6225, horizon=24, step=6)
    assert split.fit_end == 4980
    assert split.origins[0] == 4980
    assert split.origins[-1] + 24 < 6225
    assert (np.diff(split.origins) == 6).all()
    with pytest.raises(DataError, match="too few"):
        rolling_split(300, horizon=24)


def test_evaluation_table() -> None:
    walk = gaussian_walk(3000, vol=1e-3, seed=5)
    split = rolling_split(len(walk), horizon=24, step=10)
    fit = walk.iloc[: split.fit_end]
    predictors = {name: est.fit(fit) for name, est in baseline_estimators().items()}
    table = evaluate_forecasts(walk, predictors, split.origins, num_samples=64, seed=1)
    assert len(table) == 3 * 4
    assert set(table["model"]) == {"random_walk", "garch_t", "bootstrap_rw"}
    assert table.loc[table["model"] == "random_walk", "dm_p_vs_rw"].isna().all()
    others = table.loc[table["model"] != "random_walk", "dm_p_vs_rw"]
    assert others.between(0, 1).all()
    assert table.groupby("horizon")["best"].sum().eq(1).all()
    # the CRPS column is the sample CRPS of the forecasts, recomputed here for one cell
    fcs = predictors["random_walk"].predict_batch(
        walk, split.origins.tolist(), num_samples=64, seed=1
    )
    y = walk["close"].to_numpy()[split.origins + 4]
    samples = np.stack([f.samples[:, 1] for f in fcs], axis=1)  # type: ignore[index]
    expected = float(crps_samples(samples, y).mean())
    got = table[(table["model"] == "random_walk") & (table["horizon"] == 4)]["crps"].item()
    assert got == pytest.approx(expected)
    cov = table[(table["model"] == "random_walk")]["coverage_80"]
    assert cov.between(0.65, 0.95).all()
    assert not math.isnan(table["hit_rate"].iloc[0])
