"""The fused strategy's own bookkeeping over a long run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.data import load_sample
from forex_diffusion.inference.parallel_inference import InferenceResult, ModelStatus
from forex_diffusion.intelligence.market_context import BarContext, ContextBuilder
from forex_diffusion.intelligence.unified_signal_fusion import SignalDecision, UnifiedSignalFusion
from forex_diffusion.patterns.swing_patterns import IncrementalSwingScanner
from forex_diffusion.trading.plan_value import PlanValue
from forex_diffusion.trading.strategies import fusion
from forex_diffusion.trading.strategies.fusion import FusionStrategy
from tests.intelligence.test_unified_signal_fusion import HOUR, T0, cand, context
from tests.trading.test_automated_trading_engine import frame
from tests.trading.test_plan_value import brownian, forecast_of


class TimingOut:
    """An inference engine whose every forecast times out."""

    def run(self, models: list[Any], window: Any, **kw: Any) -> InferenceResult:
        status = ModelStatus("bootstrap", "bootstrap", "timeout", "cut at 0.5 s", None)
        return InferenceResult(None, [status], {})

    def close(self) -> None:
        pass


def test_only_the_last_forecast_failure_reasons_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fusion, "RECENT_FAILURES", 5)
    strategy = FusionStrategy({"forecast_timeout_s": 0.5})
    strategy._inference = TimingOut()  # type: ignore[assignment]
    candles = frame([1.1] * 30)
    for n in range(1, 31):  # a failed forecast on each of 30 bars: the last 5 reasons are kept
        assert strategy._bounded_forecast(None, candles.iloc[:n], seed=0) == []  # type: ignore[arg-type]
    assert list(strategy.forecast_failures) == [
        f"{ts}: forecast timeout (cut at 0.5 s)" for ts in candles.index[-5:]
    ]
    assert strategy.forecast_failure_count == 30
    assert strategy.signal_errors() == {"forecaster": 30}  # every one counted in the result
    strategy.close()


def _series_and_decisions(
    signals: SignalsConfig,
) -> tuple[fusion._Series, list[SignalDecision], BarContext]:
    """One bar with one bull candidate (entry 1.1, target +20 pips, stop -10 pips, 24 bars)
    that passes the gate."""
    ctx = context()
    builder = ContextBuilder.from_config(signals, symbol="EURUSD", timeframe="H1", regime=None)
    fused = UnifiedSignalFusion.from_config(signals, scope="t")
    series = fusion._Series(
        builder,
        fused,
        None,
        IncrementalSwingScanner([]),
        median_atr=0.001,
        bridge=1.0,
        meta=None,
        history=fusion._Labelled(),
        pending=fusion._Labelled(),
    )
    decisions = fused.decide(ctx, [cand("bull", 0.9)])
    assert [d.reason for d in decisions] == ["selected"]
    return series, decisions, ctx


def test_the_edge_decision_refuses_a_plan_whose_edge_does_not_cover_its_costs() -> None:
    # driftless paths: the plan's gross expectancy is 0 (optional stopping), net it is -costs
    signals = SignalsConfig(decision="edge", min_edge_r=0.0, meta_model="none", threshold=0.0)
    strategy = FusionStrategy({}, signals=signals)
    series, decisions, ctx = _series_and_decisions(signals)
    paths = 1.1 + brownian(4000, fusion.PATH_BARS, 0.0004, seed=2)
    forecast = forecast_of(paths, tuple(range(1, fusion.PATH_BARS + 1)), ctx.timestamp)
    choices = strategy._value(series, decisions, forecast, ctx, None)
    assert choices[0].value is not None
    assert choices[0].value.gross_r == pytest.approx(0.0, abs=0.06)
    assert choices[0].value.cost_r > 0.05  # the spread, slippage and commission of 10 pips risk
    assert choices[0].edge == pytest.approx(choices[0].value.expected_r)
    assert choices[0].edge < 0
    assert strategy._choose(choices) == []
    stored = strategy._stored(choices[0], traded=False)
    assert stored.metadata["reason"] == "edge"
    assert stored.metadata["edge_detail"].startswith("edge -")
    assert stored.metadata["forecast_expectancy"] == choices[0].value.expected_r
    # the same plan on paths that drift towards its target clears the edge and is traded
    drifted = forecast_of(
        paths + 0.0001 * np.arange(1, fusion.PATH_BARS + 1),
        tuple(range(1, fusion.PATH_BARS + 1)),
        ctx.timestamp,
    )
    good = strategy._value(series, decisions, drifted, ctx, None)
    assert good[0].edge is not None and good[0].edge > 0.3
    assert strategy._choose(good) == good
    # the gate alone trades the first plan anyway: that is what the edge adds
    gate = FusionStrategy({}, signals=signals.model_copy(update={"decision": "gate"}))
    assert gate._choose(gate._value(series, decisions, forecast, ctx, None)) != []


def test_without_a_skilful_meta_model_the_edge_decision_waits() -> None:
    signals = SignalsConfig(decision="edge", min_edge_r=0.0, threshold=0.0)  # logistic
    strategy = FusionStrategy({}, signals=signals)
    series, decisions, ctx = _series_and_decisions(signals)
    paths = 1.1 + brownian(2000, fusion.PATH_BARS, 0.0004, seed=2)
    drifted = forecast_of(
        paths + 0.0001 * np.arange(1, fusion.PATH_BARS + 1),
        tuple(range(1, fusion.PATH_BARS + 1)),
        ctx.timestamp,
    )
    choices = strategy._value(series, decisions, drifted, ctx, None)
    assert choices[0].edge is not None and choices[0].edge > 0.3 and not choices[0].calibrated
    assert strategy._choose(choices) == []
    assert strategy._stored(choices[0], traded=False).metadata["edge_detail"] == (
        "no skilful meta-model yet"
    )


def test_a_long_stretch_without_an_edge_is_reported() -> None:
    strategy = FusionStrategy({}, signals=SignalsConfig(no_edge_bars=3, min_edge_r=0.0))
    for k in range(5):
        strategy._tally([], T0 + k * HOUR)
    summary = strategy.decision_summary()
    assert summary["longest_no_edge_bars"] == 5 and summary["bars_with_edge"] == 0
    assert summary["notice"] == (
        "no candidate cleared the edge (min_edge_r +0.00 R) in 5 bars "
        "(2017-03-01 10:00 to 2017-03-01 14:00)"
    )


def test_a_diffusion_checkpoint_is_used_only_when_fitted_before_the_fit_bars_end(
    tmp_path: Path,
) -> None:
    from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

    candles = load_sample().iloc[:1400]
    tiny = DiffusionConfig(
        context=16, hidden=16, layers=1, context_dim=8, epochs=1, sampling_steps=2
    )
    early = tmp_path / "early.pt"
    DiffusionEstimator(tiny).fit(candles.iloc[:600]).save(early)
    late = tmp_path / "late.pt"
    DiffusionEstimator(tiny).fit(candles.iloc[:1300]).save(late)
    fit = candles.iloc[200:1200]
    strategy = FusionStrategy({"forecaster": "diffusion", "checkpoint": str(early)})
    series = strategy._fit("EURUSD", "H1", fit)
    assert series.predictor is not None
    assert series.predictor.horizons == tuple(range(1, fusion.PATH_BARS + 1))
    [forecast] = series.predictor.predict_batch(fit, [len(fit) - 1], num_samples=8, seed=0)
    assert forecast.samples is not None and forecast.samples.shape == (8, fusion.PATH_BARS)
    refused = FusionStrategy({"forecaster": "diffusion", "checkpoint": str(late)})
    with pytest.raises(ConfigError, match="after the bars before the first decision"):
        refused._fit("EURUSD", "H1", fit)


def _history(n: int, *, realized: str, seed: int = 0) -> fusion._Labelled:
    """``n`` labelled candidates past the gate whose P(target first) rises with the composite
    (a learnable signal); each plan pays +2 R at its target and -1 R at its stop. ``realized``:
    ``"plan"`` (the trade made what the plan pays) or ``"costs"`` (every trade lost 0.3 R)."""
    from tests.intelligence.test_meta_model import synthetic

    rows, _, start = synthetic(n, seed=seed)
    p = 1 / (1 + np.exp(-8 * (rows["composite"].to_numpy() - 0.5)))
    label = (np.random.default_rng(seed + 1).uniform(size=n) < p).astype(float)
    value = PlanValue(0.3, 0.7, 0.0, 0.0, 0.0, 0.05, 2.0, -1.0, 0.0, 24)
    h = fusion._Labelled()
    for k in range(n):
        row = rows.iloc[k].to_dict()
        h.add(row, start[k], start[k] + 24 * HOUR, ("bull", 1.1, 1.102, 1.099), value, True)
        h.label.append(float(label[k]))
        h.realized.append((2.0 if label[k] else -1.0) if realized == "plan" else -0.3)
    return h


@pytest.mark.parametrize(("realized", "used"), [("plan", True), ("costs", False)])
def test_a_meta_model_is_used_only_when_its_out_of_fold_selections_made_money(
    realized: str, used: bool
) -> None:
    signals = SignalsConfig(decision="edge", min_edge_r=0.2, threshold=0.0)
    strategy = FusionStrategy({}, signals=signals)
    series, _, _ = _series_and_decisions(signals)
    series.history = _history(1200, realized=realized)
    strategy._refit(series)
    fit = strategy.meta_fits[-1]
    assert fit["brier"] < fit["brier_base"]  # skilful either way
    # out of fold, the candidates with a high calibrated p_win cleared the edge
    assert fit["oof_selected"] >= fusion.MIN_CHECKED
    assert (fit["oof_selected_r"] > 0) is used
    assert fit["used"] is used and (series.meta is not None) is used


def test_a_meta_model_with_no_out_of_fold_selection_is_not_used_and_stores_none() -> None:
    signals = SignalsConfig(decision="edge", min_edge_r=50.0, threshold=0.0)  # nothing clears
    strategy = FusionStrategy({}, signals=signals)
    series, _, _ = _series_and_decisions(signals)
    series.history = _history(600, realized="plan")
    strategy._refit(series)
    fit = strategy.meta_fits[-1]
    assert fit["oof_selected"] == 0 and fit["oof_selected_r"] is None  # JSON-safe, not NaN
    assert fit["used"] is False and series.meta is None
