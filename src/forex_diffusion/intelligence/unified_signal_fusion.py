"""``UnifiedSignalFusion``: pattern events, forecasts and any registered source become scored,
gated, ranked signals.

On one bar's close, for one symbol:

1. every source proposes :class:`~forex_diffusion.intelligence.candidates.Candidate` s (patterns
   with their calibrated score, forecasts from their quantiles, registered sources from the
   :class:`BarContext`); a source that raises an expected error (a ``ForexDiffusionError``) is
   logged, counted and skipped, anything else (a bug) propagates and fails the run;
2. sources reinforce or weaken each other: a candidate's strength is combined in log-odds with
   every other candidate, ``logit(s) + w * sum(logit(s_agree)) - w * sum(logit(s_oppose))``
   (``w`` = ``agreement_weight``, 0.5: sources are not independent), so a 0.5 (no edge)
   neighbour changes nothing;
3. the six quality dimensions are computed (the fused strength is ``pattern_strength``) and
   scored by the :class:`SignalQualityScorer` against its (per-regime) threshold;
4. passing candidates are ranked by composite and at most ``max_per_regime`` are selected.

Every candidate becomes a :class:`SignalDecision` (selected or not, with the reason), so the
rejected ones can be stored and compared with the selected ones out of sample.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ForexDiffusionError
from forex_diffusion.core.events import Forecast, FusedSignal, PatternEvent
from forex_diffusion.intelligence.candidates import (
    Candidate,
    signal_from_forecast,
    signal_from_pattern,
)
from forex_diffusion.intelligence.confidence_calibrator import PatternCalibration
from forex_diffusion.intelligence.correlation import correlation_safety
from forex_diffusion.intelligence.market_context import BarContext
from forex_diffusion.intelligence.multi_timeframe import mtf_agreement
from forex_diffusion.intelligence.sentiment import sentiment_alignment
from forex_diffusion.intelligence.signal_quality_scorer import (
    QualityDimensions,
    QualityScore,
    SignalQualityScorer,
    volume_confirmation,
)
from forex_diffusion.patterns.candle_catalogue import CANDLES

__all__ = [
    "FusedSignal",
    "SignalDecision",
    "SignalSource",
    "UnifiedSignalFusion",
    "quality_dimensions",
    "regime_confidence",
]

logger = logging.getLogger(__name__)

SignalSource = Callable[[BarContext], Iterable[Candidate]]
"""A registered source: proposes candidates from the bar's context."""

_FAMILY = {info.key: info.family for info in CANDLES}


@dataclass(frozen=True, slots=True)
class SignalDecision:
    """One candidate after the gate: the signal, its score, and whether it was selected
    (``reason``: ``selected``, ``gate``: below the threshold, or ``cap``: passed, but past the
    per-regime cap)."""

    signal: FusedSignal
    score: QualityScore
    selected: bool
    reason: str


def regime_confidence(direction: str, context: BarContext) -> float:
    """The probability of the current regime, read against the signal: a trend regime that
    opposes the signal gives one minus its probability; no regime gives 0.5."""
    if context.regime is None:
        return 0.5
    p = float(context.regime_probs.get(context.regime, 0.5))
    opposed = (context.regime, direction) in {("trending_up", "bear"), ("trending_down", "bull")}
    return float(np.clip(1.0 - p if opposed else p, 0.0, 1.0))


def quality_dimensions(direction: str, strength: float, context: BarContext) -> QualityDimensions:
    """The six dimensions of a candidate with fused ``strength`` on ``context``'s bar."""
    return QualityDimensions(
        pattern_strength=float(np.clip(strength, 0.0, 1.0)),
        mtf_agreement=mtf_agreement(context.mtf_bull, direction),
        regime_confidence=regime_confidence(direction, context),
        volume_confirmation=volume_confirmation(context.volume_ratio, 1.0),
        sentiment_alignment=sentiment_alignment(direction, context.long_share),
        correlation_safety=correlation_safety(
            direction, context.symbol, context.open_positions, context.correlations
        ),
    )


def _logit(p: float) -> float:
    q = min(max(p, 1e-4), 1.0 - 1e-4)
    return math.log(q / (1.0 - q))


def _label(c: Candidate) -> str:
    return f"{c.source}:{c.detail}"


class UnifiedSignalFusion:
    """Fuses every source's candidates into gated, ranked signals.

    Parameters
    ----------
    scorer
        The quality gate (default: default weights and threshold).
    calibration
        Per-pattern calibration of raw pattern scores against their outcomes on this symbol and
        timeframe; ``None``: the raw score is used as the strength.
    max_per_regime
        Most signals selected per regime and call.
    forecast_horizon
        Horizon (bars) a forecast signals on; ``None``: its longest.
    agreement_weight
        Weight of other sources' log-odds when they agree or oppose.
    scope
        The run the signals belong to: part of every signal id, which is derived from the run,
        series, bar, source and key (the same run twice makes the same ids).
    """

    def __init__(
        self,
        *,
        scorer: SignalQualityScorer | None = None,
        calibration: PatternCalibration | None = None,
        max_per_regime: int = 3,
        forecast_horizon: int | None = None,
        agreement_weight: float = 0.5,
        scope: str = "",
    ) -> None:
        self.scorer = scorer or SignalQualityScorer()
        self.calibration = calibration
        self.max_per_regime = max_per_regime
        self.forecast_horizon = forecast_horizon
        self.agreement_weight = agreement_weight
        self.scope = scope
        self.sources: dict[str, SignalSource] = {}
        self.source_errors: dict[str, int] = {}
        self.last_decisions: list[SignalDecision] = []

    @classmethod
    def from_config(
        cls,
        config: SignalsConfig,
        *,
        scope: str = "",
        calibration: PatternCalibration | None = None,
    ) -> UnifiedSignalFusion:
        """The fusion and gate ``[signals]`` configures: the one constructor every consumer
        uses."""
        return cls(
            scorer=SignalQualityScorer.from_config(config),
            calibration=calibration,
            max_per_regime=config.max_per_regime,
            forecast_horizon=config.forecast_horizon,
            agreement_weight=config.agreement_weight,
            scope=scope,
        )

    def register_source(self, name: str, source: SignalSource) -> None:
        """Add a source of candidates (called with each bar's context)."""
        if name in ("pattern", "forecast") or name in self.sources:
            raise ValueError(f"signal source {name!r} is already registered")
        self.sources[name] = source

    def _failed(self, name: str, exc: Exception) -> None:
        self.source_errors[name] = self.source_errors.get(name, 0) + 1
        logger.warning("signal source %s failed and was skipped: %s", name, exc, exc_info=exc)

    def candidates(
        self,
        context: BarContext,
        *,
        patterns: Iterable[PatternEvent] = (),
        forecasts: Iterable[Forecast] = (),
    ) -> list[Candidate]:
        """Every source's candidates for this bar."""
        out: list[Candidate] = []
        if not math.isfinite(context.atr):  # no ATR yet: no pattern levels to trade
            patterns = ()
        for event in patterns:
            try:
                raw = event.score
                strength = (
                    raw
                    if self.calibration is None
                    else self.calibration.calibrate(event.pattern_key, raw)
                )
                found = signal_from_pattern(
                    event,
                    entry_price=context.close,
                    atr=context.atr,
                    bar=context.bar,
                    strength=strength,
                    family=_FAMILY.get(event.pattern_key),
                )
            except ForexDiffusionError as exc:  # an expected failure: skipped and counted
                self._failed("pattern", exc)
                continue
            if found is not None:
                out.append(found)
        for forecast in forecasts:
            try:
                made = signal_from_forecast(
                    forecast, bar=context.bar, spread=context.spread, horizon=self.forecast_horizon
                )
            except ForexDiffusionError as exc:
                self._failed("forecast", exc)
                continue
            if made is not None:
                out.append(made)
        for name, source in self.sources.items():
            try:
                out.extend(source(context))
            except ForexDiffusionError as exc:
                self._failed(name, exc)
        return out

    def _signal_id(
        self, context: BarContext, c: Candidate, seen: dict[tuple[str, str], int]
    ) -> str:
        """A deterministic id: the run (:attr:`scope`), series, bar, source and key, and the
        candidate's number among those of the same source and key on this bar."""
        key = (c.source, c.detail)
        n = seen[key] = seen.get(key, -1) + 1
        text = "|".join(
            (
                self.scope,
                context.symbol,
                context.timeframe,
                str(pd.Timestamp(c.timestamp).value),
                c.source,
                c.detail,
                str(n),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _fused_strength(
        self, c: Candidate, others: list[Candidate]
    ) -> tuple[float, dict[str, Any]]:
        agree = [o for o in others if o.direction == c.direction]
        oppose = [o for o in others if o.direction != c.direction]
        w = self.agreement_weight
        z = _logit(c.strength)
        z += w * sum(_logit(o.strength) for o in agree) - w * sum(
            _logit(o.strength) for o in oppose
        )
        info = {
            "raw_strength": c.strength,
            "reinforced_by": [_label(o) for o in agree],
            "weakened_by": [_label(o) for o in oppose],
        }
        return 1.0 / (1.0 + math.exp(-z)), info

    def decide(
        self,
        context: BarContext,
        candidates: list[Candidate],
        *,
        threshold: float | None = None,
    ) -> list[SignalDecision]:
        """Fuse, score, gate and rank ``candidates`` (all from ``context``'s bar);
        ``threshold``: an adapted gate threshold for this bar (see
        :meth:`SignalQualityScorer.score`)."""
        scored: list[tuple[Candidate, float, dict[str, Any], QualityScore]] = []
        for i, c in enumerate(candidates):
            strength, info = self._fused_strength(c, candidates[:i] + candidates[i + 1 :])
            dims = quality_dimensions(c.direction, strength, context)
            scored.append(
                (
                    c,
                    strength,
                    info,
                    self.scorer.score(dims, regime=context.regime, threshold=threshold),
                )
            )
        passed = sorted(
            (k for k, item in enumerate(scored) if item[3].passed),
            key=lambda k: -scored[k][3].composite,
        )
        selected = set(passed[: self.max_per_regime])
        decisions = []
        seen: dict[tuple[str, str], int] = {}
        for k, (c, strength, info, score) in enumerate(scored):
            reason = "selected" if k in selected else "cap" if score.passed else "gate"
            signal = FusedSignal(
                signal_id=self._signal_id(context, c, seen),
                source=c.source,
                symbol=context.symbol,
                timeframe=context.timeframe,
                direction=c.direction,
                strength=float(strength),
                quality={**score.dimensions.as_dict(), "composite": score.composite},
                regime=context.regime,
                entry_price=c.entry_price,
                target_price=c.target_price,
                stop_price=c.stop_price,
                timestamp=c.timestamp,
                valid_until=c.valid_until,
                metadata={
                    **dict(c.metadata),
                    **info,
                    "detail": c.detail,
                    "threshold": score.threshold,
                    "passed": score.passed,
                    "selected": k in selected,
                    "reason": reason,
                },
            )
            decisions.append(SignalDecision(signal, score, k in selected, reason))
        return decisions

    def fuse_signals(
        self,
        context: BarContext,
        *,
        patterns: Iterable[PatternEvent] = (),
        forecasts: Iterable[Forecast] = (),
        threshold: float | None = None,
    ) -> list[FusedSignal]:
        """The selected signals of this bar, best composite first (all decisions, rejected
        ones included, are kept in :attr:`last_decisions`); ``threshold``: an adapted gate
        threshold for this bar."""
        self.last_decisions = self.decide(
            context,
            self.candidates(context, patterns=patterns, forecasts=forecasts),
            threshold=threshold,
        )
        chosen = [d for d in self.last_decisions if d.selected]
        chosen.sort(key=lambda d: -d.score.composite)
        return [d.signal for d in chosen]

    def statistics(self) -> Mapping[str, Any]:
        """The scorer's statistics plus the count of source failures."""
        return {**self.scorer.get_quality_statistics(), "source_errors": dict(self.source_errors)}
