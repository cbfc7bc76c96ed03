"""A signal study on a stored series: fit on the first part, decide on every later bar.

The bars before ``fit_end`` fit the regime detector and calibrate the pattern scores against
the outcomes of patterns whose expiry also lies before ``fit_end``; the forecaster (if any) must
have been trained on those bars too. From ``fit_end`` on, every bar's patterns and forecast go
through :class:`UnifiedSignalFusion` exactly as in live trading (context from bars up to the
bar only), and every decision is kept, so the passed and the rejected signals can be compared
out of sample. Selected signals are held as open positions until they expire, so a second
signal on the same side of an open one has no correlation safety left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import DataError
from forex_diffusion.core.events import Forecast, PatternEvent
from forex_diffusion.core.types import Timeframe
from forex_diffusion.intelligence.confidence_calibrator import PatternCalibration
from forex_diffusion.intelligence.market_context import ContextBuilder
from forex_diffusion.intelligence.pattern_fit import calibrate_patterns, pattern_events
from forex_diffusion.intelligence.regime import RegimeDetector
from forex_diffusion.intelligence.unified_signal_fusion import SignalDecision, UnifiedSignalFusion

__all__ = ["SignalStudy", "run_signal_study", "study_split"]

MIN_FIT_BARS = 1000


@dataclass(frozen=True)
class SignalStudy:
    """The decisions of a study and what it was fitted on."""

    decisions: list[SignalDecision]
    fit_end: pd.Timestamp
    calibration: PatternCalibration
    regime: RegimeDetector
    source_errors: dict[str, int]
    """Candidates skipped per source after an expected error."""


def study_split(bars: int, fit_fraction: float) -> int:
    """The first test bar of a study on ``bars`` bars (checked, so a caller can fail before
    training any model)."""
    return _checked(bars, round(bars * fit_fraction))


def _checked(bars: int, fit_end: int) -> int:
    if fit_end < MIN_FIT_BARS or bars - fit_end < 100:
        raise DataError(
            f"a signal study needs at least {MIN_FIT_BARS} fit bars and 100 test bars; "
            f"{bars} bars split at bar {fit_end} give {fit_end} and {bars - fit_end}"
        )
    return fit_end


def run_signal_study(
    candles: pd.DataFrame,
    *,
    symbol: str,
    timeframe: str,
    signals: SignalsConfig | None = None,
    fit_bars: int | None = None,
    forecaster: Callable[[pd.DataFrame, Sequence[int]], list[Forecast]] | None = None,
    scope: str = "",
    on_bar: Callable[[int, int], None] | None = None,
) -> SignalStudy:
    """Fit on the first ``signals.fit_fraction`` of the bars (or the first ``fit_bars``), then
    decide on every later bar with the fusion and gate ``signals`` configures (default: the
    defaults of ``[signals]``), as a backtest of the fused strategy would.

    ``forecaster(candles, positions)`` returns one forecast per position (made from bars up to
    it); it must not have been trained on bars after the fit span. ``scope``: the run id, part
    of every signal id.
    """
    cfg = signals or SignalsConfig()
    n = len(candles)
    fit_end = study_split(n, cfg.fit_fraction) if fit_bars is None else _checked(n, fit_bars)
    regime = RegimeDetector().fit(candles.iloc[:fit_end])
    builder = ContextBuilder.from_config(cfg, symbol=symbol, timeframe=timeframe, regime=regime)
    context = builder.frame(candles)
    events, positions = pattern_events(candles)
    calibration = calibrate_patterns(
        candles,
        events,
        positions,
        context=context,
        fit_end=fit_end,
        spread=builder.spread,
        bar=pd.Timedelta(Timeframe.parse(timeframe).delta),
    )
    fusion = UnifiedSignalFusion.from_config(cfg, scope=scope, calibration=calibration)
    by_bar: dict[int, list[PatternEvent]] = {}
    for event, p in zip(events, positions, strict=True):
        if p >= fit_end:
            by_bar.setdefault(int(p), []).append(event)
    test = list(range(fit_end, n))
    forecasts: dict[int, Forecast] = {}
    if forecaster is not None:
        forecasts = dict(zip(test, forecaster(candles, test), strict=True))
    decisions: list[SignalDecision] = []
    book: list[tuple[pd.Timestamp, int]] = []  # selected signals still open: (expiry, side)
    index = pd.DatetimeIndex(candles.index)
    for k, p in enumerate(test):
        if not np.isfinite(context["atr"].iloc[p]):
            continue
        book = [(until, side) for until, side in book if until > index[p]]
        net = sum(side for _, side in book)
        bar_context = builder.at(
            context, p, open_positions={builder.symbol: int(np.sign(net))} if net else {}
        )
        made = forecasts.get(p)
        fusion.fuse_signals(
            bar_context, patterns=by_bar.get(p, []), forecasts=[made] if made else []
        )
        decisions.extend(fusion.last_decisions)
        book.extend(
            (d.signal.valid_until, 1 if d.signal.direction == "bull" else -1)
            for d in fusion.last_decisions
            if d.selected
        )
        if on_bar is not None:
            on_bar(k + 1, len(test))
    return SignalStudy(
        decisions,
        pd.Timestamp(candles.index[fit_end]),
        calibration,
        regime,
        dict(fusion.source_errors),
    )
