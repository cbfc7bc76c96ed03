"""Fitting the pattern calibration on the bars before the first decision (a live strategy's
fit and a study's fit span alike): the directional, confirmed pattern events of the bars and
the calibration of their raw scores against the outcomes known before the fit's end."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forex_diffusion.core.events import PatternEvent
from forex_diffusion.intelligence.candidates import signal_from_pattern
from forex_diffusion.intelligence.confidence_calibrator import PatternCalibration
from forex_diffusion.intelligence.outcomes import signal_outcomes
from forex_diffusion.patterns.registry import PatternRegistry
from forex_diffusion.patterns.vectorized_detectors import events_from_frame

__all__ = ["calibrate_patterns", "pattern_events"]


def pattern_events(candles: pd.DataFrame) -> tuple[list[PatternEvent], np.ndarray]:
    """Directional, confirmed pattern events of the candles (every kind; a chart pattern still
    ``forming`` is not a signal) and the position of each one's confirm bar."""
    frame = PatternRegistry().scan(candles)
    keep = (frame["direction"] != "neutral") & (frame["state"] == "confirmed")
    frame = frame[keep].reset_index(drop=True)
    positions = pd.DatetimeIndex(candles.index).get_indexer(pd.DatetimeIndex(frame["confirm_ts"]))
    return events_from_frame(frame), positions


def calibrate_patterns(
    candles: pd.DataFrame,
    events: Sequence[PatternEvent],
    positions: np.ndarray,
    *,
    context: pd.DataFrame,
    fit_end: int,
    spread: float,
    bar: pd.Timedelta,
) -> PatternCalibration:
    """Calibrate raw pattern scores on the events whose outcome is known before ``fit_end``
    (``context``: the :meth:`ContextBuilder.frame` of the candles, for entry and ATR)."""
    cutoff = candles.index[fit_end - 1]
    close, atr = context["close"].to_numpy(float), context["atr"].to_numpy(float)
    rows = []
    for event, p in zip(events, positions, strict=True):
        if p >= fit_end or not np.isfinite(atr[p]):
            continue
        c = signal_from_pattern(
            event, entry_price=close[p], atr=atr[p], bar=bar, strength=event.score
        )
        if c is not None and c.valid_until <= cutoff:
            rows.append(c)
    if not rows:
        return PatternCalibration()
    out = signal_outcomes(
        candles.iloc[:fit_end],
        decided_at=pd.DatetimeIndex([c.timestamp for c in rows]),
        direction=np.array([c.direction for c in rows]),
        entry=np.array([c.entry_price for c in rows]),
        target=np.array([c.target_price for c in rows]),
        stop=np.array([c.stop_price for c in rows]),
        valid_until=pd.DatetimeIndex([c.valid_until for c in rows]),
        spread=spread,
    )
    return PatternCalibration().fit(
        [c.detail for c in rows],
        [float(c.metadata["raw_score"]) for c in rows],
        out["direction_hit"].to_numpy(),
    )
