"""Patterns built from confirmed swings: the shared machinery of chart, harmonic and wave detectors.

Every detector here reads the zigzag swings of :func:`~.primitives.swings` (a swing is known
only on its confirmation bar) and nothing else about the future:

1. when a swing is confirmed, each detector looks at the last few swings and, if their geometry
   is its pattern, proposes a :class:`Candidate` (points, the breakout level, the measured-move
   target, the invalidation price, the lines to draw);
2. a candidate with a breakout level is ``forming`` from that confirmation bar and becomes
   ``confirmed`` on the first later bar whose close crosses the level in the pattern's
   direction, if that happens before price reaches the invalidation price and within the
   pattern's own width in bars; a candidate without a breakout level (harmonic and wave
   completions, where the confirmed reversal swing is the signal) is ``confirmed`` at once.

So an event's ``confirm_ts`` is the first bar on which all of it is known, each swing costs a
bounded amount of work, and scanning is linear in the bars. Prices and tolerances are in ATR
units at the pattern's last swing, so the same settings work on every pair and timeframe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from forex_diffusion.patterns.primitives import Swing, atr, atr_or_range, swings
from forex_diffusion.patterns.vectorized_detectors import EVENT_COLUMNS

__all__ = [
    "BarDetector",
    "Candidate",
    "SwingContext",
    "SwingDetector",
    "scan_swing_detectors",
]

SWING_THRESHOLD = 2.0
"""Zigzag reversal in ATRs for pattern swings."""


@dataclass(frozen=True)
class SwingContext:
    """What swing detectors read: prices, ATR and the confirmed swings."""

    index: pd.DatetimeIndex
    close: np.ndarray
    high: np.ndarray
    low: np.ndarray
    atr: np.ndarray
    swings: list[Swing]
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False)
    """Results shared between detectors (the two-line geometry of a run of swings)."""

    @classmethod
    def from_candles(
        cls, candles: pd.DataFrame, *, threshold: float = SWING_THRESHOLD
    ) -> SwingContext:
        high, low = candles["high"].to_numpy(float), candles["low"].to_numpy(float)
        scale = atr_or_range(high, low, atr(candles))
        return cls(
            pd.DatetimeIndex(candles.index),
            candles["close"].to_numpy(float),
            high,
            low,
            scale,
            swings(high, low, scale, threshold=threshold),
        )


@dataclass(frozen=True)
class Candidate:
    """A pattern's geometry found on swings, before its breakout.

    ``breakout``: price the close must cross (in ``direction``) for a confirmation, as a
    function of the bar position (a sloped neckline), or ``None`` when the completion itself
    confirms. ``points``: the swings that make the pattern; ``lines``: pairs of
    ``(bar, price)`` to draw.
    """

    key: str
    kind: Literal["chart", "harmonic", "wave"]
    direction: Literal["bull", "bear"]
    points: Sequence[Swing]
    target: float
    failure: float
    quality: float
    """How closely the geometry matches the textbook, in [0, 1]."""
    breakout: Callable[[np.ndarray], np.ndarray] | None = None
    touches: int | None = None
    lines: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)


class SwingDetector:
    """A detector over swings: ``key``, ``kind`` and :meth:`find` on the swings so far."""

    key: str
    kind: Literal["chart", "harmonic", "wave"]
    needs: int
    """Swings the geometry spans (the last ``needs`` confirmed swings are passed)."""

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        """Candidates whose last point is swing ``k`` (it may read swings ``0..k`` only)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


class BarDetector:
    """A detector of bar patterns completed on one bar (no swings needed): :meth:`find_bars`
    returns ``(completion bar, candidate)`` pairs, each from bars up to its completion."""

    key: str
    kind: Literal["chart", "harmonic", "wave"]

    def find_bars(self, ctx: SwingContext) -> list[tuple[int, Candidate]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


def _row(ctx: SwingContext, cand: Candidate, at: int, state: str, scale: float) -> dict[str, Any]:
    first = cand.points[0].index
    height = max(p.price for p in cand.points) - min(p.price for p in cand.points)
    span = at - first + 1

    def point(bar: float, price: float) -> list[Any]:
        i = min(max(round(bar), 0), len(ctx.index) - 1)
        return [ctx.index[i].isoformat(), float(price)]

    overlay = {
        "type": cand.kind,
        "points": [point(p.index, p.price) for p in cand.points],
        "lines": [[point(*a), point(*b)] for a, b in cand.lines],
    }
    return {
        "pattern_key": cand.key,
        "kind": cand.kind,
        "direction": cand.direction,
        "start_ts": ctx.index[first],
        "confirm_ts": ctx.index[at],
        "state": state,
        "score": float(np.clip(cand.quality, 0.0, 1.0)),
        "scale_atr": float(height / scale),
        "touches": cand.touches,
        "bars_span": span,
        "target_price": float(cand.target),
        "failure_price": float(cand.failure),
        "horizon_bars": span,
        "talib_value": 0,
        "overlay": overlay,
    }


def _breakout_bar(ctx: SwingContext, cand: Candidate, after: int) -> int | None:
    """First bar after ``after`` whose close crosses the breakout level, unless price reaches
    the invalidation first or the wait exceeds the pattern's width."""
    assert cand.breakout is not None
    width = after - cand.points[0].index
    stop = min(len(ctx.close), after + 1 + max(width, 5))
    bars = np.arange(after + 1, stop)
    if not len(bars):
        return None
    level = cand.breakout(bars.astype(float))
    sign = 1.0 if cand.direction == "bull" else -1.0
    crossed = sign * (ctx.close[bars] - level) > 0
    failed = ctx.low[bars] <= cand.failure if sign > 0 else ctx.high[bars] >= cand.failure
    first_cross = int(np.argmax(crossed)) if crossed.any() else len(bars)
    first_fail = int(np.argmax(failed)) if failed.any() else len(bars)
    if first_cross < len(bars) and first_cross < first_fail:
        return int(bars[first_cross])
    return None


def _open(ctx: SwingContext, cand: Candidate, bar: int) -> bool:
    """The close of ``bar`` lies between the invalidation and the target (an event whose
    target is already reached, or whose invalidation is, says nothing)."""
    sign = 1.0 if cand.direction == "bull" else -1.0
    close = float(ctx.close[bar])
    return sign * (cand.target - close) > 0 and sign * (close - cand.failure) > 0


def scan_swing_detectors(
    detectors: Sequence[SwingDetector | BarDetector], ctx: SwingContext, *, since: int = 0
) -> pd.DataFrame:
    """Every event of ``detectors`` (columns ``EVENT_COLUMNS`` and ``overlay``), ordered by
    confirmation bar and detector; only events confirmed at or after bar ``since``."""
    rows: list[tuple[int, int, dict[str, Any]]] = []
    for order, det in enumerate(detectors):
        if isinstance(det, BarDetector):
            for at, cand in det.find_bars(ctx):
                if _open(ctx, cand, at):
                    scale = float(ctx.atr[at])
                    rows.append((at, order, _row(ctx, cand, at, "confirmed", scale)))
    for k, swing in enumerate(ctx.swings):
        scale = float(ctx.atr[swing.confirm_index])
        for order, det in enumerate(detectors):
            if isinstance(det, BarDetector) or k + 1 < det.needs:
                continue
            for cand in det.find(ctx, k):
                at = swing.confirm_index
                if cand.breakout is None:
                    if _open(ctx, cand, at):
                        rows.append((at, order, _row(ctx, cand, at, "confirmed", scale)))
                    continue
                if _open(ctx, cand, at):
                    rows.append((at, order, _row(ctx, cand, at, "forming", scale)))
                bar = _breakout_bar(ctx, cand, at)
                if bar is not None and _open(ctx, cand, bar):
                    rows.append((bar, order, _row(ctx, cand, bar, "confirmed", scale)))
    rows = [r for r in rows if r[0] >= since]
    rows.sort(key=lambda r: (r[0], r[1]))
    frame = pd.DataFrame([r[2] for r in rows], columns=[*EVENT_COLUMNS, "overlay"])
    if frame.empty:
        return frame.astype({"score": float, "target_price": float, "failure_price": float})
    return frame
