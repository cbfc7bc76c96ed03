"""``PatternRegistry``: every detector behind one interface, vectorised or bar by bar.

>>> from forex_diffusion.data import load_sample
>>> registry = PatternRegistry()
>>> events = registry.scan(load_sample("EURUSD", "H1"))           # one row per event
>>> sorted(set(events["kind"]))
['candle', 'chart', 'harmonic', 'wave']
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import PatternEvent
from forex_diffusion.patterns.candle_catalogue import ALIASES, CANDLES
from forex_diffusion.patterns.chart_detectors import chart_detectors
from forex_diffusion.patterns.chart_lines import line_detectors
from forex_diffusion.patterns.harmonic_detectors import harmonic_detectors, wave_detectors
from forex_diffusion.patterns.swing_patterns import (
    BarDetector,
    SwingContext,
    SwingDetector,
    scan_swing_detectors,
    scan_swing_incremental,
)
from forex_diffusion.patterns.vectorized_detectors import (
    CandleContext,
    CandleDetector,
    candle_detectors,
    events_from_frame,
    scan_frame,
    scan_incremental,
    window_bars,
)

__all__ = ["KINDS", "Detector", "PatternRegistry"]

KINDS = ("candle", "chart", "harmonic", "wave")

Detector = CandleDetector | SwingDetector | BarDetector
"""Any detector: each has ``key``, ``kind`` and ``detect(candles) -> list[PatternEvent]``."""


class PatternRegistry:
    """All pattern detectors.

    Parameters
    ----------
    use_vectorized
        ``True`` (default): whole-array evaluation, the fast path. ``False``: bar by bar,
        incrementally, as the live engine sees bars. Both give the same events (tested).
    """

    def __init__(self, use_vectorized: bool = True) -> None:
        self.use_vectorized = use_vectorized
        self._detectors: dict[str, CandleDetector] = {d.key: d for d in candle_detectors()}
        by_key = {info.key: info for info in CANDLES}
        self._aliases = {
            alias: CandleDetector(by_key[base], key=alias, only=only)
            for alias, (base, only) in ALIASES.items()
        }
        swing = [*chart_detectors(), *line_detectors(), *harmonic_detectors(), *wave_detectors()]
        self._swing: dict[str, SwingDetector | BarDetector] = {d.key: d for d in swing}

    @staticmethod
    def _kinds(kinds: Iterable[str] | str | None) -> set[str]:
        if kinds is None:
            return set(KINDS)
        wanted = {kinds} if isinstance(kinds, str) else set(kinds)
        unknown = wanted - set(KINDS)
        if unknown:
            raise ConfigError(
                f"unknown pattern kind(s) {sorted(unknown)} (known: {', '.join(KINDS)})"
            )
        return wanted

    def detectors(self, kinds: Iterable[str] | str | None = None) -> list[Detector]:
        """Detector objects of the given kinds (all 116 by default, e.g. ``["chart", "candle"]``),
        in :meth:`scan`'s order: the candle detectors, then the chart, harmonic and wave ones;
        aliases not included. Each one's ``detect(candles)`` gives :meth:`detect`'s events of
        its key."""
        return [*self._candle_detectors(kinds), *self.swing_detectors(kinds)]

    def _candle_detectors(self, kinds: Iterable[str] | str | None = None) -> list[CandleDetector]:
        """The candle detectors, if ``kinds`` includes ``candle``."""
        wanted = self._kinds(kinds)
        return [d for d in self._detectors.values() if d.kind in wanted]

    def swing_detectors(
        self, kinds: Iterable[str] | str | None = None
    ) -> list[SwingDetector | BarDetector]:
        """The chart, harmonic and wave detectors of the given kinds (all by default)."""
        wanted = self._kinds(kinds)
        return [d for d in self._swing.values() if d.kind in wanted]

    def keys(self) -> list[str]:
        """Detector keys, sorted."""
        return sorted([*self._detectors, *self._swing])

    def aliases(self) -> dict[str, str]:
        """Alias key -> detector key (``bullish_engulfing`` -> ``engulfing``, bull only)."""
        return {alias: det.info.key for alias, det in self._aliases.items()}

    def get(self, key: str) -> CandleDetector | SwingDetector | BarDetector:
        """A detector or alias by key; unknown keys get close-match suggestions."""
        found = self._detectors.get(key) or self._aliases.get(key) or self._swing.get(key)
        if found is None:
            names = list(self._detectors) + list(self._aliases) + list(self._swing)
            close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            count = len(self._detectors) + len(self._swing)
            raise ConfigError(f"unknown pattern {key!r}{hint} ({count} detectors)")
        return found

    def scan(
        self,
        candles: pd.DataFrame,
        kinds: Iterable[str] | str | None = None,
        since: pd.Timestamp | str | None = None,
    ) -> pd.DataFrame:
        """Every event as one row (columns: ``EVENT_COLUMNS`` and ``overlay``), ordered by
        confirmation time and then by detector (candles in TA-Lib's order, then chart, harmonic
        and wave detectors). Key, kind, direction and state are categoricals over every
        registered value, so frames of different scans compare and concatenate.

        ``since`` keeps events confirmed at or after that time.
        """
        candles_of = self._candle_detectors(kinds)
        detectors = candles_of or self._candle_detectors("candle")[:1]  # (for the columns)
        if not candles_of:
            events = scan_frame(detectors, CandleContext.from_candles(candles.iloc[:0]))
        elif self.use_vectorized:
            events = scan_frame(detectors, CandleContext.from_candles(candles))
        else:
            events = scan_incremental(candles, detectors)
        events = self._typed(events.assign(overlay=None))
        swing = self.swing_detectors(kinds)
        if swing and len(candles):
            if self.use_vectorized:
                found = scan_swing_detectors(swing, SwingContext.from_candles(candles))
            else:
                found = scan_swing_incremental(candles, swing)
            if not found.empty:
                events = pd.concat([events, self._typed(found)], ignore_index=True)
                events = events.sort_values("confirm_ts", kind="stable", ignore_index=True)
        if since is not None:
            cutoff = pd.Timestamp(since)
            cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff
            events = events[events["confirm_ts"] >= cutoff].reset_index(drop=True)
        return events

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        categories = {
            "pattern_key": [*self._detectors, *self._aliases, *self._swing],
            "kind": list(KINDS),
            "direction": ["bull", "bear", "neutral"],
            "state": ["forming", "confirmed"],
        }
        types = {c: pd.CategoricalDtype(v) for c, v in categories.items()}
        return frame.astype({**types, "touches": "Int64"})

    def detect(
        self, candles: pd.DataFrame, kinds: Iterable[str] | str | None = None
    ) -> list[PatternEvent]:
        """:meth:`scan` as ``PatternEvent`` objects."""
        return events_from_frame(self.scan(candles, kinds))

    def detect_latest(
        self, candles: pd.DataFrame, kinds: Iterable[str] | str | None = None
    ) -> list[PatternEvent]:
        """Only the events of the last closed bar: what the engine trades.

        Candles: TA-Lib runs on the trailing window it needs; ATR and the volume average come
        from the whole frame, so the events equal those of :meth:`scan` on that bar. Chart,
        harmonic and wave patterns depend on the swings of the whole frame: they are scanned
        over it (linear in its length; a live loop keeps an :class:`IncrementalSwingScanner`
        instead, which costs the same on every bar).
        """
        if candles.empty:
            return []
        swing = self.swing_detectors(kinds)
        latest: list[PatternEvent] = []
        if swing:
            rows = scan_swing_detectors(
                swing, SwingContext.from_candles(candles), since=len(candles) - 1
            )
            latest = events_from_frame(self._typed(rows))
        detectors = self._candle_detectors(kinds)
        if not detectors:
            return latest
        full = CandleContext.from_candles(candles)
        size = min(window_bars(), len(candles))
        tail = slice(len(candles) - size, len(candles))
        ctx = CandleContext(
            full.open[tail],
            full.high[tail],
            full.low[tail],
            full.close[tail],
            full.atr[tail],
            full.volume_ratio[tail],
            full.index[tail],
        )
        found = scan_frame(detectors, ctx, positions=np.array([size - 1]))
        return events_from_frame(found) + latest
