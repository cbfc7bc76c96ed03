"""Chart patterns on confirmed swings and bars (Bulkowski's definitions, tolerances in ATRs).

* double, triple and head-and-shoulders tops and bottoms: the trend they reverse (the swing
  before the pattern lies beyond the neckline), peaks (troughs) level within ``level_atr`` ATRs
  or 5 % of the pattern's height (8 % for triples: three peaks drift more), a head ``head_atr``
  beyond both shoulders, confirmed on the first close through the neckline (see
  :mod:`.swing_patterns`); target: the neckline minus the height; invalidation: the extreme
  peak (the right shoulder);
* ``cup_and_handle`` (and the inverse): a rise into a left rim, a rounded cup at least
  ``depth_atr`` ATRs deep (a quadratic through its closes explains at least ``round_r2`` of
  their variance, lowest point in the middle 60 %), a right rim level with the left, a handle
  retracing at most half the cup in at most half its width; confirmed on a close above the
  rims; target: the rim plus the depth; invalidation: the handle's low;
* ``rounding_bottom``/``_top``: a saucer, the slide from the last swing high into the low
  rounded (the quadratic explains ``round_r2`` and halves the residual of a straight line),
  confirmed on a close back above that high;
* ``measured_move_bull``/``_bear``: a leg of at least ``leg_atr`` ATRs, a correction of 38.2 to
  61.8 % of it, confirmed when price passes the leg's end; target: the correction's end plus
  the first leg;
* ``island_reversal_top``/``_bottom``: a gap, 1 to ``max_island`` bars alone beyond it, and a
  gap back (bars whose ranges do not overlap; a gap inside the island does not end it),
  confirmed on the second gap's bar; target: the
  island's height (at least an ATR) beyond that bar's range; invalidation: the island's
  extreme.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from forex_diffusion.patterns.primitives import Swing
from forex_diffusion.patterns.swing_patterns import (
    BarDetector,
    Candidate,
    SwingContext,
    SwingDetector,
    last_swings,
    level_breakout,
)

__all__ = ["chart_detectors"]


class _Tops(SwingDetector):
    """Double (``peaks=2``) or triple (``peaks=3``) top, or the bottoms when ``top`` is false."""

    kind = "chart"

    def __init__(
        self, key: str, *, peaks: int, top: bool, level_atr: float = 0.75, share: float = 0.05
    ) -> None:
        self.key, self.peaks, self.top, self.level_atr = key, peaks, top, level_atr
        self.share = share
        self.needs = 2 * peaks  # the swing before the first peak, then peak, trough, ..., peak

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        s = 1.0 if self.top else -1.0
        pts = last_swings(ctx, k, self.needs, "high" if self.top else "low")
        if pts is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        peaks = [s * p.price for p in pts[1::2]]
        troughs = [s * p.price for p in pts[2:-1:2]]
        spread = max(peaks) - min(peaks)
        neck = min(troughs)
        before = s * pts[0].price
        level = max(self.level_atr * scale, self.share * (max(peaks) - neck))
        if spread > level or before >= neck:
            return []
        if k >= self.needs and self._one_more_peak(ctx, k, peaks, scale):
            return []  # part of a larger pattern (a double top inside a triple top)
        height = max(peaks) - neck
        return [
            level_breakout(
                self.key,
                bull=not self.top,
                points=pts,
                level=s * neck,
                target=s * (neck - height),
                failure=s * max(peaks),
                quality=1.0 - 0.5 * spread / level,
                touches=self.peaks,
                line_from=1,
            )
        ]

    def _one_more_peak(self, ctx: SwingContext, k: int, peaks: list[float], scale: float) -> bool:
        s = 1.0 if self.top else -1.0
        earlier = s * ctx.swings[k - self.needs].price  # the peak before the first one
        level = max(self.level_atr * scale, self.share * (max(peaks) - min(peaks)))
        return max(*peaks, earlier) - min(*peaks, earlier) <= level


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
        pts = last_swings(ctx, k, self.needs, "high" if self.top else "low")
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


def _roundness(close: np.ndarray) -> tuple[float, float, float]:
    """(curvature, R^2 of a quadratic, its residual over a straight line's) of ``close``."""
    x = np.arange(len(close), dtype=float)
    quad = np.polyfit(x, close, 2)
    total = float(np.sum((close - close.mean()) ** 2)) or 1e-300
    res_q = float(np.sum((close - np.polyval(quad, x)) ** 2))
    res_l = float(np.sum((close - np.polyval(np.polyfit(x, close, 1), x)) ** 2)) or 1e-300
    return float(quad[0]), 1.0 - res_q / total, res_q / res_l


class _CupAndHandle(SwingDetector):
    kind = "chart"
    needs = 5

    def __init__(
        self, key: str, *, bull: bool, depth_atr: float = 4.0, round_r2: float = 0.6
    ) -> None:
        self.key, self.bull, self.depth_atr, self.round_r2 = key, bull, depth_atr, round_r2

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        s = 1.0 if self.bull else -1.0  # bull: low, left rim, bottom, right rim, handle low
        pts = last_swings(ctx, k, 5, "low" if self.bull else "high")
        if pts is None:
            return []
        before, rim1, bottom, rim2, handle = (s * p.price for p in pts)
        scale = float(ctx.atr[pts[-1].confirm_index])
        rim, depth = max(rim1, rim2), min(rim1, rim2) - bottom
        cup_bars = pts[3].index - pts[1].index
        if depth < self.depth_atr * scale or before >= bottom or cup_bars < 10:
            return []
        if abs(rim1 - rim2) > max(0.1 * depth, scale):
            return []
        if rim2 - handle > 0.5 * depth or pts[4].index - pts[3].index > 0.5 * cup_bars:
            return []
        curve, r2, _ = _roundness(s * ctx.close[pts[1].index : pts[3].index + 1])
        low_at = (pts[2].index - pts[1].index) / cup_bars
        if curve <= 0 or r2 < self.round_r2 or not 0.2 <= low_at <= 0.8:
            return []
        return [
            level_breakout(
                self.key,
                bull=self.bull,
                points=pts[1:],
                level=s * rim,
                target=s * (rim + depth),
                failure=s * handle,
                quality=min(1.0, r2),
            )
        ]


class _Rounding(SwingDetector):
    kind = "chart"
    needs = 2

    def __init__(
        self, key: str, *, bottom: bool, depth_atr: float = 4.0, round_r2: float = 0.9
    ) -> None:
        self.key, self.bottom, self.depth_atr, self.round_r2 = key, bottom, depth_atr, round_r2

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        s = 1.0 if self.bottom else -1.0  # bottom: the last high, then the saucer's low
        pts = last_swings(ctx, k, 2, "low" if self.bottom else "high")
        if pts is None:
            return []
        rim, low = (s * p.price for p in pts)
        scale = float(ctx.atr[pts[-1].confirm_index])
        depth = rim - low
        if depth < self.depth_atr * scale or pts[1].index - pts[0].index < 10:
            return []
        curve, r2, vs_line = _roundness(s * ctx.close[pts[0].index : pts[1].index + 1])
        if curve <= 0 or r2 < self.round_r2 or vs_line > 0.5:
            return []
        return [
            level_breakout(
                self.key,
                bull=self.bottom,
                points=pts,
                level=s * rim,
                target=s * (rim + depth),
                failure=s * low,
                quality=min(1.0, r2),
            )
        ]


class _MeasuredMove(SwingDetector):
    kind = "chart"
    needs = 3

    def __init__(self, key: str, *, bull: bool, leg_atr: float = 5.0) -> None:
        self.key, self.bull, self.leg_atr = key, bull, leg_atr

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        s = 1.0 if self.bull else -1.0  # bull: leg start (low), leg end (high), correction low
        pts = last_swings(ctx, k, 3, "low" if self.bull else "high")
        if pts is None:
            return []
        a, b, c = (s * p.price for p in pts)
        scale = float(ctx.atr[pts[-1].confirm_index])
        leg = b - a
        if leg < self.leg_atr * scale or not 0.382 <= (b - c) / leg <= 0.618:
            return []
        cand = level_breakout(
            self.key,
            bull=self.bull,
            points=pts,
            level=s * b,
            target=s * (c + leg),
            failure=s * c,
            quality=1.0 - abs((b - c) / leg - 0.5) / 0.236,
        )
        return [replace(cand, lines=[((pts[0].index, s * a), (pts[1].index, s * b))])]


class _Island(BarDetector):
    kind = "chart"

    def __init__(self, key: str, *, top: bool, max_island: int = 10) -> None:
        self.key, self.top, self.max_island = key, top, max_island
        self.window = max_island + 2

    def find_bars(self, ctx: SwingContext) -> list[tuple[int, Candidate]]:
        s = 1.0 if self.top else -1.0  # top: a gap up, the island, a gap down
        high, low = (ctx.high, ctx.low) if self.top else (-ctx.low, -ctx.high)
        gap_up = np.flatnonzero(low[1:] > high[:-1]) + 1  # bar i opens the island
        out = []
        for j in (int(x) for x in np.flatnonzero(high[1:] < low[:-1]) + 1):  # j gaps back
            starts = gap_up[(gap_up < j) & (gap_up >= j - self.max_island)]
            # the nearest gap whose bars all stay clear of both sides (a gap inside the island
            # does not end it)
            clear = [
                int(i)
                for i in starts[::-1]
                if low[i:j].min() > high[i - 1] and low[i:j].min() > high[j]
            ]
            if not clear:
                continue
            i = clear[0]
            floor = float(low[i:j].min())
            top_ = float(high[i:j].max())
            scale = float(ctx.atr[j])
            extreme = i + int(np.argmax(high[i:j]))
            points = [
                Swing("low" if self.top else "high", i, s * floor, j),
                Swing("high" if self.top else "low", extreme, s * top_, j),
            ]
            height = top_ - floor
            out.append(
                (
                    j,
                    Candidate(
                        key=self.key,
                        kind="chart",
                        direction="bear" if self.top else "bull",
                        points=points,
                        target=s * (float(high[j]) - max(height, scale)),
                        failure=s * top_,
                        quality=min(1.0, (floor - max(high[i - 1], high[j])) / scale),
                    ),
                )
            )
        return out


def chart_detectors() -> list[SwingDetector | BarDetector]:
    """The chart-pattern detectors on points and bars, in registry order."""
    return [
        _HeadAndShoulders("head_and_shoulders", top=True),
        _HeadAndShoulders("inverse_head_and_shoulders", top=False),
        _Tops("double_top", peaks=2, top=True),
        _Tops("double_bottom", peaks=2, top=False),
        _Tops("triple_top", peaks=3, top=True, share=0.08),
        _Tops("triple_bottom", peaks=3, top=False, share=0.08),
        _Rounding("rounding_top", bottom=False),
        _Rounding("rounding_bottom", bottom=True),
        _Island("island_reversal_top", top=True),
        _Island("island_reversal_bottom", top=False),
        _CupAndHandle("cup_and_handle", bull=True),
        _CupAndHandle("inverse_cup_and_handle", bull=False),
        _MeasuredMove("measured_move_bull", bull=True),
        _MeasuredMove("measured_move_bear", bull=False),
    ]
