"""The main strategy: patterns and forecasts fused by :class:`UnifiedSignalFusion`.

On its first decision a series fits, on the ``fit_bars`` closed bars before it (leaving out the
last ``fit_gap``, the purge and embargo of a walk-forward fold): the
regime detector, the pattern calibration (against the outcomes of the patterns whose expiry
lies inside those bars) and the forecaster (the bootstrap random walk, or the diffusion model).
Nothing is refitted later, so every later decision is out of sample. Then, on every closed bar:
the candlestick patterns of that bar (from the last ``window`` bars), the chart, harmonic and
wave patterns confirmed on it (a per-series :class:`IncrementalSwingScanner` fed every bar the
strategy has seen, so each bar costs the same), the bar's context (regime, higher timeframes,
volume, open positions, from the last ``window`` bars) and a forecast; the fusion gates and
ranks them, and the best selected signal becomes an intent with its stop and target, held at
most until the signal expires. Forecasts are seeded from the bar time, so a replay decides the same.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from pydantic import Field

from forex_diffusion.core.adaptation import TradingParameters
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.events import Forecast, PatternEvent
from forex_diffusion.core.types import Timeframe
from forex_diffusion.forecast.base import Predictor
from forex_diffusion.forecast.baselines import BootstrapEstimator
from forex_diffusion.inference.parallel_inference import ParallelInferenceEngine
from forex_diffusion.intelligence.market_context import ContextBuilder
from forex_diffusion.intelligence.pattern_fit import calibrate_patterns, pattern_events
from forex_diffusion.intelligence.regime import RegimeDetector
from forex_diffusion.intelligence.unified_signal_fusion import UnifiedSignalFusion
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.patterns.swing_patterns import IncrementalSwingScanner
from forex_diffusion.patterns.vectorized_detectors import EVENT_COLUMNS, events_from_frame
from forex_diffusion.trading.strategies.base import (
    STRATEGIES,
    BarView,
    Decision,
    Intent,
    Strategy,
    StrategyParams,
)

__all__ = ["RECENT_FAILURES", "FusionStrategy"]

RECENT_FAILURES = 100
"""Forecast failure reasons a strategy keeps (it counts all of them)."""

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Series:
    builder: ContextBuilder
    fusion: UnifiedSignalFusion
    predictor: Predictor | None
    scanner: IncrementalSwingScanner
    fed: pd.Timestamp | None = None
    """The last bar given to the scanner."""


@STRATEGIES.register("fused")
class FusionStrategy(Strategy):
    """Patterns and forecasts fused by ``UnifiedSignalFusion``: on each bar the best signal
    that passes the six-dimension quality gate is traded with its stop and target and held at
    most until it expires; the models are fitted once, on the bars before the first decision.

    See the module docstring for the details."""

    name = "fused"

    class Params(StrategyParams):
        forecaster: Literal["bootstrap", "diffusion", "none"] = Field(
            default="bootstrap",
            description="forecast source: the bootstrap random walk, the diffusion model "
            "(trained on the fit bars), or none (patterns alone)",
        )
        fit_bars: int = Field(
            default=1000,
            ge=900,
            description="bars before the first decision that the regime, the pattern "
            "calibration and the forecaster are fitted on",
        )
        window: int = Field(
            default=760, ge=730, description="bars each decision looks at (the regime needs 721)"
        )
        samples: int = Field(default=200, ge=10, description="sample paths per forecast")
        epochs: int = Field(
            default=10, ge=1, description="training epochs of the diffusion forecaster"
        )
        seed: int = Field(
            default=0, description="random seed of the forecasts and the diffusion training"
        )
        fit_gap: int = Field(
            default=0, ge=0, description="bars before the first decision left out of the fit"
        )
        forecast_timeout_s: float = Field(
            default=0.0,
            ge=0,
            description="cut a bar's forecast after this many seconds (0: no limit); the bar "
            "then trades on patterns alone",
        )

    params: Params

    def __init__(
        self,
        params: StrategyParams | dict[str, object] | None = None,
        *,
        signals: SignalsConfig | None = None,
    ) -> None:
        super().__init__(params, signals=signals)
        self._series: dict[tuple[str, str], _Series] = {}
        self._registry = PatternRegistry()
        self.trained_until: pd.Timestamp | None = None
        """The last bar any model of this strategy was fitted on (for leakage checks)."""
        self.forecast_failure_count = 0
        """Bars that had no forecast (a timeout, a crash), all of them."""
        self.forecast_failures: deque[str] = deque(maxlen=RECENT_FAILURES)
        """Why a bar had no forecast (a timeout, a crash), for the last
        :data:`RECENT_FAILURES` such bars."""
        self._inference: ParallelInferenceEngine | None = None

    @property
    def warmup(self) -> int:
        return self.params.fit_bars + self.params.fit_gap + 1

    def _fit(self, symbol: str, timeframe: str, candles: pd.DataFrame) -> _Series:
        p = self.params
        builder = ContextBuilder.from_config(
            self.gate, symbol=symbol, timeframe=timeframe, regime=RegimeDetector().fit(candles)
        )
        events, positions = pattern_events(candles)
        calibration = calibrate_patterns(
            candles,
            events,
            positions,
            context=builder.frame(candles),
            fit_end=len(candles),
            spread=builder.spread,
            bar=pd.Timedelta(Timeframe.parse(timeframe).delta),
        )
        predictor: Predictor | None = None
        if p.forecaster == "bootstrap":
            predictor = BootstrapEstimator(symbol=symbol, timeframe=timeframe).fit(candles)
        elif p.forecaster == "diffusion":
            from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

            config = DiffusionConfig(
                symbol=symbol, timeframe=timeframe, epochs=p.epochs, seed=p.seed
            )
            predictor = DiffusionEstimator(config).fit(candles)
        fusion = UnifiedSignalFusion.from_config(
            self.gate, scope=self.run_id, calibration=calibration
        )
        scanner = IncrementalSwingScanner(self._registry.swing_detectors())
        return _Series(builder, fusion, predictor, scanner)

    def _patterns(
        self, series: _Series, seen: pd.DataFrame, window: pd.DataFrame
    ) -> list[PatternEvent]:
        """Directional patterns confirmed on the last bar: candles from the window, swing
        patterns from the series' scanner (fed the bars it has not seen yet)."""
        now = [
            e
            for e in self._registry.detect_latest(window, kinds="candle")
            if e.direction != "neutral"
        ]
        new = seen if series.fed is None else seen[seen.index > series.fed]
        rows: list[dict[str, object]] = []
        columns = {c: new[c].to_numpy(float) for c in ("open", "high", "low", "close")}
        for i, when in enumerate(pd.DatetimeIndex(new.index)):
            rows = series.scanner.update(when, {c: float(v[i]) for c, v in columns.items()})
        series.fed = pd.Timestamp(seen.index[-1])
        swing = [r for r in rows if r["state"] == "confirmed"]
        frame = pd.DataFrame(swing, columns=[*EVENT_COLUMNS, "overlay"])
        return now + events_from_frame(frame)

    def forecasts_at(
        self, symbol: str, timeframe: str, candles: pd.DataFrame, origins: Sequence[int]
    ) -> list[Forecast]:
        """Forecasts of the series' fitted forecaster at bar positions of ``candles`` (each from
        the bars up to it); empty before the series is fitted or without a forecaster."""
        series = self._series.get((symbol, timeframe))
        if series is None or series.predictor is None or not origins:
            return []
        return series.predictor.predict_batch(
            candles, list(origins), num_samples=self.params.samples, seed=self.params.seed
        )

    def _bounded_forecast(
        self, predictor: Predictor, window: pd.DataFrame, seed: int
    ) -> list[Forecast]:
        """The forecast from the window's last bar in a worker process, cut at
        ``forecast_timeout_s`` (the worker is then replaced): none when it fails."""
        timeout = self.params.forecast_timeout_s
        if self._inference is None:
            self._inference = ParallelInferenceEngine(
                max_workers=1, per_model_timeout_s=timeout, global_timeout_s=2 * timeout
            )
        result = self._inference.run(
            [predictor], window, num_samples=self.params.samples, seed=seed
        )
        if result.forecast is None:
            status = result.statuses[0]
            reason = f"{window.index[-1]}: forecast {status.status} ({status.reason or '-'})"
            logger.warning("fused strategy: %s; trading on patterns alone", reason)
            self.forecast_failures.append(reason)
            self.forecast_failure_count += 1
            return []
        return [result.forecast]

    def signal_errors(self) -> dict[str, int]:
        """Per source, the candidates skipped because their source raised an expected error
        (every series summed), and ``forecaster``: bars whose forecast failed or timed out."""
        out: dict[str, int] = {}
        for series in self._series.values():
            for name, count in series.fusion.source_errors.items():
                out[name] = out.get(name, 0) + count
        if self.forecast_failure_count:
            out["forecaster"] = self.forecast_failure_count
        return out

    def close(self) -> None:
        """Stop the forecast worker process, if one was started."""
        if self._inference is not None:
            self._inference.close()
            self._inference = None

    def _adapted(
        self, view: BarView, regime: str | None, ts: pd.Timestamp
    ) -> TradingParameters | None:
        """The adapted parameters in force on this bar (``None``: the configured ones)."""
        if self.adaptations is None or not self.gate.use_optimized_parameters:
            return None
        found = self.adaptations.at(view.symbol, view.timeframe, regime=regime, ts=ts)
        if found is None:
            return None
        used = self.adaptations_used
        used[found.adaptation_id] = used.get(found.adaptation_id, 0) + 1
        return found.params

    def on_bar(self, view: BarView) -> Decision:
        key = (view.symbol, view.timeframe)
        series = self._series.get(key)
        if series is None:
            fit = view.candles.iloc[: len(view.candles) - 1 - self.params.fit_gap]
            fit = fit.iloc[-self.params.fit_bars :]
            series = self._series[key] = self._fit(view.symbol, view.timeframe, fit)
            fitted = pd.Timestamp(fit.index[-1])
            self.trained_until = max(fitted, self.trained_until or fitted)
        window = view.candles.iloc[-self.params.window :]
        last = len(window) - 1
        now = self._patterns(series, view.candles, window)
        forecasts: list[Forecast] = []
        if series.predictor is not None:
            seed = self.params.seed + int(window.index[-1].value // 10**9) % 2**31
            if self.params.forecast_timeout_s > 0:
                forecasts = self._bounded_forecast(series.predictor, window, seed)
            else:
                forecasts = series.predictor.predict_batch(
                    window, [last], num_samples=self.params.samples, seed=seed
                )
        side = {"long": 1, "short": -1}.get(view.side or "", 0)
        context = series.builder.latest(window, open_positions={view.symbol: side} if side else {})
        adapted = self._adapted(view, context.regime, pd.Timestamp(window.index[-1]))
        signals = series.fusion.fuse_signals(
            context,
            patterns=now,
            forecasts=forecasts,
            threshold=adapted.threshold if adapted else None,
        )
        scored = tuple((d.signal, d.score.passed) for d in series.fusion.last_decisions)
        for signal in signals:
            direction: Literal["long", "short"] = "long" if signal.direction == "bull" else "short"
            if direction == view.side:
                continue
            bars = max(1, round((signal.valid_until - signal.timestamp) / context.bar))
            stop, target = signal.stop_price, signal.target_price
            if adapted is not None:
                entry = signal.entry_price
                stop = entry + adapted.stop_multiple * (stop - entry)
                target = entry + adapted.target_multiple * (target - entry)
            intent = Intent(
                symbol=view.symbol,
                direction=direction,
                stop=stop,
                target=target,
                time_stop_bars=bars,
                source=signal.source,
                signal=signal,
                size_multiplier=adapted.size_multiplier if adapted else 1.0,
            )
            return Decision(intents=(intent,), scored=scored)
        return Decision(scored=scored)
