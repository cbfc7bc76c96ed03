"""Chart patterns drawn by two lines: triangles, wedges, rectangles, channels, broadening
formations, diamonds, flags and pennants.

Each detector fits a line through the swing highs and one through the swing lows of its last
``swings`` confirmed swings (at least two of each) and classifies the pair. With ``drift`` the
move of a line over the pattern's width in ATRs (flat within ``flat_atr``) and ``gap`` the
distance between the lines at the first and at the last swing:

================================== ============ ============ ============== =========
pattern                            upper line   lower line   lines          breakout
================================== ============ ============ ============== =========
ascending_triangle                 flat         rising       converge       up
descending_triangle                falling      flat         converge       down
symmetrical_triangle               falling      rising       converge       the trend's
wedge_rising                       rising       rising       converge       down
wedge_falling                      falling      falling      converge       up
rectangle                          flat         flat         parallel       the trend's
broadening_top / _bottom           rising       falling      diverge        down / up
right_angle_broadening_ascending   rising       flat         diverge        down
right_angle_broadening_descending  flat         falling      diverge        up
broadening_wedge_ascending         rising       rising       diverge        down
broadening_wedge_descending        falling      falling      diverge        up
================================== ============ ============ ============== =========

``broadening_top`` follows a rise and ``broadening_bottom`` a fall (the swing before the pattern
lies beyond its lines); "the trend's" breakout is the direction of that earlier move. Channels
are traded inside: ``rising_channel`` (bull) and ``falling_channel`` (bear) are parallel lines
moving the same way, confirmed when a swing touches the line the trade starts from, aiming at
the other line; ``horizontal_channel`` is a rectangle of six swings (three touches on each
line), bull at a touch of its floor and bear at its ceiling. A ``diamond_top``/``_bottom`` is a
broadening formation whose last swings converge again, after a rise/fall, broken downward/up.
Flags and pennants follow a pole (a move of at least ``pole_atr`` ATRs and three times the
consolidation's height): a flag is a parallel channel against the pole, a pennant a small
triangle; both break out in the pole's direction.

Targets: the breakout line plus the widest height (flags and pennants: plus the pole);
invalidation: the other line at the last swing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from forex_diffusion.patterns.primitives import LineFit, Swing, fit_line
from forex_diffusion.patterns.swing_patterns import Candidate, SwingContext, SwingDetector

__all__ = ["line_detectors"]

Move = Literal["up", "flat", "down"]
Spread = Literal["converge", "parallel", "diverge", "other"]


@dataclass(frozen=True)
class Geometry:
    """Two lines through a run of swings, measured in ATRs."""

    points: Sequence[Swing]
    upper: LineFit
    lower: LineFit
    first: int
    last: int
    scale: float
    upper_move: Move
    lower_move: Move
    spread: Spread
    height: float
    trend: int
    """+1 after a rise into the pattern, -1 after a fall, 0 otherwise."""

    def line(self, side: str) -> LineFit:
        return self.upper if side == "upper" else self.lower


def geometry(
    ctx: SwingContext, k: int, n: int, *, flat_atr: float = 1.0, fit_atr: float = 0.35
) -> Geometry | None:
    """The two lines through swings ``k - n + 1 .. k``, or ``None`` when either is not a line
    (residual over ``fit_atr`` ATRs) or they cross inside the pattern (memoised in ``ctx``)."""
    if k + 1 < n:
        return None
    key = ("geometry", k, n, flat_atr, fit_atr)
    if key not in ctx.memo:
        ctx.memo[key] = _geometry(ctx, k, n, flat_atr=flat_atr, fit_atr=fit_atr)
    found = ctx.memo[key]
    assert found is None or isinstance(found, Geometry)
    return found


def _geometry(
    ctx: SwingContext, k: int, n: int, *, flat_atr: float, fit_atr: float
) -> Geometry | None:
    pts = ctx.swings[k + 1 - n : k + 1]
    highs = [p for p in pts if p.kind == "high"]
    lows = [p for p in pts if p.kind == "low"]
    scale = float(ctx.atr[pts[-1].confirm_index])
    if len(highs) < 2 or len(lows) < 2 or scale <= 0:
        return None
    upper = fit_line(np.array([p.index for p in highs]), np.array([p.price for p in highs]), scale)
    lower = fit_line(np.array([p.index for p in lows]), np.array([p.price for p in lows]), scale)
    if upper.rmse_atr > fit_atr or lower.rmse_atr > fit_atr:
        return None
    first, last = pts[0].index, pts[-1].index
    width = last - first
    gap0, gap1 = upper.at(first) - lower.at(first), upper.at(last) - lower.at(last)
    if gap0 <= 0 or gap1 <= 0 or width <= 0:
        return None

    def move(line: LineFit) -> Move:
        drift = line.slope * width / scale
        return "up" if drift > flat_atr else "down" if drift < -flat_atr else "flat"

    ratio = gap1 / gap0
    spread: Spread = (
        "converge"
        if ratio < 0.7
        else "diverge"
        if ratio > 1.4
        else "parallel"
        if 0.8 <= ratio <= 1.25
        else "other"
    )
    trend = 0
    if k >= n:
        lead = ctx.swings[k - n]
        if lead.kind == "low" and lead.price < lower.at(first) - 0.5 * scale:
            trend = 1
        elif lead.kind == "high" and lead.price > upper.at(first) + 0.5 * scale:
            trend = -1
    return Geometry(
        pts,
        upper,
        lower,
        first,
        last,
        scale,
        move(upper),
        move(lower),
        spread,
        max(gap0, gap1),
        trend,
    )


def _breakout(
    key: str, g: Geometry, direction: Literal["bull", "bear"], *, reach: float | None = None
) -> Candidate:
    """A pattern broken through the upper (bull) or lower (bear) line; the target is ``reach``
    (default: the widest height) beyond the line."""
    bull = direction == "bull"
    line, other = (g.upper, g.lower) if bull else (g.lower, g.upper)
    target = line.at(g.last) + (1 if bull else -1) * (g.height if reach is None else reach)
    return Candidate(
        key=key,
        kind="chart",
        direction=direction,
        points=g.points,
        target=target,
        failure=other.at(g.last),
        quality=1.0 - max(g.upper.rmse_atr, g.lower.rmse_atr),
        breakout=lambda bars: line.intercept + line.slope * bars,
        touches=len(g.points),
        lines=_lines(g),
    )


def _lines(g: Geometry) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return [
        ((g.first, g.upper.at(g.first)), (g.last, g.upper.at(g.last))),
        ((g.first, g.lower.at(g.first)), (g.last, g.lower.at(g.last))),
    ]


Rule = tuple[Move, Move, Spread, int, Literal["bull", "bear", "trend"]]
"""upper move, lower move, spread, trend required (0: any), breakout direction."""

BREAKOUTS: dict[str, Rule] = {
    "ascending_triangle": ("flat", "up", "converge", 0, "bull"),
    "descending_triangle": ("down", "flat", "converge", 0, "bear"),
    "symmetrical_triangle": ("down", "up", "converge", 0, "trend"),
    "wedge_rising": ("up", "up", "converge", 0, "bear"),
    "wedge_falling": ("down", "down", "converge", 0, "bull"),
    "rectangle": ("flat", "flat", "parallel", 0, "trend"),
    "broadening_top": ("up", "down", "diverge", 1, "bear"),
    "broadening_bottom": ("up", "down", "diverge", -1, "bull"),
    "right_angle_broadening_ascending": ("up", "flat", "diverge", 0, "bear"),
    "right_angle_broadening_descending": ("flat", "down", "diverge", 0, "bull"),
    "broadening_wedge_ascending": ("up", "up", "diverge", 0, "bear"),
    "broadening_wedge_descending": ("down", "down", "diverge", 0, "bull"),
}


class _Breakout(SwingDetector):
    kind = "chart"
    needs = 5

    def __init__(self, key: str) -> None:
        self.key, self.rule = key, BREAKOUTS[key]

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        g = geometry(ctx, k, self.needs)
        if g is None:
            return []
        upper, lower, spread, trend, side = self.rule
        if (g.upper_move, g.lower_move, g.spread) != (upper, lower, spread):
            return []
        if trend and g.trend != trend:
            return []
        if side == "trend":
            if not g.trend:
                return []
            side = "bull" if g.trend > 0 else "bear"
        return [_breakout(self.key, g, side)]


class _Channel(SwingDetector):
    """Rising, falling or horizontal channel, traded from the line the last swing touched."""

    kind = "chart"

    def __init__(self, key: str, move: Move, *, swings: int) -> None:
        self.key, self.move, self.needs = key, move, swings

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        g = geometry(ctx, k, self.needs)
        if g is None or g.spread != "parallel":
            return []
        if (g.upper_move, g.lower_move) != (self.move, self.move):
            return []
        at_floor = g.points[-1].kind == "low"
        if (self.move == "up" and not at_floor) or (self.move == "down" and at_floor):
            return []  # a rising channel is bought at its floor, a falling one sold at its roof
        bar = g.points[-1].confirm_index
        direction: Literal["bull", "bear"] = "bull" if at_floor else "bear"
        start, aim = (g.lower, g.upper) if at_floor else (g.upper, g.lower)
        sign = 1.0 if at_floor else -1.0
        return [
            Candidate(
                key=self.key,
                kind="chart",
                direction=direction,
                points=g.points,
                target=aim.at(bar),
                failure=start.at(bar) - sign * g.scale,
                quality=1.0 - max(g.upper.rmse_atr, g.lower.rmse_atr),
                touches=len(g.points),
                lines=_lines(g),
            )
        ]


class _Diamond(SwingDetector):
    """Broadening swings, then converging ones, after a rise (top) or a fall (bottom)."""

    kind = "chart"
    needs = 8

    def __init__(self, key: str, *, top: bool) -> None:
        self.key, self.top = key, top

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        if k + 1 < self.needs:
            return []
        left = geometry(ctx, k - 3, 5, fit_atr=0.5)
        right = geometry(ctx, k, 5, fit_atr=0.5)
        if left is None or right is None:
            return []
        if (left.upper_move, left.lower_move, left.spread) != ("up", "down", "diverge"):
            return []
        if (right.upper_move, right.lower_move, right.spread) != ("down", "up", "converge"):
            return []
        if left.trend != (1 if self.top else -1):
            return []
        cand = _breakout(self.key, right, "bear" if self.top else "bull", reach=left.height)
        points = ctx.swings[k + 1 - self.needs : k + 1]
        return [replace(cand, points=points, lines=_lines(left) + _lines(right))]


class _Flag(SwingDetector):
    """Bull/bear flag (a parallel channel against the pole) or pennant (a small triangle)."""

    kind = "chart"
    needs = 5

    def __init__(self, key: str, *, bull: bool, pennant: bool, pole_atr: float = 6.0) -> None:
        self.key, self.bull, self.pennant, self.pole_atr = key, bull, pennant, pole_atr

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        # bull: pole start (low), pole top (high), low, high, low; then a break above the flag
        if k < self.needs or ctx.swings[k].kind != ("low" if self.bull else "high"):
            return []
        g = geometry(ctx, k, 4)
        if g is None:
            return []
        start, top = ctx.swings[k - 4], ctx.swings[k - 3]
        pole = (top.price - start.price) * (1 if self.bull else -1)
        if pole < max(self.pole_atr * g.scale, 3.0 * g.height):
            return []
        if top.index - start.index > g.last - g.first:  # the pole is quicker than the flag
            return []
        against = "down" if self.bull else "up"
        if self.pennant:
            ok = (g.upper_move, g.lower_move, g.spread) == ("down", "up", "converge")
        else:
            ok = g.spread == "parallel" and g.upper_move == g.lower_move == against
        if not ok:
            return []
        cand = _breakout(self.key, g, "bull" if self.bull else "bear", reach=pole)
        return [replace(cand, points=ctx.swings[k - 4 : k + 1])]


def line_detectors() -> list[SwingDetector]:
    """The two-line chart detectors, in registry order."""
    out: list[SwingDetector] = [_Breakout(key) for key in BREAKOUTS]
    out += [
        _Channel("rising_channel", "up", swings=5),
        _Channel("falling_channel", "down", swings=5),
        _Channel("horizontal_channel", "flat", swings=6),
        _Diamond("diamond_top", top=True),
        _Diamond("diamond_bottom", top=False),
        _Flag("bull_flag", bull=True, pennant=False),
        _Flag("bear_flag", bull=False, pennant=False),
        _Flag("bull_pennant", bull=True, pennant=True),
        _Flag("bear_pennant", bull=False, pennant=True),
    ]
    return out
