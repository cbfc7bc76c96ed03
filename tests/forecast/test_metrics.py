from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forex_diffusion.forecast.metrics import (
    DEFAULT_LEVELS,
    coverage,
    crps_quantiles,
    crps_samples,
    crps_sum,
    diebold_mariano,
    direction_hit_rate,
    pinball_loss,
    pit_histogram,
    weighted_quantile_loss,
)


def test_pinball_by_hand() -> None:
    np.testing.assert_allclose(pinball_loss([3.0, 1.0], [1.0, 3.0], 0.9), [1.8, 0.2])
    assert pinball_loss(2.0, 2.0, 0.3) == 0.0


def test_crps_samples_by_hand_and_brute_force() -> None:
    # samples {0, 2}, outcome 1: E|X-y| = 1, E|X-X'| = (0+2+2+0)/4 = 1 -> 1 - 0.5
    assert crps_samples([0.0, 2.0], 1.0) == pytest.approx(0.5)
    assert crps_samples([5.0, 5.0, 5.0], 5.0) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=3)
    brute = np.abs(x - y).mean(0) - 0.5 * np.abs(x[:, None, :] - x[None, :, :]).mean((0, 1))
    np.testing.assert_allclose(crps_samples(x, y), brute)
    # a standard normal: closed form CRPS(N(0,1), 0) = 2 phi(0) - 1/sqrt(pi)
    big = rng.normal(size=200_000)
    assert crps_samples(big, 0.0) == pytest.approx(
        2 * stats.norm.pdf(0) - 1 / math.sqrt(math.pi), abs=3e-3
    )


def test_crps_quantiles_and_weighted_quantile_loss_by_hand() -> None:
    # quantiles 1 (0.25) and 3 (0.75), outcome 2: pinball 0.25 and 0.25 -> 2 * 0.25
    assert crps_quantiles([1.0, 3.0], 2.0, [0.25, 0.75]) == pytest.approx(0.5)
    # one level 0.5, outcomes 2 and 4, predictions 1 and 4: 2 * (0.5 + 0) / 6
    assert weighted_quantile_loss([[1.0], [4.0]], [2.0, 4.0], [0.5]) == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="every target is 0"):
        weighted_quantile_loss([[1.0]], [0.0], [0.5])


def test_crps_sum_is_the_wql_of_the_summed_series() -> None:
    rng = np.random.default_rng(1)
    samples = rng.normal(1.0, 0.2, size=(400, 5, 3))
    y = rng.normal(1.0, 0.2, size=(5, 3))
    total = samples.sum(-1)
    q = np.moveaxis(np.quantile(total, DEFAULT_LEVELS, axis=0), 0, -1)
    assert crps_sum(samples, y) == pytest.approx(
        weighted_quantile_loss(q, y.sum(-1), DEFAULT_LEVELS)
    )
    assert len(DEFAULT_LEVELS) == 19
    assert DEFAULT_LEVELS[0] == 0.05
    assert DEFAULT_LEVELS[-1] == 0.95


def test_coverage_pit_and_direction_by_hand() -> None:
    assert coverage([1, 2, 3, 4], [0, 0, 0, 5], [2, 2, 2, 6]) == 0.5
    pit = pit_histogram(
        np.arange(100.0)[:, None] * np.ones((1, 4)), [49.5, 9.5, 90.5, 99.5], bins=10
    )
    np.testing.assert_allclose(pit, [0, 0.25, 0, 0, 0, 0.25, 0, 0, 0, 0.5])
    assert direction_hit_rate([1, 1, 1], [2, 0, 1], [3, 2, 5]) == 0.5
    assert math.isnan(direction_hit_rate([1], [1], [2]))


def test_diebold_mariano_by_hand() -> None:
    stat, p = diebold_mariano([1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0])
    # mean 2.5, variance of the mean 1.25 / 4, HLN factor sqrt(3/4)
    expected = 2.5 / math.sqrt(1.25 / 4) * math.sqrt(3 / 4)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(expected, df=3))
    assert diebold_mariano([1, 2, 3], [1, 2, 3]) == (0.0, 1.0)
    rng = np.random.default_rng(2)
    same = diebold_mariano(rng.normal(size=500), rng.normal(size=500), horizon=4)
    assert same[1] > 0.01
    better = diebold_mariano(rng.normal(0, 1, 500) ** 2, rng.normal(0, 2, 500) ** 2)
    assert better[0] < 0
    assert better[1] < 1e-6
    with pytest.raises(ValueError, match="at least 3"):
        diebold_mariano([1.0], [2.0])
