from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.forecast import exchange_rate as er
from forex_diffusion.forecast.baselines import RandomWalkEstimator

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "exchange_rate.txt.gz"


def synthetic_file(tmp_path: Path, rows: int = 6300) -> Path:
    rng = np.random.default_rng(0)
    levels = np.exp(np.cumsum(rng.normal(0, 0.005, size=(rows, 8)), axis=0))
    path = tmp_path / "exchange_rate.txt"
    np.savetxt(path, levels, delimiter=",", fmt="%.6f")
    return path


def test_protocol_layout_and_metrics(tmp_path: Path) -> None:
    data = er.load_exchange_rate(synthetic_file(tmp_path))
    assert list(data.columns) == list(er.CURRENCIES)
    assert er.origins(len(data)) == [6070, 6100, 6130, 6160, 6190]
    rng = np.random.default_rng(1)
    samplers = {
        "joint": lambda d, o, n: er.joint_random_walk(d, o, n, rng),
        "rw": er.univariate_sampler(
            lambda _col: RandomWalkEstimator(horizons=tuple(range(1, 31))), data
        ),
    }
    table = er.evaluate_exchange_rate(data, samplers, num_samples=64)
    assert list(table["model"]) == ["joint", "rw"]
    assert table["mean_wql"].between(0, 0.1).all()
    assert table["crps_sum"].between(0, 0.1).all()


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        er.load_exchange_rate(tmp_path / "nope.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match="expected 8 columns"):
        er.load_exchange_rate(bad)
    short = er.load_exchange_rate(synthetic_file(tmp_path, rows=500))
    with pytest.raises(DataError, match="the protocol needs"):
        er.evaluate_exchange_rate(short, {})


def test_joint_random_walk_reproduces_the_published_reference() -> None:
    if not SHARED.is_file():
        pytest.skip(f"the benchmark file is not at {SHARED}")
    data = er.load_exchange_rate(SHARED)
    assert data.shape == (7588, 8)
    rng = np.random.default_rng(0)
    table = er.evaluate_exchange_rate(
        data, {"rw": lambda d, o, n: er.joint_random_walk(d, o, n, rng)}, num_samples=400
    )
    # the data README: "a Gaussian random walk with a 250-day covariance scores about 0.0049"
    assert table["crps_sum"].item() == pytest.approx(0.0049, abs=0.0002)
