"""Chart patterns on confirmed swings (Bulkowski's definitions, tolerances in ATR units).

Reversal patterns built so far: double, triple and head-and-shoulders tops and bottoms. Each
needs the trend it reverses (the swing before the pattern lies on the far side of its
neckline), its peaks (troughs) level within ``level_atr`` ATRs, and confirms on the first close
through the neckline (see :mod:`.swing_patterns`). Measured move: the neckline minus the
pattern's height; invalidation: beyond the extreme peak (trough).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forex_diffusion.patterns.primitives import Swing
from forex_diffusion.patterns.swing_patterns import Candidate, SwingContext, SwingDetector

__all__ = ["chart_detectors"]


def _tail(ctx: SwingContext, k: int, n: int, last_kind: str) -> Sequence[Swing] | None:
    """The ``n`` swings ending at ``k`` if swing ``k`` is a ``last_kind``, else ``None``."""
    if k + 1 < n or ctx.swings[k].kind != last_kind:
        return None
    return ctx.swings[k + 1 - n : k + 1]


def _flat(value: float) -> object:
    """A constant breakout level (a horizontal neckline)."""
    return lambda bars: np.full(len(bars), value)


class _Tops(SwingDetector):
    """Double (``peaks=2``) or triple (``peaks=3``) top, or the bottoms when ``top`` is false."""

    kind = "chart"

    def __init__(self, key: str, *, peaks: int, top: bool, level_atr: float = 1.0) -> None:
        self.key, self.peaks, self.top, self.level_atr = key, peaks, top, level_atr
        self.needs = 2 * peaks  # the swing before the first peak, then peak, trough, ..., peak

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        s = 1.0 if self.top else -1.0
        pts = _tail(ctx, k, self.needs, "high" if self.top else "low")
        if pts is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        peaks = [s * p.price for p in pts[1::2]]
        troughs = [s * p.price for p in pts[2:-1:2]]
        spread = max(peaks) - min(peaks)
        neck = min(troughs)
        before = s * pts[0].price
        if spread > self.level_atr * scale or before >= neck:
            return []
        if k >= self.needs and self._one_more_peak(ctx, k, peaks, scale):
            return []  # part of a larger pattern (a double top inside a triple top)
        height = max(peaks) - neck
        return [
            Candidate(
                key=self.key,
                kind="chart",
                direction="bear" if self.top else "bull",
                points=pts,
                target=s * (neck - height),
                failure=s * max(peaks),
                quality=1.0 - 0.5 * spread / (self.level_atr * scale),
                breakout=_flat(s * neck),  # type: ignore[arg-type]
                touches=self.peaks,
                lines=[((pts[1].index, s * neck), (pts[-1].confirm_index, s * neck))],
            )
        ]

    def _one_more_peak(self, ctx: SwingContext, k: int, peaks: list[float], scale: float) -> bool:
        s = 1.0 if self.top else -1.0
        earlier = s * ctx.swings[k - self.needs].price  # the peak before the first one
        return max(*peaks, earlier) - min(*peaks, earlier) <= self.level_atr * scale


class _HeadAndShoulders(SwingDetector):
    """Head and shoulders top (``top``) or inverse: a head ``head_atr`` beyond both shoulders,
    the shoulders within ``shoulder_atr`` of each other, a neckline through the two troughs."""

    kind = "chart"
    needs = 6

    def __init__(
        self, key: str, *, top: bool, head_atr: float = 0.5, shoulder_atr: float = 1.5
    ) -> None:
        self.key, self.top, self.head_atr, self.shoulder_atr = key, top, head_atr, shoulder_atr

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        s = 1.0 if self.top else -1.0
        pts = _tail(ctx, k, self.needs, "high" if self.top else "low")
        if pts is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        before, left, t1, head, t2, right = (s * p.price for p in pts)
        if head - max(left, right) < self.head_atr * scale:
            return []
        if abs(left - right) > self.shoulder_atr * scale:
            return []
        slope = (t2 - t1) / (pts[4].index - pts[2].index)

        def neck(bars: np.ndarray) -> np.ndarray:
            return s * (t1 + slope * (bars - pts[2].index))

        if before >= t1 or max(left, right) <= max(t1, t2):
            return []
        height = head - (t1 + slope * (pts[3].index - pts[2].index))
        at = float(pts[-1].confirm_index)
        neck_now = t1 + slope * (at - pts[2].index)
        return [
            Candidate(
                key=self.key,
                kind="chart",
                direction="bear" if self.top else "bull",
                points=pts[1:],
                target=s * (neck_now - height),
                failure=s * right,
                quality=1.0 - 0.5 * abs(left - right) / (self.shoulder_atr * scale),
                breakout=neck,
                touches=2,
                lines=[((pts[2].index, s * t1), (at, s * neck_now))],
            )
        ]


def chart_detectors() -> list[SwingDetector]:
    """The chart-pattern detectors, in registry order."""
    return [
        _HeadAndShoulders("head_and_shoulders", top=True),
        _HeadAndShoulders("inverse_head_and_shoulders", top=False),
        _Tops("double_top", peaks=2, top=True),
        _Tops("double_bottom", peaks=2, top=False),
        _Tops("triple_top", peaks=3, top=True),
        _Tops("triple_bottom", peaks=3, top=False),
    ]
