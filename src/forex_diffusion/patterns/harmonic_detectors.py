"""Harmonic (XABCD) and Elliott-wave patterns on confirmed swings.

Harmonic patterns (Carney's ratios; each range is widened by the relative ``tolerance``, 5 % by
default) complete at D; the confirmed swing at D (price already turned ``threshold`` ATRs away
from it) is the confirmation. Bull patterns end on a swing low. Target: 61.8 % of AD back from
D; invalidation: 1 ATR beyond D.

=========== ========== ============ ================= ==============
pattern     B (of XA)  C            D                 CD / BC
=========== ========== ============ ================= ==============
gartley     0.618      0.382-0.886  0.786 of XA       1.13-1.618
bat         0.382-0.5  0.382-0.886  0.886 of XA       1.618-2.618
butterfly   0.786      0.382-0.886  1.27-1.618 of XA  1.618-2.618
crab        0.382-0.618 0.382-0.886 1.618 of XA       2.24-3.618
cypher      0.382-0.618 XC = 1.13-1.414 XA  0.786 of XC  -
shark       0.382-0.618 BC = 1.13-1.618 AB  0.886-1.13 of XC  -
=========== ========== ============ ================= ==============

``abcd``: C retraces 0.382-0.886 of AB, CD is 1.13-2.618 of BC and 0.9-1.11 of AB (AB = CD).
``three_drives``: three pushes,
each retracement 0.618-0.786 of the drive before it, each drive 1.272-1.618 of that retracement.

Elliott waves (the three hard rules): ``elliott_impulse_*`` is waves 1-4 of an impulse, seen when
wave 4 is confirmed and wave 2 has not retraced all of wave 1, wave 4 has not entered wave 1's
range; it confirms when price passes the end of wave 3 (wave 5 under way). Its target is the
end of wave 4 plus wave 1's length, capped so wave 3 is not the shortest; its invalidation is
the end of wave 1 (an overlap breaks the count). ``elliott_corrective_abc_*`` is a finished
A-B-C against the trend (B retraces 0.382-0.786 of A, C passes A's end and is 0.9-1.272 of A),
confirmed when C's swing is; the bull one is a downward correction, expecting a rise.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from forex_diffusion.patterns.primitives import Swing
from forex_diffusion.patterns.swing_patterns import (
    Candidate,
    SwingContext,
    SwingDetector,
    last_swings,
)

__all__ = ["HARMONIC_RATIOS", "harmonic_detectors", "wave_detectors"]

Range = tuple[float, float]


@dataclass(frozen=True)
class Ratios:
    """A harmonic pattern's Fibonacci ranges (``None``: not constrained)."""

    b: Range  # AB / XA
    c: Range | None  # BC / AB
    d: Range  # AD / XA, or CD / XC when ``d_of_xc``
    cd_bc: Range | None = None
    xc: Range | None = None  # |XC| / |XA| (C beyond A)
    d_of_xc: bool = False


HARMONIC_RATIOS: dict[str, Ratios] = {
    "gartley": Ratios(b=(0.618, 0.618), c=(0.382, 0.886), d=(0.786, 0.786), cd_bc=(1.13, 1.618)),
    "bat": Ratios(b=(0.382, 0.5), c=(0.382, 0.886), d=(0.886, 0.886), cd_bc=(1.618, 2.618)),
    "butterfly": Ratios(b=(0.786, 0.786), c=(0.382, 0.886), d=(1.27, 1.618), cd_bc=(1.618, 2.618)),
    "crab": Ratios(b=(0.382, 0.618), c=(0.382, 0.886), d=(1.618, 1.618), cd_bc=(2.24, 3.618)),
    "cypher": Ratios(b=(0.382, 0.618), c=None, xc=(1.13, 1.414), d=(0.786, 0.786), d_of_xc=True),
    "shark": Ratios(b=(0.382, 0.618), c=(1.13, 1.618), d=(0.886, 1.13), d_of_xc=True),
}


def _fit(value: float, bounds: Range | None, tolerance: float) -> float | None:
    """How far outside ``bounds`` widened by ``tolerance`` the value is, in [0, 1] (0: inside
    the unwidened range), or ``None`` when it is outside the widened range."""
    if bounds is None:
        return 0.0
    lo, hi = bounds
    slack = tolerance * (lo + hi) / 2
    if lo <= value <= hi:
        return 0.0
    miss = lo - value if value < lo else value - hi
    return miss / slack if miss <= slack else None


def _score(misses: Sequence[float | None]) -> float | None:
    if any(m is None for m in misses):
        return None
    return 1.0 - 0.5 * max((m for m in misses if m is not None), default=0.0)


class _Harmonic(SwingDetector):
    kind = "harmonic"
    needs = 5

    def __init__(self, name: str, *, bull: bool, tolerance: float = 0.05) -> None:
        self.key = f"{name}_{'bull' if bull else 'bear'}"
        self.name, self.bull, self.tolerance = name, bull, tolerance
        self.ratios = HARMONIC_RATIOS[name]

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        pts = last_swings(ctx, k, 5, "low" if self.bull else "high")
        if pts is None:
            return []
        s = 1.0 if self.bull else -1.0  # bull: X low, A high, B low, C high, D low
        x, a, b, c, d = (s * p.price for p in pts)
        r, tol = self.ratios, self.tolerance
        xa, ab, bc, cd = a - x, a - b, c - b, c - d
        if min(xa, ab, bc, cd) <= 0 or (r.d_of_xc and c <= a):
            return []  # (cypher and shark: C beyond A)
        misses = [_fit(ab / xa, r.b, tol), _fit(bc / ab, r.c, tol)]
        if r.xc is not None:
            misses.append(_fit((c - x) / xa, r.xc, tol))
        if r.cd_bc is not None:
            misses.append(_fit(cd / bc, r.cd_bc, tol))
        misses.append(_fit(cd / (c - x) if r.d_of_xc else (a - d) / xa, r.d, tol))
        quality = _score(misses)
        if quality is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        return [_completion(self, pts, s, d, a - d, scale, quality)]


def _completion(
    det: SwingDetector,
    pts: Sequence[Swing],
    s: float,
    end: float,
    swing: float,
    scale: float,
    quality: float,
) -> Candidate:
    """A pattern confirmed at its last swing (``end``, ``swing``: its price and the move to
    retrace, both in the pattern's sign)."""
    return Candidate(
        key=det.key,
        kind=det.kind,
        direction="bull" if s > 0 else "bear",
        points=pts,
        target=s * (end + 0.618 * swing),
        failure=s * (end - scale),
        quality=quality,
        lines=[((p.index, p.price), (q.index, q.price)) for p, q in itertools.pairwise(pts)],
    )


class _ABCD(SwingDetector):
    kind = "harmonic"
    needs = 4

    def __init__(self, *, bull: bool, tolerance: float = 0.05) -> None:
        self.key = f"abcd_{'bull' if bull else 'bear'}"
        self.bull, self.tolerance = bull, tolerance

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        pts = last_swings(ctx, k, 4, "low" if self.bull else "high")
        if pts is None:
            return []
        s = 1.0 if self.bull else -1.0  # bull: A high, B low, C high, D low
        a, b, c, d = (s * p.price for p in pts)
        ab, bc, cd = a - b, c - b, c - d
        if min(ab, bc, cd) <= 0 or d >= b:
            return []
        quality = _score(
            [
                _fit(bc / ab, (0.382, 0.886), self.tolerance),
                _fit(cd / bc, (1.13, 2.618), self.tolerance),
                _fit(cd / ab, (0.9, 1.11), self.tolerance),  # AB = CD
            ]
        )
        if quality is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        return [_completion(self, pts, s, d, a - d, scale, quality)]


class _ThreeDrives(SwingDetector):
    kind = "harmonic"
    needs = 6

    def __init__(self, *, bull: bool, tolerance: float = 0.05) -> None:
        self.key = f"three_drives_{'bull' if bull else 'bear'}"
        self.bull, self.tolerance = bull, tolerance

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        pts = last_swings(ctx, k, 6, "low" if self.bull else "high")
        if pts is None:
            return []
        s = -1.0 if self.bull else 1.0  # bull drives push down: mirror them into up-drives
        x, d1, a, d2, b, d3 = (s * p.price for p in pts)
        if not (x < d1 < d2 < d3 and a < d1 and b < d2):
            return []
        tol = self.tolerance
        quality = _score(
            [
                _fit((d1 - a) / (d1 - x), (0.618, 0.786), tol),
                _fit((d2 - a) / (d1 - a), (1.272, 1.618), tol),
                _fit((d2 - b) / (d2 - a), (0.618, 0.786), tol),
                _fit((d3 - b) / (d2 - b), (1.272, 1.618), tol),
            ]
        )
        if quality is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        # in the pattern's own sign the last drive ends at -d3 and retraces toward -a
        return [_completion(self, pts, -s, -d3, d3 - a, scale, quality)]


class _Impulse(SwingDetector):
    kind = "wave"
    needs = 5

    def __init__(self, *, bull: bool) -> None:
        self.key = f"elliott_impulse_{'bull' if bull else 'bear'}"
        self.bull = bull

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        pts = last_swings(ctx, k, 5, "low" if self.bull else "high")
        if pts is None:
            return []
        s = 1.0 if self.bull else -1.0  # bull: 0 low, 1 high, 2 low, 3 high, 4 low
        w0, w1, w2, w3, w4 = (s * p.price for p in pts)
        one, three = w1 - w0, w3 - w2
        if not (w2 > w0 and w3 > w1 and w4 > w1):  # rule 1, progress, rule 3
            return []
        five = one if three >= one else min(one, three)  # rule 2: wave 3 not the shortest
        retrace = (w1 - w2) / one
        quality = 1.0 - 0.5 * min(abs(retrace - 0.618) / 0.618, 1.0)
        at = float(pts[-1].confirm_index)
        return [
            Candidate(
                key=self.key,
                kind="wave",
                direction="bull" if self.bull else "bear",
                points=pts,
                target=s * (w4 + five),
                failure=s * w1,
                quality=quality,
                breakout=lambda bars: s * w3 + 0.0 * bars,
                lines=[((pts[3].index, s * w3), (at, s * w3))],
            )
        ]


class _Corrective(SwingDetector):
    kind = "wave"
    needs = 4

    def __init__(self, *, bull: bool, tolerance: float = 0.05) -> None:
        self.key = f"elliott_corrective_abc_{'bull' if bull else 'bear'}"
        self.bull, self.tolerance = bull, tolerance

    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        pts = last_swings(ctx, k, 4, "low" if self.bull else "high")
        if pts is None:
            return []
        s = 1.0 if self.bull else -1.0  # bull: start high, A low, B high, C low
        o, a, b, c = (s * p.price for p in pts)
        wave_a = o - a
        if wave_a <= 0 or c >= a or b >= o:
            return []
        quality = _score(
            [
                _fit((b - a) / wave_a, (0.382, 0.786), self.tolerance),
                _fit((b - c) / wave_a, (0.9, 1.272), self.tolerance),
            ]
        )
        if quality is None:
            return []
        scale = float(ctx.atr[pts[-1].confirm_index])
        return [_completion(self, pts, s, c, o - c, scale, quality)]


def harmonic_detectors(tolerance: float = 0.05) -> list[SwingDetector]:
    """The harmonic detectors (``tolerance``: relative widening of every Fibonacci range)."""
    out: list[SwingDetector] = []
    for name in HARMONIC_RATIOS:
        out += [_Harmonic(name, bull=True, tolerance=tolerance)]
        out += [_Harmonic(name, bull=False, tolerance=tolerance)]
    out += [_ABCD(bull=True, tolerance=tolerance), _ABCD(bull=False, tolerance=tolerance)]
    out += [_ThreeDrives(bull=True, tolerance=tolerance)]
    out += [_ThreeDrives(bull=False, tolerance=tolerance)]
    return out


def wave_detectors() -> list[SwingDetector]:
    """The Elliott-wave detectors."""
    return [
        _Impulse(bull=True),
        _Impulse(bull=False),
        _Corrective(bull=True),
        _Corrective(bull=False),
    ]
