"""The main strategy: patterns and forecasts fused by :class:`UnifiedSignalFusion`, and the
decision to trade a candidate only where its expected result after costs is worth it.

On its first decision a series fits, on the ``fit_bars`` closed bars before it (leaving out the
last ``fit_gap``, the purge and embargo of a walk-forward fold): the
regime detector, the pattern calibration (against the outcomes of the patterns whose expiry
lies inside those bars) and the forecaster (by default the diffusion model: a ``checkpoint``
fitted before those bars end, which the services pick from the registered ones, else one
trained on them; or the bootstrap random walk), recalibrated online
by adaptive conformal inference (``aci``,
:class:`~forex_diffusion.forecast.conformal.AdaptiveConformal`). Then, on every closed bar:
the candlestick patterns of that bar (from the last ``window`` bars), the chart, harmonic and
wave patterns confirmed on it (a per-series :class:`IncrementalSwingScanner` fed every bar the
strategy has seen, so each bar costs the same), the bar's context (regime, higher timeframes,
volume, open positions, from the last ``window`` bars) and a forecast with a sample path for
every bar of the next :data:`PATH_BARS`; the fusion scores, gates and ranks the candidates.

Every candidate's plan (entry, stop, target, expiry capped at :data:`PATH_BARS`) is valued by
the other half of the bar's sample paths (the first half places the forecast candidate: paths
that placed it would also favour it, the winner's curse) net of the broker's costs
(:func:`~forex_diffusion.trading.plan_value.value_plan`): ``forecast_expectancy``,
``p_target``, ``p_stop``, ``p_expiry``. The meta-model
turns the candidate into a calibrated ``p_win`` (the paths' ``p_target`` where there is no
model), and ``edge_r = p_win x target_r + (1 - p_win) x`` (the stop and expiry results, in the
paths' proportions) is the expected R after costs. ``[signals] decision`` says what is traded:
``edge`` (default) the gate's selected candidates whose ``edge_r`` exceeds ``min_edge_r``, the
best edge first; ``gate`` the gate's selection as ranked by the composite; ``all`` every
candidate. Each candidate keeps its reason (``selected``, ``gate``, ``cap``, ``edge``; the
engine adds ``risk``).

The meta-model (:mod:`forex_diffusion.intelligence.meta_model`) learns only from the run's
own candidates, whose features come from models fitted before the run (candidates of the fit
bars would carry those models' in-sample fit): every ``meta_refit_bars`` bars it is refitted on
the candidates whose last bar has closed (their labels are known then, so every later decision
is out of sample). It is used only while its out-of-fold Brier score beats the base rate's;
without such a model ``p_win`` is the paths' ``p_target``, stored, but not enough to trade on
in the ``edge`` decision (the paths alone are not calibrated; ``meta_model = "none"`` trades
on them). Forecasts are seeded from the bar time, so a replay decides the same.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from forex_diffusion.core.adaptation import TradingParameters
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Forecast, FusedSignal, PatternEvent
from forex_diffusion.core.trading_config import BrokerConfig
from forex_diffusion.core.types import Timeframe
from forex_diffusion.forecast.base import Predictor
from forex_diffusion.forecast.baselines import BootstrapEstimator
from forex_diffusion.forecast.conformal import AdaptiveConformal, halves
from forex_diffusion.inference.parallel_inference import ParallelInferenceEngine
from forex_diffusion.intelligence.market_context import BarContext, ContextBuilder
from forex_diffusion.intelligence.meta_model import MetaModel, candidate_features
from forex_diffusion.intelligence.outcomes import signal_outcomes
from forex_diffusion.intelligence.pattern_fit import calibrate_patterns, pattern_events
from forex_diffusion.intelligence.regime import RegimeDetector
from forex_diffusion.intelligence.unified_signal_fusion import (
    SignalDecision,
    UnifiedSignalFusion,
)
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.patterns.swing_patterns import IncrementalSwingScanner
from forex_diffusion.patterns.vectorized_detectors import EVENT_COLUMNS, events_from_frame
from forex_diffusion.trading.costs import CostModel
from forex_diffusion.trading.plan_value import (
    Plan,
    PlanValue,
    bar_costs,
    intrabar_scale,
    value_plan,
)
from forex_diffusion.trading.strategies.base import (
    STRATEGIES,
    BarView,
    Decision,
    Intent,
    Strategy,
    StrategyParams,
)

if TYPE_CHECKING:
    from forex_diffusion.forecast.diffusion import DiffusionPredictor

__all__ = ["PATH_BARS", "RECENT_FAILURES", "FusionStrategy"]

PATH_BARS = 24
"""Bars ahead the forecasts sample a path for (every bar up to it): plans are valued, and in
the ``edge`` decision held, at most this long."""

META_ROWS = 5_000
"""Labelled candidates the meta-model keeps (the newest; about 2 KB each, so a long run's
memory stays bounded)."""

META_MODELS = 10
"""Fitted meta-models a strategy keeps (the newest)."""

EMBARGO_BARS = 12
"""Bars after a meta-model test fold that no training row may start in."""

MIN_CHECKED = 20
"""Out-of-fold selections the check of a meta-model needs: it is used only when at least this
many labelled candidates past the gate would have cleared the edge out of fold and their mean
realized R after costs is positive."""

RECENT_FAILURES = 100
"""Forecast failure reasons a strategy keeps (it counts all of them)."""

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Labelled:
    """Candidates with their meta-model features and plans, waiting for (or with) labels."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    start: list[pd.Timestamp] = field(default_factory=list)
    end: list[pd.Timestamp] = field(default_factory=list)
    plans: list[tuple[str, float, float, float]] = field(default_factory=list)
    """Direction (bull or bear), entry, target, stop."""
    values: list[PlanValue] = field(default_factory=list)
    """What the paths said each plan was worth (its results in R after costs)."""
    eligible: list[bool] = field(default_factory=list)
    """Whether the gate selected the candidate (the edge decision may trade only those)."""
    label: list[float] = field(default_factory=list)
    realized: list[float] = field(default_factory=list)
    """The R after costs a trade on the plan made (labelled rows)."""

    def add(
        self,
        row: dict[str, Any],
        start: pd.Timestamp,
        end: pd.Timestamp,
        plan: tuple[str, float, float, float],
        value: PlanValue,
        eligible: bool,
    ) -> None:
        self.rows.append(row)
        self.start.append(start)
        self.end.append(end)
        self.plans.append(plan)
        self.values.append(value)
        self.eligible.append(eligible)

    def keep_last(self, n: int) -> None:
        """Forget all but the newest ``n`` rows (a long run's memory stays bounded)."""
        if len(self.rows) > n:
            for name in (
                "rows",
                "start",
                "end",
                "plans",
                "values",
                "eligible",
                "label",
                "realized",
            ):
                values = getattr(self, name)
                del values[: len(values) - n]


@dataclass(slots=True)
class _Choice:
    """A scored candidate with the plan the strategy would trade and what it is worth."""

    decision: SignalDecision
    stop: float
    target: float
    bars: int
    value: PlanValue | None
    row: dict[str, Any]
    reason: str
    p_win: float | None = None
    edge: float | None = None
    calibrated: bool = False
    """Whether ``p_win`` comes from a skilful meta-model (else: the paths)."""


@dataclass(slots=True)
class _Series:
    builder: ContextBuilder
    fusion: UnifiedSignalFusion
    predictor: Predictor | None
    scanner: IncrementalSwingScanner
    median_atr: float
    bridge: float
    """:func:`intrabar_scale` of the fit bars."""
    meta: MetaModel | None
    history: _Labelled
    """Labelled candidates the meta-model is fitted on (the fit bars', then the run's)."""
    pending: _Labelled
    """The run's candidates whose expiry has not passed yet."""
    fed: pd.Timestamp | None = None
    """The last bar given to the scanner."""
    since_refit: int = 0


@STRATEGIES.register("fused")
class FusionStrategy(Strategy):
    """Patterns and forecasts fused by ``UnifiedSignalFusion``: on each bar the best signal
    that passes the six-dimension quality gate is traded with its stop and target and held at
    most until it expires; the models are fitted once, on the bars before the first decision.

    See the module docstring for the details."""

    name = "fused"

    class Params(StrategyParams):
        forecaster: Literal["bootstrap", "diffusion", "none"] = Field(
            default="diffusion",
            description="forecast source: the diffusion model (the checkpoint, else trained on "
            "the fit bars), the bootstrap random walk, or none (patterns alone)",
        )
        checkpoint: str | None = Field(
            default=None,
            description="a diffusion checkpoint to forecast with instead of training one on "
            "the fit bars; it must have been fitted on bars before the first decision "
            "(forecaster = diffusion)",
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
        samples: int = Field(
            default=200,
            ge=10,
            description="sample paths per forecast (half place the forecast's candidate, half "
            "value every plan)",
        )
        epochs: int = Field(
            default=10, ge=1, description="training epochs of the diffusion forecaster"
        )
        seed: int = Field(
            default=0, description="random seed of the forecasts and the diffusion training"
        )
        fit_gap: int = Field(
            default=0, ge=0, description="bars before the first decision left out of the fit"
        )
        aci: bool = Field(
            default=True,
            description="recalibrate the forecasts online by adaptive conformal inference "
            "(80 % intervals kept at 80 % coverage from the realized closes)",
        )
        meta_refit_bars: int = Field(
            default=250,
            ge=0,
            description="refit the meta-model every this many bars on the candidates whose "
            "outcome is known by then (0: only on the fit bars)",
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
        self.decision_bars = 0
        self.bars_with_edge = 0
        self.reasons: Counter[str] = Counter()
        """Candidates per reason (``selected``, ``gate``, ``cap``, ``edge``)."""
        self.longest_dry = 0
        self.longest_dry_span: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self._dry = 0
        self._dry_from: pd.Timestamp | None = None
        self.meta_fits: deque[dict[str, Any]] = deque(maxlen=RECENT_FAILURES)
        """The summaries of the last meta-model fits (folds, Brier, log loss, reliability)."""
        self.meta_models: deque[MetaModel] = deque(maxlen=META_MODELS)
        """The last fitted meta-models (the run saves and registers them)."""
        self.meta_skipped = 0
        self.meta_fit_count = 0
        self.forecaster_used: str | None = None
        """What forecast the decisions (``bootstrap``, ``none``, the diffusion checkpoint or
        the bars it was trained on), once fitted."""

    @property
    def warmup(self) -> int:
        return self.params.fit_bars + self.params.fit_gap + 1

    def _fit(self, symbol: str, timeframe: str, candles: pd.DataFrame) -> _Series:
        p = self.params
        builder = ContextBuilder.from_config(
            self.gate, symbol=symbol, timeframe=timeframe, regime=RegimeDetector().fit(candles)
        )
        events, positions = pattern_events(candles)
        context = builder.frame(candles)
        calibration = calibrate_patterns(
            candles,
            events,
            positions,
            context=context,
            fit_end=len(candles),
            spread=builder.spread,
            bar=pd.Timedelta(Timeframe.parse(timeframe).delta),
        )
        predictor: Predictor | None = None
        horizons = tuple(range(1, PATH_BARS + 1))
        used: str = p.forecaster
        if p.forecaster == "bootstrap":
            predictor = BootstrapEstimator(
                symbol=symbol, timeframe=timeframe, horizons=horizons
            ).fit(candles)
        elif p.forecaster == "diffusion" and p.checkpoint:
            loaded = _checkpoint(p.checkpoint, fit_end=pd.Timestamp(candles.index[-1]))
            predictor = loaded.at_horizons(horizons)
            used = (
                f"diffusion checkpoint {loaded.model_id} (fitted up to {loaded.meta['data_end']})"
            )
        elif p.forecaster == "diffusion":
            from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

            config = DiffusionConfig(
                symbol=symbol, timeframe=timeframe, epochs=p.epochs, seed=p.seed, horizons=horizons
            )
            predictor = DiffusionEstimator(config).fit(candles)
            used = (
                f"diffusion trained on the {len(candles):,} fit bars "
                f"({candles.index[0]:%Y-%m-%d %H:%M} to {candles.index[-1]:%Y-%m-%d %H:%M}, "
                f"{p.epochs} epochs)"
            )
        if predictor is not None and p.aci:
            predictor = AdaptiveConformal(predictor)
            used += ", recalibrated online (adaptive conformal)"
        self.forecaster_used = used
        fusion = UnifiedSignalFusion.from_config(
            self.gate, scope=self.run_id, calibration=calibration
        )
        scanner = IncrementalSwingScanner(self._registry.swing_detectors())
        atr = context["atr"].to_numpy(float)
        series = _Series(
            builder,
            fusion,
            predictor,
            scanner,
            median_atr=float(np.nanmedian(atr)) if np.isfinite(atr).any() else float("nan"),
            bridge=intrabar_scale(candles),
            meta=None,
            history=_Labelled(),
            pending=_Labelled(),
        )
        return series

    @staticmethod
    def _remember(series: _Series, choices: list[_Choice], ctx: BarContext) -> None:
        """Keep the valued candidates until their outcome is known."""
        for c in choices:
            if c.value is None:
                continue
            sig = c.decision.signal
            series.pending.add(
                c.row,
                pd.Timestamp(ctx.timestamp),
                pd.Timestamp(ctx.timestamp) + c.value.bars * ctx.bar,
                (sig.direction, sig.entry_price, c.target, c.stop),
                c.value,
                c.reason in ("selected", "edge"),  # past the gate (the edge may refuse it)
            )

    def _label(self, series: _Series, candles: pd.DataFrame) -> None:
        """Move the pending candidates whose last bar is in ``candles`` to the history, with
        their labels (target first or not)."""
        done = [k for k, end in enumerate(series.pending.end) if end <= candles.index[-1]]
        if not done:
            return
        pend = series.pending
        plans = [pend.plans[k] for k in done]
        out = signal_outcomes(
            candles,
            decided_at=pd.DatetimeIndex([pend.start[k] for k in done]),
            direction=np.array([d for d, *_ in plans]),
            entry=np.array([e for _, e, _, _ in plans]),
            target=np.array([t for _, _, t, _ in plans]),
            stop=np.array([st for *_, st in plans]),
            valid_until=pd.DatetimeIndex([pend.end[k] for k in done]),
        )
        known = out["direction_hit"].notna().to_numpy()
        first = (out["target_first"].to_numpy() == 1.0).astype(float)
        exit_price = out["exit_price"].to_numpy(float)
        h = series.history
        for n, k in enumerate(done):
            if known[n]:
                direction, entry, _, stop = pend.plans[k]
                value = pend.values[k]
                h.add(
                    pend.rows[k], pend.start[k], pend.end[k], pend.plans[k], value, pend.eligible[k]
                )
                h.label.append(float(first[n]))
                sign = 1.0 if direction == "bull" else -1.0
                risk = abs(entry - stop)
                gross = sign * (exit_price[n] - entry) / risk if risk > 0 else 0.0
                h.realized.append(gross - value.cost_r)
        h.keep_last(META_ROWS)
        keep = sorted(set(range(len(pend.end))) - set(done))
        series.pending = _Labelled(
            [pend.rows[k] for k in keep],
            [pend.start[k] for k in keep],
            [pend.end[k] for k in keep],
            [pend.plans[k] for k in keep],
            [pend.values[k] for k in keep],
            [pend.eligible[k] for k in keep],
        )

    def _refit(self, series: _Series) -> None:
        """Fit the meta-model on the labelled history (kept as it was when there is too
        little of it)."""
        h = series.history
        kind = self.gate.meta_model
        if kind == "none" or not h.rows:
            return
        embargo = EMBARGO_BARS * pd.Timedelta(series.builder.timeframe.delta)
        model = MetaModel(kind, embargo=embargo, seed=self.params.seed)
        try:
            model.fit(
                pd.DataFrame(h.rows),
                h.label,
                start=pd.DatetimeIndex(h.start),
                end=pd.DatetimeIndex(h.end),
            )
        except ConfigError as exc:
            logger.info("fused strategy: meta-model not refitted: %s", exc)
            self.meta_skipped += 1
            return
        # a model is used only when its out-of-fold probabilities beat the base rate's and
        # the candidates it would have let through out of fold made money after costs
        picked, made = self._selection_check(model, h)
        used = model.skilful and picked >= MIN_CHECKED and made is not None and made > 0
        series.meta = model if used else None
        self.meta_fit_count += 1
        self.meta_fits.append(
            {
                **model.summary(),
                "used": used,
                "oof_selected": picked,
                "oof_selected_r": made,
                "oof_min": MIN_CHECKED,
            }
        )
        self.meta_models.append(model)

    def _selection_check(self, model: MetaModel, h: _Labelled) -> tuple[int, float | None]:
        """How many labelled candidates past the gate the edge decision would have traded
        with ``model``'s out-of-fold probabilities, and their mean realized R after costs
        (``None`` when none: it is stored as JSON)."""
        floor = self.gate.min_edge_r
        made = [
            h.realized[k]
            for k, p in enumerate(model.oof)
            if h.eligible[k] and np.isfinite(p) and _edge(h.values[k], float(p)) > floor
        ]
        return len(made), float(np.mean(made)) if made else None

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

    def _forecast(self, predictor: Predictor, window: pd.DataFrame, seed: int) -> list[Forecast]:
        """The forecast from the window's last bar (cut at ``forecast_timeout_s`` when set)."""
        if self.params.forecast_timeout_s > 0:
            return self._bounded_forecast(predictor, window, seed)
        return predictor.predict_batch(
            window, [len(window) - 1], num_samples=self.params.samples, seed=seed
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

    def _value(
        self,
        series: _Series,
        decisions: Sequence[SignalDecision],
        forecast: Forecast | None,
        ctx: BarContext,
        adapted: TradingParameters | None,
    ) -> list[_Choice]:
        """Each scored candidate's plan (adapted stop and target multiples applied), valued by
        ``forecast``'s paths when there is one, with the meta-model's ``p_win`` and the edge."""
        costs = self.costs or _DEFAULT_COSTS
        bar = ctx.bar
        ahead = (
            bar_costs(costs, forecast.symbol, forecast.origin_ts, bar, PATH_BARS)
            if forecast is not None
            else None
        )
        choices = []
        for d in decisions:
            sig = d.signal
            stop, target = sig.stop_price, sig.target_price
            if adapted is not None:
                entry = sig.entry_price
                stop = entry + adapted.stop_multiple * (stop - entry)
                target = entry + adapted.target_multiple * (target - entry)
            bars = max(1, round((sig.valid_until - sig.timestamp) / bar))
            value = None
            if forecast is not None and forecast.samples is not None:
                side: Literal["long", "short"] = "long" if sig.direction == "bull" else "short"
                plan = Plan(side, sig.entry_price, stop, target, min(bars, PATH_BARS))
                value = value_plan(
                    forecast, plan, costs=costs, bar=bar, bridge=series.bridge, prepared=ahead
                )
            valued = dataclasses.replace(
                sig, metadata={**sig.metadata, **(value.as_metadata() if value else {})}
            )
            row = candidate_features(
                valued, atr=ctx.atr, spread=series.builder.spread, close_time=ctx.timestamp + bar
            )
            choices.append(
                _Choice(
                    dataclasses.replace(d, signal=valued), stop, target, bars, value, row, d.reason
                )
            )
        valued_choices = [c for c in choices if c.value is not None]
        p_meta: np.ndarray | None = None
        if series.meta is not None and valued_choices:
            p_meta = series.meta.predict(pd.DataFrame([c.row for c in valued_choices]))
        for k, c in enumerate(valued_choices):
            assert c.value is not None
            c.p_win = float(p_meta[k]) if p_meta is not None else c.value.p_target
            c.calibrated = p_meta is not None
            c.edge = _edge(c.value, c.p_win)
        return choices

    def _choose(self, choices: list[_Choice]) -> list[_Choice]:
        """The candidates ``[signals] decision`` would trade, best first; sets each one's
        reason."""
        mode, floor = self.gate.decision, self.gate.min_edge_r
        if mode == "all":
            for c in choices:
                c.reason = "selected"
            return sorted(choices, key=lambda c: -c.decision.score.composite)
        picked = [c for c in choices if c.reason == "selected"]
        if mode == "gate":
            return sorted(picked, key=lambda c: -c.decision.score.composite)
        need_model = self.gate.meta_model != "none"
        for c in picked:
            if c.edge is None or c.edge <= floor or (need_model and not c.calibrated):
                c.reason = "edge"
        cleared = [c for c in picked if c.reason == "selected"]
        return sorted(cleared, key=lambda c: -(c.edge or 0.0))

    def _stored(self, c: _Choice, traded: bool) -> FusedSignal:
        """The candidate as stored with its bar: the plan's value, ``p_win``, ``edge_r`` and
        the reason."""
        sig = c.decision.signal
        extra: dict[str, Any] = {"reason": c.reason, "selected": traded}
        if c.value is None:
            extra["edge_r"] = None
            if c.reason == "edge":
                extra["edge_detail"] = "no forecast to value"
        else:
            extra.update(
                edge_r=c.edge,
                p_win=c.p_win,
                p_source="meta" if c.calibrated else "paths",
                min_edge_r=self.gate.min_edge_r,
            )
            if c.reason == "edge":
                extra["edge_detail"] = (
                    f"edge {c.edge:+.3f} R <= {self.gate.min_edge_r:+.2f} R"
                    if c.calibrated or self.gate.meta_model == "none"
                    else "no skilful meta-model yet"
                )
        return dataclasses.replace(sig, metadata={**sig.metadata, **extra})

    def _tally(self, choices: list[_Choice], ts: pd.Timestamp) -> None:
        """Count the reasons and the stretches of bars with no candidate clearing the edge."""
        self.decision_bars += 1
        self.reasons.update(c.reason for c in choices)
        floor = self.gate.min_edge_r
        cleared = any(
            c.edge is not None and c.edge > floor and c.decision.score.passed for c in choices
        )
        if cleared:
            self.bars_with_edge += 1
            self._dry = 0
            return
        if self._dry == 0:
            self._dry_from = ts
        self._dry += 1
        if self._dry > self.longest_dry:
            self.longest_dry, self.longest_dry_span = self._dry, (self._dry_from or ts, ts)

    def decision_summary(self) -> dict[str, Any]:
        span = self.longest_dry_span
        notice = None
        if self.longest_dry >= self.gate.no_edge_bars and span is not None:
            notice = (
                f"no candidate cleared the edge (min_edge_r {self.gate.min_edge_r:+.2f} R) in "
                f"{self.longest_dry} bars ({span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M})"
            )
        return {
            "decision": self.gate.decision,
            "min_edge_r": self.gate.min_edge_r,
            "bars": self.decision_bars,
            "bars_with_edge": self.bars_with_edge,
            "reasons": dict(self.reasons),
            "longest_no_edge_bars": self.longest_dry,
            "notice": notice,
            "meta_model": self.meta_fits[-1] if self.meta_fits else None,
            "meta_fits": self.meta_fit_count,
            "meta_skipped": self.meta_skipped,
            "forecaster": self.forecaster_used,
        }

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
        now = self._patterns(series, view.candles, window)
        forecasts: list[Forecast] = []
        valuation: list[Forecast] = []
        if series.predictor is not None:
            seed = self.params.seed + int(window.index[-1].value // 10**9) % 2**31
            drawn = self._forecast(series.predictor, window, seed)
            if drawn:  # half the paths place the forecast's candidate, the other half value it
                forecasts, valuation = (list(h) for h in zip(*map(halves, drawn), strict=True))
        side = {"long": 1, "short": -1}.get(view.side or "", 0)
        context = series.builder.latest(window, open_positions={view.symbol: side} if side else {})
        adapted = self._adapted(view, context.regime, pd.Timestamp(window.index[-1]))
        series.fusion.fuse_signals(
            context,
            patterns=now,
            forecasts=forecasts,
            threshold=adapted.threshold if adapted else None,
        )
        forecast = valuation[0] if valuation else None
        choices = self._value(series, series.fusion.last_decisions, forecast, context, adapted)
        tradable = self._choose(choices)
        self._tally(choices, pd.Timestamp(window.index[-1]))
        if self.gate.meta_model != "none":
            self._remember(series, choices, context)
            series.since_refit += 1
            if self.params.meta_refit_bars and series.since_refit >= self.params.meta_refit_bars:
                series.since_refit = 0
                self._label(series, view.candles)
                self._refit(series)
        chosen: _Choice | None = None
        for c in tradable:
            direction = "long" if c.decision.signal.direction == "bull" else "short"
            if direction != view.side:
                chosen = c
                break
        stored = {id(c): self._stored(c, c is chosen) for c in choices}
        scored = tuple((stored[id(c)], c.decision.score.passed) for c in choices)
        if chosen is None:
            return Decision(scored=scored)
        signal = stored[id(chosen)]
        value = chosen.value
        edge_mode = self.gate.decision == "edge"
        payoff = None
        if value is not None and value.stop_r < 0:
            payoff = max(value.target_r, 0.0) / -value.stop_r
        atr_ratio = series.median_atr / context.atr if context.atr > 0 else None
        intent = Intent(
            symbol=view.symbol,
            direction="long" if signal.direction == "bull" else "short",
            stop=chosen.stop,
            target=chosen.target,
            time_stop_bars=value.bars if edge_mode and value is not None else chosen.bars,
            source=signal.source,
            signal=signal,
            size_multiplier=adapted.size_multiplier if adapted else 1.0,
            win_probability=chosen.p_win,
            payoff=payoff,
            volatility_ratio=atr_ratio
            if atr_ratio is not None and np.isfinite(atr_ratio)
            else None,
        )
        return Decision(intents=(intent,), scored=scored)


def _checkpoint(path: str, *, fit_end: pd.Timestamp) -> DiffusionPredictor:
    """A diffusion checkpoint fitted on bars up to ``fit_end`` at the latest."""
    from forex_diffusion.forecast.diffusion import DiffusionPredictor

    predictor = DiffusionPredictor.load(path)
    trained = pd.Timestamp(predictor.meta["data_end"])
    if trained > fit_end:
        raise ConfigError(
            f"checkpoint {path} was fitted on bars up to {trained}, after the bars before the "
            f"first decision (up to {fit_end}): it would forecast bars it has seen"
        )
    return predictor


_DEFAULT_COSTS = CostModel(BrokerConfig())
"""The costs a strategy charges its plans when no engine gave it the broker's."""


def _edge(value: PlanValue, p_win: float) -> float:
    """Expected R after costs with the target reached first with probability ``p_win``, and
    otherwise the stop or the time stop in the paths' proportions."""
    rest = value.p_stop + value.p_expiry
    w = value.p_stop / rest if rest > 0 else 1.0
    return p_win * value.target_r + (1.0 - p_win) * (w * value.stop_r + (1 - w) * value.expiry_r)
