"""The fused strategy's own bookkeeping over a long run."""

from __future__ import annotations

from typing import Any

import pytest

from forex_diffusion.inference.parallel_inference import InferenceResult, ModelStatus
from forex_diffusion.trading.strategies import fusion
from forex_diffusion.trading.strategies.fusion import FusionStrategy
from tests.trading.test_automated_trading_engine import frame


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
