from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import DataError
from forex_diffusion.data import load_sample
from forex_diffusion.intelligence import (
    BarContext,
    Candidate,
    ContextBuilder,
    QualityDimensions,
    RegimeDetector,
    SignalQualityScorer,
    UnifiedSignalFusion,
)
from forex_diffusion.intelligence.evaluation.signal_study import run_signal_study
from forex_diffusion.intelligence.unified_signal_fusion import quality_dimensions
from forex_diffusion.storage import FusedSignalRepository, Store

T0 = pd.Timestamp("2017-03-01 10:00", tz="UTC")
HOUR = pd.Timedelta(hours=1)


def context(**over: object) -> BarContext:
    base: dict[str, object] = {
        "symbol": "EURUSD",
        "timeframe": "H1",
        "timestamp": T0,
        "close": 1.1,
        "atr": 0.001,
        "spread": 0.0001,
        "regime": "ranging",
        "regime_probs": {
            "ranging": 0.9,
            "trending_up": 0.05,
            "trending_down": 0.03,
            "volatile": 0.02,
        },
        "mtf_bull": 1.0,
        "volume_ratio": 1.6,
    }
    return BarContext(**{**base, **over})  # type: ignore[arg-type]


def cand(direction: str, strength: float, detail: str = "x", source: str = "pattern") -> Candidate:
    sign = 1 if direction == "bull" else -1
    return Candidate(
        source=source,
        detail=detail,
        direction=direction,  # type: ignore[arg-type]
        strength=strength,
        entry_price=1.1,
        target_price=1.1 + sign * 0.002,
        stop_price=1.1 - sign * 0.001,
        timestamp=T0,
        valid_until=T0 + 5 * HOUR,
    )


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_sources_reinforce_and_weaken_in_log_odds() -> None:
    fusion = UnifiedSignalFusion(agreement_weight=0.5)
    decisions = fusion.decide(
        context(), [cand("bull", 0.6, "a"), cand("bull", 0.7, "b"), cand("bear", 0.55, "c")]
    )
    z = logit(0.6) + 0.5 * logit(0.7) - 0.5 * logit(0.55)
    assert decisions[0].signal.strength == pytest.approx(1 / (1 + math.exp(-z)))
    assert decisions[0].signal.strength > 0.6  # reinforced more than weakened
    assert decisions[0].signal.metadata["reinforced_by"] == ["pattern:b"]
    assert decisions[0].signal.metadata["weakened_by"] == ["pattern:c"]
    zc = logit(0.55) - 0.5 * (logit(0.6) + logit(0.7))
    assert decisions[2].signal.strength == pytest.approx(1 / (1 + math.exp(-zc)))
    alone = fusion.decide(context(), [cand("bull", 0.6), cand("bear", 0.5)])
    assert alone[0].signal.strength == pytest.approx(0.6)  # a no-edge neighbour changes nothing


def test_gate_rank_and_regime_cap() -> None:
    fusion = UnifiedSignalFusion(max_per_regime=1, agreement_weight=0.0)
    chosen = fusion.fuse_signals(context(), patterns=())
    assert chosen == []
    decisions = fusion.decide(
        context(),
        [cand("bull", 0.9, "strong"), cand("bull", 0.8, "good"), cand("bear", 0.3, "weak")],
    )
    reasons = {d.signal.metadata["detail"]: d.reason for d in decisions}
    assert reasons == {"strong": "selected", "good": "cap", "weak": "gate"}
    composite = decisions[0].score.composite
    expected = 0.25 * 0.9 + 0.20 * 1.0 + 0.20 * 0.9 + 0.15 * 0.8 + 0.10 * 0.5 + 0.10 * 1.0
    assert composite == pytest.approx(expected)
    assert decisions[0].signal.quality["composite"] == pytest.approx(expected)
    assert decisions[0].signal.metadata["threshold"] == 0.65
    strict = UnifiedSignalFusion(scorer=SignalQualityScorer(threshold=0.99))
    assert all(not d.selected for d in strict.decide(context(), [cand("bull", 0.9)]))


@pytest.mark.parametrize(
    ("dimension", "low", "high"),
    [
        ("pattern_strength", {"strength": 0.3}, {"strength": 0.8}),
        ("mtf_agreement", {"mtf_bull": 0.0}, {"mtf_bull": 1.0}),
        (
            "regime_confidence",
            {"regime_probs": {"ranging": 0.4}},
            {"regime_probs": {"ranging": 0.9}},
        ),
        ("volume_confirmation", {"volume_ratio": 0.5}, {"volume_ratio": 1.8}),
        ("sentiment_alignment", {"long_share": 0.8}, {"long_share": 0.2}),
        (
            "correlation_safety",
            {"open_positions": {"GBPUSD": 1}, "correlations": {("EURUSD", "GBPUSD"): 0.8}},
            {"open_positions": {"GBPUSD": -1}, "correlations": {("EURUSD", "GBPUSD"): 0.8}},
        ),
    ],
)
def test_every_dimension_moves_with_its_input(
    dimension: str, low: dict[str, object], high: dict[str, object]
) -> None:
    def dims(over: dict[str, object]) -> QualityDimensions:
        rest = {k: v for k, v in over.items() if k != "strength"}
        return quality_dimensions("bull", float(over.get("strength", 0.6)), context(**rest))  # type: ignore[arg-type]

    a, b = dims(low).as_dict(), dims(high).as_dict()
    assert b[dimension] > a[dimension]
    assert {k for k in a if a[k] != b[k]} == {dimension}  # and only that one


def test_trend_regime_against_the_signal_lowers_its_confidence() -> None:
    up = context(regime="trending_up", regime_probs={"trending_up": 0.8})
    assert quality_dimensions("bull", 0.6, up).regime_confidence == pytest.approx(0.8)
    assert quality_dimensions("bear", 0.6, up).regime_confidence == pytest.approx(0.2)
    assert quality_dimensions("bear", 0.6, context(regime=None)).regime_confidence == 0.5


def test_a_source_with_a_bug_fails_the_call() -> None:
    fusion = UnifiedSignalFusion()

    def buggy(ctx: BarContext) -> list[Candidate]:
        return [{}["missing"]]

    fusion.register_source("buggy", buggy)
    with pytest.raises(KeyError, match="missing"):
        fusion.fuse_signals(context())


def test_signal_ids_derive_from_run_series_bar_source_and_key() -> None:
    def ids(scope: str) -> list[str]:
        fusion = UnifiedSignalFusion(scope=scope)
        fusion.register_source(
            "steady",
            lambda ctx: [cand("bull", 0.9, source="steady"), cand("bull", 0.8, source="steady")],
        )
        fusion.fuse_signals(context())
        return [d.signal.signal_id for d in fusion.last_decisions]

    first = ids("bt-1")
    assert first == ids("bt-1") and len(set(first)) == 2  # same key twice on a bar: distinct
    assert set(first).isdisjoint(ids("bt-2"))


def test_a_failing_source_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    fusion = UnifiedSignalFusion()

    def broken(ctx: BarContext) -> list[Candidate]:
        raise DataError("feed down")  # an expected failure: skipped and counted

    fusion.register_source("broken", broken)
    fusion.register_source("steady", lambda ctx: [cand("bull", 0.9, source="steady")])
    with caplog.at_level(logging.WARNING):
        chosen = fusion.fuse_signals(context())
    assert [s.source for s in chosen] == ["steady"]
    assert fusion.source_errors == {"broken": 1}
    stats = fusion.statistics()
    assert stats["source_errors"] == {"broken": 1} and stats["count"] == 1
    assert "signal source broken failed" in caplog.text
    with pytest.raises(ValueError, match="already registered"):
        fusion.register_source("steady", lambda ctx: [])
    nan_atr = context(atr=float("nan"))
    from forex_diffusion.core.events import PatternEvent

    event = PatternEvent(
        pattern_key="hammer",
        kind="candle",
        direction="bull",
        start_ts=T0,
        confirm_ts=T0,
        state="confirmed",
        score=0.6,
    )
    plain = UnifiedSignalFusion()
    assert plain.candidates(nan_atr, patterns=[event]) == []  # no ATR: no levels, skipped
    assert plain.source_errors == {}  # not a failure


def test_context_frame_passes_the_prefix_test() -> None:
    candles = load_sample().iloc[:2600]
    regime = RegimeDetector().fit(candles.iloc[:1500])
    builder = ContextBuilder(symbol="EURUSD", timeframe="H1", regime=regime)
    full = builder.frame(candles)
    assert full["regime"].iloc[-500:].ne("").all()
    for cut in (900, 1701, 2333):
        part = builder.frame(candles.iloc[: cut + 1])
        pd.testing.assert_frame_equal(
            part.iloc[[-1]], full.iloc[[cut]], check_exact=False, rtol=1e-12
        )


def test_pattern_detection_to_fusion_end_to_end(store: Store) -> None:
    candles = load_sample()
    study = run_signal_study(candles, symbol="EURUSD", timeframe="H1", fit_bars=3000)
    assert study.fit_end == candles.index[3000]
    with pytest.raises(DataError, match="at least 1000 fit bars and 100 test bars"):
        run_signal_study(candles.iloc[:1050], symbol="EURUSD", timeframe="H1")
    decisions = study.decisions
    assert len(decisions) > 500
    assert all(d.signal.timestamp >= study.fit_end for d in decisions)
    assert {d.signal.source for d in decisions} == {"pattern"}
    assert any(d.selected for d in decisions) and any(not d.score.passed for d in decisions)
    assert all(d.score.passed for d in decisions if d.selected)
    # the calibration was fitted on outcomes known before the test span
    assert study.calibration.books and 0.3 < study.calibration.pooled.prior < 0.7
    # a shorter history decides the same on the bars it has (prefix test of the whole flow)
    short = run_signal_study(candles.iloc[:3400], symbol="EURUSD", timeframe="H1", fit_bars=3000)
    last = candles.index[3399]
    same = [d for d in decisions if d.signal.timestamp <= last]
    assert [(d.signal.timestamp, d.signal.metadata["detail"], d.score.composite) for d in same] == [
        (d.signal.timestamp, d.signal.metadata["detail"], d.score.composite)
        for d in short.decisions
    ]
    # everything a decision used is persisted with it
    saved = FusedSignalRepository(store).save(
        ((d.signal, d.score.passed) for d in decisions[:50]), run_id=None
    )
    assert saved == 50
    back = FusedSignalRepository(store).load("EURUSD", "H1", run_id=None)
    first = decisions[0]
    row = back.iloc[0]
    assert row["signal_id"] == first.signal.signal_id
    assert row["composite"] == pytest.approx(first.score.composite)
    assert row["passed"] == first.score.passed
    assert row["metadata"]["threshold"] == 0.65
    assert row["metadata"]["detail"] == first.signal.metadata["detail"]
    assert np.isclose(row["regime_confidence"], first.score.dimensions.regime_confidence)
