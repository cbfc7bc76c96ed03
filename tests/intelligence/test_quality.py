from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import ConfigError
from forex_diffusion.core.events import FusedSignal
from forex_diffusion.intelligence import (
    DIMENSIONS,
    ConfidenceCalibrator,
    PatternCalibration,
    QualityDimensions,
    SignalQualityScorer,
)
from forex_diffusion.intelligence.signal_quality_scorer import volume_confirmation

BASE = {
    "pattern_strength": 0.8,
    "mtf_agreement": 0.7,
    "regime_confidence": 0.6,
    "volume_confirmation": 0.5,
    "sentiment_alignment": 0.5,
    "correlation_safety": 1.0,
}


def test_composite_by_hand_and_the_gate() -> None:
    scorer = SignalQualityScorer()
    result = scorer.score(QualityDimensions(**BASE))
    expected = 0.25 * 0.8 + 0.20 * 0.7 + 0.20 * 0.6 + 0.15 * 0.5 + 0.10 * 0.5 + 0.10 * 1.0
    assert result.composite == pytest.approx(expected)  # 0.685
    assert result.passed
    assert result.threshold == 0.65
    weak = scorer.score(QualityDimensions(**{**BASE, "pattern_strength": 0.5}))
    assert not weak.passed  # 0.61


@pytest.mark.parametrize("name", DIMENSIONS)
def test_every_dimension_moves_the_composite(name: str) -> None:
    scorer = SignalQualityScorer()
    low = scorer.score(QualityDimensions(**{**BASE, name: 0.1})).composite
    high = scorer.score(QualityDimensions(**{**BASE, name: 0.9})).composite
    assert high > low


def test_per_regime_weights_and_thresholds() -> None:
    scorer = SignalQualityScorer(
        regime_weights={"volatile": {"regime_confidence": 0.5}}, regime_thresholds={"volatile": 0.8}
    )
    dims = QualityDimensions(**BASE)
    calm, volatile = scorer.score(dims, regime="ranging"), scorer.score(dims, regime="volatile")
    assert calm.threshold == 0.65
    assert volatile.threshold == 0.8
    assert not volatile.passed
    assert volatile.composite != calm.composite


def test_statistics_and_bad_configuration() -> None:
    scorer = SignalQualityScorer()
    assert scorer.get_quality_statistics()["count"] == 0
    for strength in (0.2, 0.5, 0.9):
        scorer.score(QualityDimensions(**{**BASE, "pattern_strength": strength}))
    stats = scorer.get_quality_statistics()
    assert stats["count"] == 3
    assert stats["pass_rate"] == pytest.approx(1 / 3)
    dims = stats["dimensions"]
    assert isinstance(dims, dict)
    assert dims["pattern_strength"]["min"] == 0.2
    assert dims["mtf_agreement"]["std"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ConfigError, match="unknown quality dimension"):
        SignalQualityScorer(weights={"volume": 1.0})
    with pytest.raises(ConfigError, match="threshold must be in"):
        SignalQualityScorer(threshold=1.5)
    with pytest.raises(ConfigError, match="must be in \\[0, 1\\]"):
        QualityDimensions(**{**BASE, "mtf_agreement": 1.2})


def test_statistics_cover_every_score_in_constant_memory() -> None:
    scorer = SignalQualityScorer()
    rng = np.random.default_rng(3)
    table = rng.uniform(0, 1, (500, len(DIMENSIONS)))
    scores = [
        scorer.score(QualityDimensions(**dict(zip(DIMENSIONS, row, strict=True)))) for row in table
    ]
    stats = scorer.get_quality_statistics()  # running totals over all 500
    composite = np.array([s.composite for s in scores])
    assert stats["count"] == 500
    held = [v for v in vars(scorer).values() if isinstance(v, list | dict | tuple | set)]
    assert all(len(v) < 50 for v in held)  # nothing that grows with the scores (was a list)
    assert stats["pass_rate"] == pytest.approx(np.mean([s.passed for s in scores]), abs=0)
    assert stats["composite"] == pytest.approx({"mean": composite.mean(), "std": composite.std()})
    for i, name in enumerate(DIMENSIONS):
        column = table[:, i]
        expected = {"mean": column.mean(), "std": column.std(), "min": column.min()}
        assert stats["dimensions"][name] == pytest.approx(  # type: ignore[index]
            {**expected, "max": column.max()}, rel=1e-12
        )


def test_volume_confirmation_by_hand() -> None:
    assert volume_confirmation(200, 100) == 1.0
    assert volume_confirmation(100, 100) == 0.5
    assert volume_confirmation(50, 0) == 0.5


def test_confidence_calibrator() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 5000)
    outcomes = (rng.uniform(0, 1, 5000) < 0.3 + 0.4 * scores).astype(float)  # true rate
    cal = ConfidenceCalibrator(bins=5, min_samples=50, prior_strength=10).fit(scores, outcomes)
    np.testing.assert_allclose(cal.calibrate([0.1, 0.5, 0.9]), [0.34, 0.5, 0.66], atol=0.04)
    assert (np.diff(cal.reliability()) > 0).all()
    sparse = ConfidenceCalibrator(bins=10, min_samples=50).fit([0.95, 0.96], [1, 1])
    assert sparse.calibrate([0.95]).item() == 1.0  # the prior, since the bin is too small
    # shrinkage by hand: 3 hits of 4 in a bin, prior 0.5, strength 4 -> (3 + 2) / 8
    manual = ConfidenceCalibrator(bins=2, min_samples=1, prior_strength=4)
    manual.fit([0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1], [1, 1, 1, 0, 0, 1, 0, 0])
    assert manual.calibrate([0.9]).item() == pytest.approx((3 + 4 * 0.5) / 8)
    with pytest.raises(ConfigError, match="0 or 1"):
        ConfidenceCalibrator().fit([0.5], [2])


def test_fused_signal_contract() -> None:
    now = pd.Timestamp("2017-03-01 10:00", tz="UTC")
    ok = {
        "signal_id": "s1",
        "source": "pattern:hammer",
        "symbol": "EURUSD",
        "timeframe": "H1",
        "direction": "bull",
        "strength": 0.6,
        "quality": {"composite": 0.7},
        "regime": None,
        "entry_price": 1.10,
        "target_price": 1.11,
        "stop_price": 1.095,
        "timestamp": now,
        "valid_until": now + pd.Timedelta(hours=3),
    }
    signal = FusedSignal(**ok)  # type: ignore[arg-type]
    assert signal.direction == "bull"
    for bad in (
        {"target_price": 1.09},
        {"stop_price": 1.12},
        {"strength": 2.0},
        {"quality": {"composite": 1.3}},
        {"valid_until": now},
        {"direction": "neutral"},
    ):
        with pytest.raises(ValueError, match="FusedSignal"):
            FusedSignal(**{**ok, **bad})  # type: ignore[arg-type]


def test_pattern_calibration_shrinks_rare_keys_to_the_pooled_rate() -> None:
    # "common": 100 events, 70 hits; "rare": 4 events, 4 hits; one unknown outcome is ignored
    keys = ["common"] * 100 + ["rare"] * 4 + ["rare"]
    scores = [0.5] * 105
    outcomes = [1.0] * 70 + [0.0] * 30 + [1.0] * 4 + [np.nan]
    cal = PatternCalibration(bins=5, min_samples=20, prior_strength=20).fit(keys, scores, outcomes)
    pooled = 74 / 104
    assert cal.pooled.prior == pytest.approx(pooled)
    # common: its bin has 100 samples: (70 + 20 * prior_common) / 120, prior shrunk to pooled
    prior_common = (70 + 20 * pooled) / 120
    assert cal.calibrate("common", 0.5) == pytest.approx((70 + 20 * prior_common) / 120)
    # rare: too few samples for its bin, so its prior: 4 hits shrunk hard towards the pool
    assert cal.calibrate("rare", 0.5) == pytest.approx((4 + 20 * pooled) / 24)
    assert cal.calibrate("never_seen", 0.5) == pytest.approx(cal.pooled.calibrate([0.5])[0])
