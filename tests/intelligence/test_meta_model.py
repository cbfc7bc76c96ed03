"""The meta-model: purged, embargoed folds asserted on timestamps; calibration recovers a known
probability; saving and loading keeps the predictions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.intelligence.meta_model import (
    CATEGORICAL,
    NUMERIC,
    MetaModel,
    purged_folds,
    reliability,
)


def synthetic(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.DatetimeIndex]:
    """Rows whose true P(target first) is ``sigmoid(3 (composite - 0.5))``, one per hour."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({c: rng.uniform(0, 1, n) for c in NUMERIC})
    for c in CATEGORICAL:
        rows[c] = rng.choice(["a", "b"], n)
    p = 1 / (1 + np.exp(-3 * (rows["composite"].to_numpy() - 0.5)))
    label = (rng.uniform(0, 1, n) < p).astype(float)
    start = pd.date_range("2017-01-02", periods=n, freq="h", tz="UTC")
    return rows, label, start


def test_folds_are_purged_and_embargoed_on_timestamps() -> None:
    start = pd.date_range("2017-01-02", periods=300, freq="h", tz="UTC")
    end = start + pd.Timedelta(hours=24)  # each label spans 24 bars
    embargo = pd.Timedelta(hours=12)
    folds = purged_folds(start, end, folds=5, embargo=embargo)
    assert len(folds) == 5
    covered = np.concatenate([test for _, test in folds])
    assert sorted(covered) == list(range(300))
    for train, test in folds:
        t0, t1 = start[test].min(), end[test].max()
        assert len(train) > 0
        for i in train:  # no training label overlaps the test span or its embargo
            assert end[i] < t0 or start[i] > t1 + embargo
        assert not set(train) & set(test)
    # the middle fold loses the 24 rows before it (purge) and 12 + 24 after it (embargo)
    train, test = folds[2]
    assert len(train) == 300 - len(test) - 24 - (24 + 12)


def test_calibrated_probabilities_recover_a_known_probability() -> None:
    rows, label, start = synthetic(3000)
    model = MetaModel("logistic", folds=5).fit(
        rows, label, start=start, end=start + pd.Timedelta(hours=24)
    )
    test_rows, _, _ = synthetic(2000, seed=1)
    truth = 1 / (1 + np.exp(-3 * (test_rows["composite"].to_numpy() - 0.5)))
    got = model.predict(test_rows)
    assert np.mean(np.abs(got - truth)) < 0.05
    summary = model.summary()
    assert summary["calibration"] == "isotonic" and summary["rows"] == 3000
    assert len(model.folds) == 5
    assert model.skilful
    for fold in model.folds:  # the signal is real: every fold beats the base rate
        assert fold.brier < fold.brier_base
        assert math.isfinite(fold.log_loss) and fold.reliability


def test_no_signal_does_not_beat_the_base_rate_by_much() -> None:
    rows, _, start = synthetic(1500)
    label = (np.random.default_rng(5).uniform(size=1500) < 0.3).astype(float)
    model = MetaModel("hist_gbm", folds=4).fit(
        rows, label, start=start, end=start + pd.Timedelta(hours=24)
    )
    s = model.summary()
    assert s["brier"] >= s["brier_base"] - 0.005
    assert not model.skilful  # so the strategy would not use it
    assert abs(float(np.mean(model.predict(rows))) - 0.3) < 0.03


def test_reliability_bins_by_prediction() -> None:
    curve = reliability(np.array([0.05, 0.07, 0.95]), np.array([0.0, 1.0, 1.0]))
    assert curve == [
        {"predicted": pytest.approx(0.06), "observed": 0.5, "count": 2},
        {"predicted": 0.95, "observed": 1.0, "count": 1},
    ]


def test_save_load_and_refusals(tmp_path: Path) -> None:
    rows, label, start = synthetic(400)
    end = start + pd.Timedelta(hours=24)
    model = MetaModel(folds=4).fit(rows, label, start=start, end=end)
    path = model.save(tmp_path / "meta.joblib")
    again = MetaModel.load(path)
    assert np.allclose(again.predict(rows), model.predict(rows))
    assert again.info()["model_id"] == f"meta-logistic-{model.data_hash[:12]}"
    with pytest.raises(ConfigError, match="at least 100 labelled"):
        MetaModel().fit(rows[:50], label[:50], start=start[:50], end=end[:50])
    with pytest.raises(ConfigError, match="lack the columns"):
        MetaModel().fit(rows.drop(columns="regime"), label, start=start, end=end)
    (tmp_path / "bad").write_text("no")
    with pytest.raises(ConfigError, match="not a meta-model file"):
        MetaModel.load(tmp_path / "bad")
