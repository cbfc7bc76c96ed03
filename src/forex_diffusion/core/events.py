"""Immutable event messages passed between stages (DESIGN.md section 2).

Frozen, slotted, keyword-only dataclasses. ORM rows live in ``storage``; repositories convert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

__all__ = ["PatternEvent", "PatternKind", "PatternState"]

PatternKind = Literal["candle", "chart", "harmonic", "wave"]
PatternState = Literal["forming", "confirmed"]
_KINDS = ("candle", "chart", "harmonic", "wave")
_DIRECTIONS = ("bull", "bear", "neutral")
_STATES = ("forming", "confirmed")


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternEvent:
    """A detected pattern.

    Attributes
    ----------
    pattern_key
        Detector key, e.g. ``"hammer"``.
    kind
        ``candle``, ``chart``, ``harmonic`` or ``wave``.
    direction
        ``bull``, ``bear`` or ``neutral``.
    start_ts, confirm_ts
        Open times (tz-aware UTC) of the pattern's first bar and of the last bar the detector
        needed: the bar on which the engine can act.
    state
        ``forming`` while the geometry holds but is unconfirmed, ``confirmed`` once complete.
    score
        Quality in [0, 1], a pure function of bars up to ``confirm_ts``.
    scale_atr
        Pattern height in ATR units.
    touches
        Line touches (chart patterns), ``None`` where not applicable.
    bars_span
        Bars from ``start_ts`` to ``confirm_ts`` inclusive.
    target_price, failure_price
        Measured-move target and invalidation price (``None`` for neutral patterns).
    horizon_bars
        Bars over which the target is expected.
    overlay
        Geometry to draw (JSON-serialisable).
    """

    pattern_key: str
    kind: PatternKind
    direction: Literal["bull", "bear", "neutral"]
    start_ts: pd.Timestamp
    confirm_ts: pd.Timestamp
    state: PatternState
    score: float
    scale_atr: float | None = None
    touches: int | None = None
    bars_span: int = 1
    target_price: float | None = None
    failure_price: float | None = None
    horizon_bars: int | None = None
    overlay: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"PatternEvent.kind must be one of {_KINDS}, got {self.kind!r}")
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"PatternEvent.direction must be one of {_DIRECTIONS}")
        if self.state not in _STATES:
            raise ValueError(f"PatternEvent.state must be one of {_STATES}, got {self.state!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"PatternEvent.score must be in [0, 1], got {self.score}")
        for name in ("start_ts", "confirm_ts"):
            ts = getattr(self, name)
            if not isinstance(ts, pd.Timestamp) or ts.tzinfo is None:
                raise ValueError(f"PatternEvent.{name} must be a tz-aware pandas Timestamp")
        if self.confirm_ts < self.start_ts:
            raise ValueError("PatternEvent.confirm_ts is before start_ts")
