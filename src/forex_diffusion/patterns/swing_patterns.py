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

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from forex_diffusion.core.events import PatternEvent
from forex_diffusion.data.candles import index_ns
from forex_diffusion.patterns.primitives import Swing, atr, atr_or_range, swings
from forex_diffusion.patterns.vectorized_detectors import EVENT_COLUMNS, events_from_frame

__all__ = [
    "BarDetector",
    "Candidate",
    "IncrementalSwingScanner",
    "SwingContext",
    "SwingDetector",
    "detect_swing",
    "last_swings",
    "level_breakout",
    "scan_swing_detectors",
    "scan_swing_incremental",
]

SWING_THRESHOLD = 2.0
"""Zigzag reversal in ATRs for pattern swings."""
MEMO_ENTRIES = 256
"""Results an :class:`IncrementalSwingScanner` shares between detectors before it starts
over (a cache of pure functions of past swings: only the recent ones are asked for again)."""


@dataclass(frozen=True)
class SwingContext:
    """What swing detectors read: prices, ATR and the confirmed swings."""

    times: np.ndarray
    """Bar open times, epoch nanoseconds (UTC)."""
    close: np.ndarray
    high: np.ndarray
    low: np.ndarray
    atr: np.ndarray
    swings: list[Swing]
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False)
    """Results shared between detectors (the two-line geometry of a run of swings)."""

    def time(self, bar: int) -> pd.Timestamp:
        """The open time of ``bar``."""
        return pd.Timestamp(int(self.times[bar]), tz="UTC")

    @classmethod
    def from_candles(
        cls, candles: pd.DataFrame, *, threshold: float = SWING_THRESHOLD
    ) -> SwingContext:
        high, low = candles["high"].to_numpy(float), candles["low"].to_numpy(float)
        scale = atr_or_range(high, low, atr(candles))
        return cls(
            index_ns(candles.index),
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


def last_swings(ctx: SwingContext, k: int, n: int, kind: str) -> Sequence[Swing] | None:
    """The ``n`` swings ending at swing ``k`` when it is a swing ``kind`` (``high``/``low``),
    else ``None``."""
    if k + 1 < n or ctx.swings[k].kind != kind:
        return None
    return ctx.swings[k + 1 - n : k + 1]


def level_breakout(
    key: str,
    *,
    bull: bool,
    points: Sequence[Swing],
    level: float,
    target: float,
    failure: float,
    quality: float,
    touches: int | None = None,
    line_from: int = 0,
) -> Candidate:
    """A chart candidate that confirms on a close through the horizontal ``level`` (drawn from
    point ``line_from`` to the last point's confirmation)."""
    start, end = points[line_from].index, points[-1].confirm_index
    return Candidate(
        key=key,
        kind="chart",
        direction="bull" if bull else "bear",
        points=points,
        target=target,
        failure=failure,
        quality=quality,
        breakout=lambda bars: np.full(len(bars), level),
        touches=touches,
        lines=[((start, level), (end, level))],
    )


class SwingDetector(ABC):
    """A detector over swings: ``key``, ``kind`` and :meth:`find` on the swings so far."""

    key: str
    kind: Literal["chart", "harmonic", "wave"]
    needs: int
    """Swings the geometry spans (the last ``needs`` confirmed swings are passed)."""

    @abstractmethod
    def find(self, ctx: SwingContext, k: int) -> list[Candidate]:
        """Candidates whose last point is swing ``k`` (it may read swings ``0..k`` only)."""

    def detect(self, candles: pd.DataFrame) -> list[PatternEvent]:
        """Every event in ``candles`` (vectorised): ``PatternRegistry().detect``'s of this key."""
        return detect_swing(self, candles)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


class BarDetector(ABC):
    """A detector of bar patterns completed on one bar (no swings needed): :meth:`find_bars`
    returns ``(completion bar, candidate)`` pairs, each from bars up to its completion."""

    key: str
    kind: Literal["chart", "harmonic", "wave"]
    window: int
    """Bars back from a completion that :meth:`find_bars` reads."""

    @abstractmethod
    def find_bars(self, ctx: SwingContext) -> list[tuple[int, Candidate]]:
        """``(completion bar, candidate)`` pairs over the bars of ``ctx``."""

    def detect(self, candles: pd.DataFrame) -> list[PatternEvent]:
        """Every event in ``candles`` (vectorised): ``PatternRegistry().detect``'s of this key."""
        return detect_swing(self, candles)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


def _row(ctx: SwingContext, cand: Candidate, at: int, state: str, scale: float) -> dict[str, Any]:
    first = cand.points[0].index
    height = max(p.price for p in cand.points) - min(p.price for p in cand.points)
    span = at - first + 1

    def point(bar: float, price: float) -> list[Any]:
        i = min(max(round(bar), 0), len(ctx.close) - 1)
        return [ctx.time(i).isoformat(), float(price)]

    overlay = {
        "type": cand.kind,
        "points": [point(p.index, p.price) for p in cand.points],
        "lines": [[point(*a), point(*b)] for a, b in cand.lines],
    }
    return {
        "pattern_key": cand.key,
        "kind": cand.kind,
        "direction": cand.direction,
        "start_ts": ctx.time(first),
        "confirm_ts": ctx.time(at),
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


def detect_swing(
    detector: SwingDetector | BarDetector, candles: pd.DataFrame
) -> list[PatternEvent]:
    """The events of one detector over ``candles``: :func:`scan_swing_detectors` on their
    :class:`SwingContext`, with the registry's nullable ``touches``, so they equal the events of
    that key in ``PatternRegistry().scan``."""
    if not len(candles):
        return []
    frame = scan_swing_detectors([detector], SwingContext.from_candles(candles))
    return events_from_frame(frame.astype({"touches": "Int64"}))


class IncrementalSwingScanner:
    """The swing detectors bar by bar, as the live engine sees bars: ``update`` takes one closed
    bar and returns the events of that bar (the rows :func:`scan_swing_detectors` gives for it).

    The zigzag is carried forward (the running extreme since the last swing and the reversal
    it waits for), ATR streams (Wilder, with the running mean of ranges as warm-up), detectors
    run when a swing is confirmed, and candidates wait in a list for their breakout, so a bar
    costs the same however long the history. The detectors' shared results (``memo``) are
    dropped every :data:`MEMO_ENTRIES` entries; the bars and swings themselves are kept (about
    60 bytes a bar).
    """

    def __init__(
        self,
        detectors: Sequence[SwingDetector | BarDetector],
        *,
        threshold: float = SWING_THRESHOLD,
        period: int = 14,
    ) -> None:
        from forex_diffusion.features.streaming import streaming

        self.detectors = list(detectors)
        self.threshold = threshold
        self.swings: list[Swing] = []
        self._atr = streaming({"atr": {"period": period}})
        self._range_sum, self._n = 0.0, 0
        self._cols = {c: np.zeros(1024) for c in ("high", "low", "close", "atr")}
        self._times = np.zeros(1024, dtype=np.int64)
        self._memo: dict[tuple[object, ...], object] = {}
        self._track: bool | None = None  # the next swing sought: True high, False low
        self._arg = (0, 0)  # running (high, low) extremes before the first swing; then (arg, -)
        self._pending: list[tuple[Candidate, int, int, int, float]] = []
        self._window = max(
            (d.window for d in self.detectors if isinstance(d, BarDetector)), default=0
        )

    def context(self) -> SwingContext:
        """The bars and swings so far."""
        n = self._n
        cols = self._cols
        return SwingContext(
            self._times[:n],
            cols["close"][:n],
            cols["high"][:n],
            cols["low"][:n],
            cols["atr"][:n],
            self.swings,
            self._memo,
        )

    def update(self, when: pd.Timestamp, bar: Mapping[str, float]) -> list[dict[str, Any]]:
        """Feed one closed bar; returns the event rows of that bar."""
        if len(self._memo) > MEMO_ENTRIES:  # recomputed when asked for: the same results
            self._memo.clear()
        j = self._append(when, bar)
        ctx = self.context()
        rows: list[tuple[int, dict[str, Any]]] = []
        if self._window and j + 1 >= 2:
            tail = max(0, j + 1 - self._window)
            part = SwingContext(
                ctx.times[tail:],
                ctx.close[tail:],
                ctx.high[tail:],
                ctx.low[tail:],
                ctx.atr[tail:],
                [],
            )
            for order, det in enumerate(self.detectors):
                if isinstance(det, BarDetector):
                    for at, cand in det.find_bars(part):
                        if at == j - tail and _open(part, cand, at):
                            rows.append(
                                (order, _row(part, cand, at, "confirmed", float(part.atr[at])))
                            )
        waiting = []
        for cand, order, after, stop, scale in self._pending:
            if j > stop:
                continue
            sign = 1.0 if cand.direction == "bull" else -1.0
            assert cand.breakout is not None
            level = float(cand.breakout(np.array([float(j)]))[0])
            crossed = sign * (ctx.close[j] - level) > 0
            failed = ctx.low[j] <= cand.failure if sign > 0 else ctx.high[j] >= cand.failure
            if crossed and not failed:
                if _open(ctx, cand, j):
                    rows.append((order, _row(ctx, cand, j, "confirmed", scale)))
            elif not failed:
                waiting.append((cand, order, after, stop, scale))
        self._pending = waiting
        for k in self._zigzag(j):
            rows += self._evaluate(ctx, k)
        rows.sort(key=lambda r: r[0])
        return [r[1] for r in rows]

    def _append(self, when: pd.Timestamp, bar: Mapping[str, float]) -> int:
        j = self._n
        if j == len(self._times):
            self._times = np.resize(self._times, 2 * j)
            self._cols = {c: np.resize(v, 2 * j) for c, v in self._cols.items()}
        h, lo, c = float(bar["high"]), float(bar["low"]), float(bar["close"])
        self._range_sum += h - lo
        value = self._atr.update(bar)
        self._times[j] = pd.Timestamp(when).value
        cols = self._cols
        cols["high"][j], cols["low"][j], cols["close"][j] = h, lo, c
        cols["atr"][j] = self._range_sum / (j + 1) if np.isnan(value) else value
        self._n = j + 1
        return j

    def _zigzag(self, j: int) -> list[int]:
        """Advance the zigzag with bar ``j``; returns the swings confirmed on it."""
        high, low, atr = self._cols["high"], self._cols["low"], self._cols["atr"]
        thr = self.threshold
        if self._track is None:  # the first swing, either way
            hi, lo = self._arg
            if high[j] > high[hi]:
                hi = j
            if low[j] < low[lo]:
                lo = j
            self._arg = (hi, lo)
            found = []
            if j > hi and low[j] <= high[hi] - thr * atr[hi]:
                found.append((j, hi, True))
            if j > lo and high[j] >= low[lo] + thr * atr[lo]:
                found.append((j, lo, False))
            if not found:
                return []
            confirm, extreme, up = min(found)
            return self._confirm(extreme, confirm, up)
        arg = self._arg[0]
        if self._track:
            if high[j] > high[arg]:
                arg = j
            hit = j > arg and low[j] <= high[arg] - thr * atr[arg]
        else:
            if low[j] < low[arg]:
                arg = j
            hit = j > arg and high[j] >= low[arg] + thr * atr[arg]
        self._arg = (arg, 0)
        return self._confirm(arg, j, self._track) if hit else []

    def _confirm(self, extreme: int, confirm: int, up: bool) -> list[int]:
        """Record a swing and start tracking the next one (as :func:`~.primitives.swings`)."""
        high, low = self._cols["high"], self._cols["low"]
        price = high[extreme] if up else low[extreme]
        self.swings.append(Swing("high" if up else "low", extreme, float(price), confirm))
        done = [len(self.swings) - 1]
        window = low[extreme + 1 : confirm + 1] if up else high[extreme + 1 : confirm + 1]
        anchor = extreme + 1 + int(np.argmin(window) if up else np.argmax(window))
        self._track, self._arg = not up, (anchor, 0)
        for j in range(anchor + 1, confirm + 1):  # bars already seen after the anchor
            done += self._zigzag(j)
        return done

    def _evaluate(self, ctx: SwingContext, k: int) -> list[tuple[int, dict[str, Any]]]:
        swing = ctx.swings[k]
        at, scale = swing.confirm_index, float(ctx.atr[swing.confirm_index])
        rows = []
        for order, det in enumerate(self.detectors):
            if isinstance(det, BarDetector) or k + 1 < det.needs:
                continue
            for cand in det.find(ctx, k):
                state = "confirmed" if cand.breakout is None else "forming"
                if _open(ctx, cand, at):
                    rows.append((order, _row(ctx, cand, at, state, scale)))
                if cand.breakout is not None:
                    width = at - cand.points[0].index
                    self._pending.append((cand, order, at, at + max(width, 5), scale))
        return rows


def scan_swing_incremental(
    candles: pd.DataFrame, detectors: Sequence[SwingDetector | BarDetector]
) -> pd.DataFrame:
    """:class:`IncrementalSwingScanner` over ``candles``, bar by bar (the live engine's view)."""
    scanner = IncrementalSwingScanner(detectors)
    values = {k: candles[k].to_numpy(float) for k in ("open", "high", "low", "close")}
    rows: list[dict[str, Any]] = []
    for i, when in enumerate(pd.DatetimeIndex(candles.index)):
        rows += scanner.update(when, {k: float(v[i]) for k, v in values.items()})
    frame = pd.DataFrame(rows, columns=[*EVENT_COLUMNS, "overlay"])
    if frame.empty:
        return frame.astype({"score": float, "target_price": float, "failure_price": float})
    return frame
