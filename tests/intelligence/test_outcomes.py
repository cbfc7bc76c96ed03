from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.intelligence.evaluation.signal_statistics import (
    cluster_comparison,
    signal_statistics,
)
from forex_diffusion.intelligence.outcomes import signal_outcomes

INDEX = pd.date_range("2017-03-01", periods=6, freq="h", tz="UTC")
# bar:        0       1       2       3       4       5
HIGH = [1.1005, 1.1012, 1.1030, 1.1010, 1.1004, 1.1002]
LOW = [1.0995, 1.0998, 1.1008, 1.0985, 1.0990, 1.0990]
CLOSE = [1.1000, 1.1010, 1.1020, 1.0990, 1.1000, 1.0995]
CANDLES = pd.DataFrame(
    {"open": CLOSE, "high": HIGH, "low": LOW, "close": CLOSE, "volume": 1.0}, index=INDEX
)


def outcomes(direction: str, target: float, stop: float, until: int, spread: float = 0.0):
    return signal_outcomes(
        CANDLES,
        decided_at=pd.DatetimeIndex([INDEX[0]]),
        direction=np.array([direction]),
        entry=np.array([1.1000]),
        target=np.array([target]),
        stop=np.array([stop]),
        valid_until=pd.DatetimeIndex([INDEX[until]]),
        spread=spread,
    ).iloc[0]


def test_outcomes_by_hand() -> None:
    up = outcomes("bull", 1.1025, 1.0990, 4)
    assert (up.target_first, up.bars_held, up.exit_price) == (1.0, 2, 1.1025)  # bar 2 high
    assert up.direction_hit == 0.0  # bar 4 closes at the entry: not beyond it
    stopped = outcomes("bull", 1.1050, 1.0990, 4)
    assert (stopped.target_first, stopped.bars_held, stopped.exit_price) == (0.0, 3, 1.0990)
    both = outcomes("bear", 1.0986, 1.1011, 3)  # bar 1 reaches the stop first
    assert both.target_first == 0.0 and both.bars_held == 1
    expired = outcomes("bull", 1.1100, 1.0900, 2)
    assert np.isnan(expired.target_first) and expired.exit_price == pytest.approx(1.1020)
    assert expired.direction_hit == 1.0
    assert outcomes("bull", 1.1100, 1.0900, 2, spread=0.0025).direction_hit == 0.0
    unknown = outcomes("bull", 1.1100, 1.0900, 5).copy()
    beyond = signal_outcomes(
        CANDLES,
        decided_at=pd.DatetimeIndex([INDEX[3]]),
        direction=np.array(["bull"]),
        entry=np.array([1.1]),
        target=np.array([1.2]),
        stop=np.array([1.0]),
        valid_until=pd.DatetimeIndex([INDEX[5] + pd.Timedelta(hours=3)]),
    ).iloc[0]
    assert not np.isnan(unknown.direction_hit) and np.isnan(beyond.direction_hit)


def test_statistics_keys_rates_and_expectancy() -> None:
    rows = []
    for i, (direction, passed) in enumerate([("bull", True), ("bull", True), ("bear", False)]):
        rows.append(
            {
                "signal_id": str(i),
                "source": "pattern" if i else "forecast",
                "direction": direction,
                "strength": 0.6,
                "pattern_strength": 0.5 + 0.1 * i,
                "mtf_agreement": 1.0,
                "regime_confidence": 0.9,
                "volume_confirmation": 0.5,
                "sentiment_alignment": 0.5,
                "correlation_safety": 1.0,
                "composite": 0.7,
                "passed": passed,
                "regime": "ranging",
                "entry_price": 1.1,
                "target_price": 1.1 + (0.01 if direction == "bull" else -0.01),
                "stop_price": 1.1 - (0.01 if direction == "bull" else -0.01),
                "ts": INDEX[0],
                "valid_until": INDEX[2],
                "metadata": {"family": "reversal"} if i else {},
            }
        )
    stats = signal_statistics(pd.DataFrame(rows), CANDLES, spread=0.0)
    assert stats["dimensions"]["pattern_strength"] == {
        "mean": pytest.approx(0.6),
        "std": pytest.approx(np.std([0.5, 0.6, 0.7])),
        "min": 0.5,
        "max": pytest.approx(0.7),
    }
    assert stats["pass_rate_by_source"] == {"forecast": 1.0, "pattern": 0.5}
    assert stats["pass_rate_by_family"] == {"forecast": 1.0, "reversal": 0.5}
    # bar 2 closes at 1.1020: the bulls hit, the bear does not
    assert stats["hit_rates"]["passed"]["hit_rate"] == 1.0
    assert stats["hit_rates"]["rejected"]["hit_rate"] == 0.0
    # neither target nor stop is reached by bar 2: out at its close, 20 pips on a 100-pip risk
    assert stats["hit_rates"]["passed"]["expectancy_r"] == pytest.approx(0.2)
    assert stats["hit_rates"]["rejected"]["expectancy_r"] == pytest.approx(-0.2)
    costly = signal_statistics(pd.DataFrame(rows), CANDLES, spread=0.001)["hit_rates"]["passed"]
    assert costly["expectancy_r"] == pytest.approx(0.1)  # 20 pips less a 10-pip spread
    assert costly["spread_cost_r"] == pytest.approx(0.1)
    # one decision day: too few to bootstrap, so no p-value rather than a meaningless one
    assert stats["comparison"]["clusters"] == 1
    assert stats["comparison"]["hit_rate"] is None


def _z_test_p(a: np.ndarray, b: np.ndarray) -> float:
    pooled = np.concatenate([a, b]).mean()
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
    return 1.0 - NormalDist().cdf((a.mean() - b.mean()) / se)


def test_cluster_comparison_matches_the_z_test_on_independent_signals() -> None:
    rng = np.random.default_rng(3)
    days = 400
    passed_hits = (rng.random(days) < 0.56).astype(float)
    rejected_hits = (rng.random(days) < 0.47).astype(float)
    values = np.concatenate([passed_hits, rejected_hits])
    passed = np.r_[np.ones(days, bool), np.zeros(days, bool)]
    clusters = np.r_[np.arange(days), np.arange(days)]
    c = cluster_comparison(values, passed, clusters, resamples=4000)
    assert c is not None
    assert c["difference"] == pytest.approx(passed_hits.mean() - rejected_hits.mean())
    expected = _z_test_p(passed_hits, rejected_hits)
    assert 0.002 < expected < 0.2  # a case where the two could disagree visibly
    assert c["p_value"] == pytest.approx(expected, rel=0.35)
    assert c["detectable_difference"] == pytest.approx(2.486 * c["standard_error"], rel=1e-3)


def test_cluster_comparison_does_not_count_copies_as_evidence() -> None:
    # ten identical signals a day (overlapping signals share their outcome): the evidence is
    # that of one signal a day, whatever the z-test on all of them says
    rng = np.random.default_rng(4)
    days = 60
    passed_hits = (rng.random(days) < 0.6).astype(float)
    rejected_hits = (rng.random(days) < 0.45).astype(float)
    copies = 10
    values = np.concatenate([np.repeat(passed_hits, copies), np.repeat(rejected_hits, copies)])
    passed = np.r_[np.ones(days * copies, bool), np.zeros(days * copies, bool)]
    clusters = np.tile(np.repeat(np.arange(days), copies), 2)
    c = cluster_comparison(values, passed, clusters, resamples=4000)
    once = cluster_comparison(
        np.concatenate([passed_hits, rejected_hits]),
        np.r_[np.ones(days, bool), np.zeros(days, bool)],
        np.r_[np.arange(days), np.arange(days)],
        resamples=4000,
    )
    assert c is not None and once is not None
    naive = _z_test_p(np.repeat(passed_hits, copies), np.repeat(rejected_hits, copies))
    assert naive < 0.001 < once["p_value"]
    assert c["p_value"] == pytest.approx(once["p_value"], rel=0.3)
    assert c["standard_error"] == pytest.approx(once["standard_error"], rel=0.1)
    assert cluster_comparison(values, passed, clusters % 5) is None  # five clusters: too few
