"""Candidate signals: what each source proposes before fusion and the quality gate.

A candidate carries a direction, a strength (the probability that it works, in [0, 1]: 0.5 is
no edge), entry, target, stop and an expiry. Two built-in converters:

* :func:`signal_from_forecast`: direction from the median move at the chosen horizon net of the
  spread (no signal when the median does not clear the spread); strength is
  ``Phi(net move / sigma)`` where ``sigma`` is the normal-equivalent scale of the forecast's
  central interval (``(q_hi - q_lo) / (z_hi - z_lo)``), i.e. the move over the interval width;
  target at the ``target_level`` quantile on the signal's side (0.75 for a bull), stop at the
  ``stop_level`` quantile on the other side (0.10 for a bull; half the interval when that
  quantile is not against the entry). Valid until the horizon's bar.
* :func:`signal_from_pattern`: direction from the event, strength from the caller's calibrated
  score, target and stop from the event's measured move and invalidation price (one ATR where
  those are missing or on the wrong side), valid for the event's ``horizon_bars``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal

import pandas as pd

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Forecast, PatternEvent, check_trade_levels

__all__ = ["Candidate", "signal_from_forecast", "signal_from_pattern"]

_NORMAL = NormalDist()
DEFAULT_PATTERN_BARS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A source's proposal.

    Attributes
    ----------
    source
        ``pattern``, ``forecast`` or a registered source's name.
    detail
        What within the source: the pattern key, the model id.
    timestamp
        Open time of the bar on whose close the candidate was made.
    """

    source: str
    detail: str
    direction: Literal["bull", "bear"]
    strength: float
    entry_price: float
    target_price: float
    stop_price: float
    timestamp: pd.Timestamp
    valid_until: pd.Timestamp
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_trade_levels(self, f"Candidate from {self.source}")


def signal_from_forecast(
    forecast: Forecast,
    *,
    bar: pd.Timedelta,
    spread: float,
    horizon: int | None = None,
    band: tuple[float, float] = (0.1, 0.9),
    target_level: float = 0.75,
) -> Candidate | None:
    """The candidate a forecast makes at ``horizon`` (default: its longest), or ``None`` when
    its median move does not clear ``spread`` (a price difference)."""
    h = max(forecast.horizons) if horizon is None else horizon
    lo_level, hi_level = band
    if not 0.0 < lo_level < 0.5 < hi_level < 1.0 or not 0.5 < target_level < 1.0:
        raise ConfigError(f"forecast band {band} / target level {target_level} are not usable")
    entry = forecast.origin_price
    move = forecast.median(h) - entry
    if abs(move) <= spread:
        return None
    direction: Literal["bull", "bear"] = "bull" if move > 0 else "bear"
    lo, hi = forecast.quantile(lo_level, h), forecast.quantile(hi_level, h)
    width = hi - lo
    if width <= 0:  # a degenerate forecast: no interval to place the stop with
        return None
    sigma = width / (_NORMAL.inv_cdf(hi_level) - _NORMAL.inv_cdf(lo_level))
    strength = _NORMAL.cdf((abs(move) - spread) / sigma)
    if direction == "bull":
        target = forecast.quantile(target_level, h)
        stop = lo if lo < entry else entry - width / 2
    else:
        target = forecast.quantile(1.0 - target_level, h)
        stop = hi if hi > entry else entry + width / 2
    return Candidate(
        source="forecast",
        detail=forecast.model_id,
        direction=direction,
        strength=float(strength),
        entry_price=entry,
        target_price=float(target),
        stop_price=float(stop),
        timestamp=forecast.origin_ts,
        valid_until=forecast.origin_ts + h * bar,
        metadata={"horizon": h, "median_move": move, "interval_width": width},
    )


def signal_from_pattern(
    event: PatternEvent,
    *,
    entry_price: float,
    atr: float,
    bar: pd.Timedelta,
    strength: float,
    family: str | None = None,
) -> Candidate | None:
    """The candidate a pattern event makes at its confirmation bar (``None`` if neutral)."""
    if event.direction == "neutral":
        return None
    sign = 1 if event.direction == "bull" else -1
    target = event.target_price
    if target is None or target != target or sign * (target - entry_price) <= 0:
        target = entry_price + sign * atr
    stop = event.failure_price
    if stop is None or stop != stop or sign * (entry_price - stop) <= 0:
        stop = entry_price - sign * atr
    bars = event.horizon_bars or DEFAULT_PATTERN_BARS
    return Candidate(
        source="pattern",
        detail=event.pattern_key,
        direction=event.direction,
        strength=float(strength),
        entry_price=entry_price,
        target_price=float(target),
        stop_price=float(stop),
        timestamp=event.confirm_ts,
        valid_until=event.confirm_ts + bars * bar,
        metadata={
            "kind": event.kind,
            "family": family or event.kind,
            "raw_score": event.score,
            "state": event.state,
        },
    )
