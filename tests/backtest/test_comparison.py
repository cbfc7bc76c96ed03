"""The comparison's statistics: deflated Sharpe ratio, PBO by CSCV, random-entry schedules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forex_diffusion.backtest.comparison import (
    RandomEntries,
    _schedule,
    deflated_sharpe,
    pbo_cscv,
)


def test_deflated_sharpe_is_the_probabilistic_sharpe_for_one_trial() -> None:
    r = np.random.default_rng(1).normal(0.001, 0.01, 1000)
    sr = r.mean() / r.std(ddof=1)
    skew, kurt = stats.skew(r), stats.kurtosis(r, fisher=False)
    by_hand = stats.norm.cdf(sr * np.sqrt(999) / np.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    assert deflated_sharpe(r, trial_sharpes=[sr], trials=1) == pytest.approx(by_hand)
    # more configurations tried (with spread-out Sharpe ratios) deflate it
    many = deflated_sharpe(r, trial_sharpes=[sr, 0.0, -0.05, 0.04], trials=50)
    assert many is not None and many < by_hand
    assert deflated_sharpe(np.zeros(10), trial_sharpes=[0.0], trials=1) is None


def test_pbo_is_low_for_a_real_edge_and_about_half_for_noise() -> None:
    # on noise the in-sample best is a coin toss out of sample: PBO about 0.5 on average
    noises = [np.random.default_rng(seed).normal(0, 0.01, (400, 6)) for seed in range(12)]
    pbos = [pbo_cscv(n, blocks=8) for n in noises]
    assert 0.35 <= float(np.mean([p for p in pbos if p is not None])) <= 0.65
    noise = noises[0]
    edge = noise.copy()
    edge[:, 2] += 0.01  # one configuration is better in every block
    assert pbo_cscv(edge, blocks=8) == 0.0
    assert pbo_cscv(noise[:, :1]) is None


def test_random_schedules_keep_sides_and_holding_times_without_overlap() -> None:
    holds = np.array([3, 5, 1, 8])
    sides = np.array([1, -1, 1, -1])
    for seed in range(20):
        go_l, go_s, ex_l, ex_s = _schedule(holds, sides, 60, np.random.default_rng(seed))
        entries = np.flatnonzero(go_l | go_s)
        exits = np.flatnonzero(ex_l | ex_s)
        assert len(entries) == len(exits) == 4
        assert sorted(exits - entries) == sorted(holds)
        assert (entries[1:] > exits[:-1]).all()  # one trade at a time
        assert go_l.sum() == 2 and go_s.sum() == 2
    # too little room: as many trades as fit
    go_l, go_s, _, _ = _schedule(np.array([30, 30, 30]), np.ones(3), 70, np.random.default_rng(0))
    assert go_l.sum() == 2


def test_the_p_value_counts_replays_at_least_as_good() -> None:
    r = RandomEntries(np.array([-3.0, -1.0, 0.0, 2.0]), rule_pnl=0.0)
    assert r.p_value == pytest.approx(3 / 5) and r.percentile == pytest.approx(0.5)
    assert r.summary()["seeds"] == 4
