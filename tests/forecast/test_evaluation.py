from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.forecast.baselines import baseline_estimators
from forex_diffusion.forecast.evaluation import evaluate_forecasts, rolling_split, verdict
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
    assert len(table) == 4 * 4
    assert set(table["model"]) == {"random_walk", "garch_t", "bootstrap_rw", "seasonal_rw"}
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


def test_verdict_says_where_the_model_stands() -> None:
    rows = [
        # (model, horizon, crps, coverage_80, dm p)
        ("diffusion", 1, 4.0, 0.79, 0.01),
        ("random_walk", 1, 4.4, 0.89, math.nan),
        ("garch_t", 1, 4.2, 0.83, 0.02),
        ("diffusion", 4, 10.6, 0.81, 0.7),
        ("random_walk", 4, 10.5, 0.81, math.nan),
        ("bootstrap_rw", 4, 10.55, 0.77, 0.9),
        ("diffusion+conformal", 4, 10.0, 0.70, 0.5),  # not a baseline: never "the best"
    ]
    table = pd.DataFrame(rows, columns=["model", "horizon", "crps", "coverage_80", "dm_p_vs_rw"])
    lines = verdict(table, model="diffusion")
    assert lines == [
        "h=1: diffusion at or below the best baseline (garch_t, -4.8%); "
        "DM p vs RW 0.010; 80 % coverage 0.790",
        "h=4: diffusion behind the best baseline random_walk by 1.0%; "
        "DM p vs RW 0.700; 80 % coverage 0.810",
    ]
    assert verdict(table, model="nope") == []
