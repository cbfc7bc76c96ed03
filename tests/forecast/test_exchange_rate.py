from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.forecast import exchange_rate as er
from forex_diffusion.forecast.baselines import RandomWalkEstimator
from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "exchange_rate.txt.gz"


def synthetic_file(tmp_path: Path, rows: int = 6300, *, rho: float = 0.0) -> Path:
    """8 random walks whose daily returns have correlation ``rho`` (a common factor)."""
    rng = np.random.default_rng(0)
    common = rng.normal(0, 1, size=(rows, 1))
    own = rng.normal(0, 1, size=(rows, 8))
    steps = 0.005 * (np.sqrt(rho) * common + np.sqrt(1 - rho) * own)
    levels = np.exp(np.cumsum(steps, axis=0))
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
            er.fit_per_series(lambda _col: RandomWalkEstimator(horizons=tuple(range(1, 31))), data)
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


def test_return_correlation_is_causal_positive_definite_and_skips_pegs(tmp_path: Path) -> None:
    data = er.load_exchange_rate(synthetic_file(tmp_path, rho=0.6))
    corr = er.return_correlation(data, 3000, window=1000)
    off = corr[~np.eye(8, dtype=bool)]
    assert np.allclose(np.diag(corr), 1.0)
    assert off.mean() == pytest.approx(0.6, abs=0.06)
    assert np.linalg.eigvalsh(corr).min() > 0
    later = data.copy()
    later.iloc[3001:] *= 1.5  # bars after the origin change nothing
    np.testing.assert_array_equal(er.return_correlation(later, 3000, window=1000), corr)
    pegged = data.copy()
    pegged["CNY"] = 6.8
    corr = er.return_correlation(pegged, 3000, window=1000)
    assert corr[4, 4] == pytest.approx(1.0)
    np.testing.assert_allclose(np.delete(corr[4], 4), 0.0, atol=1e-5)


def test_joint_diffusion_samples_carry_the_correlation(tmp_path: Path) -> None:
    """Correlated starting noise gives correlated paths; independent sampling gives none."""
    data = er.load_exchange_rate(synthetic_file(tmp_path, rho=0.8))
    config = DiffusionConfig(
        horizons=tuple(range(1, 31)),
        context=16,
        hidden=32,
        layers=2,
        context_dim=16,
        epochs=2,
        sampling_steps=6,
        val_origins=32,
        val_samples=8,
        halflife=60.0,
    )
    models = er.fit_per_series(lambda _col: DiffusionEstimator(config), data)
    origin = er.origins(len(data))[0]
    end = {}
    for name, sampler in {
        "joint": er.joint_diffusion_sampler(models, seed=1),
        "independent": er.univariate_sampler(models, seed=1),
    }.items():
        samples = sampler(data, origin, 400)  # (samples, 30, 8)
        assert samples.shape == (400, 30, 8)
        moves = np.log(samples[:, -1, :] / data.to_numpy()[origin])
        end[name] = np.corrcoef(moves, rowvar=False)[~np.eye(8, dtype=bool)].mean()
    assert end["joint"] > 0.6, end
    assert abs(end["independent"]) < 0.1, end
    with pytest.raises(ValueError, match="noise must have shape"):
        models.predictors["AUD"].predict_batch(
            models.candles["AUD"], [origin], num_samples=10, noise=np.zeros((1, 10, 5))
        )
