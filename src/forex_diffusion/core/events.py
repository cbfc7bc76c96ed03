"""Immutable event messages passed between stages (DESIGN.md section 2).

Frozen, slotted, keyword-only dataclasses. ORM rows live in ``storage``; repositories convert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "Fill",
    "Forecast",
    "FusedSignal",
    "Order",
    "PatternEvent",
    "PatternKind",
    "PatternState",
    "Position",
    "Trade",
    "check_trade_levels",
]

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


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Forecast:
    """A probabilistic price forecast made at ``origin_ts`` (the last bar it saw).

    Attributes
    ----------
    symbol, timeframe, model_id
        What was forecast and by which model.
    origin_ts
        The cutoff: open time of the last bar the model saw (tz-aware UTC).
    origin_price
        That bar's close, the reference for moves and direction.
    horizons
        Bars ahead, ascending (``(1, 4, 12, 24)``).
    quantile_levels
        Levels in (0, 1), ascending.
    quantiles
        Prices, shape ``(len(horizons), len(quantile_levels))``, non-decreasing along levels.
    samples
        Optional sample paths of prices at the horizons, shape ``(n, len(horizons))``.
    """

    symbol: str
    timeframe: str
    origin_ts: pd.Timestamp
    origin_price: float
    horizons: tuple[int, ...]
    quantile_levels: tuple[float, ...]
    quantiles: np.ndarray
    model_id: str
    samples: np.ndarray | None = None

    def __post_init__(self) -> None:
        q = np.asarray(self.quantiles, dtype=float)
        if q.shape != (len(self.horizons), len(self.quantile_levels)):
            raise ValueError(
                f"Forecast.quantiles must have shape (horizons, levels) = "
                f"{(len(self.horizons), len(self.quantile_levels))}, got {q.shape}"
            )
        if list(self.horizons) != sorted(set(self.horizons)) or min(self.horizons) < 1:
            raise ValueError("Forecast.horizons must be distinct positive bar counts, ascending")
        levels = np.asarray(self.quantile_levels)
        if (np.diff(levels) <= 0).any() or levels.min() <= 0 or levels.max() >= 1:
            raise ValueError("Forecast.quantile_levels must be ascending and inside (0, 1)")
        if not np.isfinite(q).all() or (np.diff(q, axis=1) < 0).any():
            raise ValueError("Forecast.quantiles must be finite and non-decreasing in the level")
        if self.origin_ts.tzinfo is None:
            raise ValueError("Forecast.origin_ts must be tz-aware")

    def quantile(self, q: float, h: int) -> float:
        """Price quantile ``q`` at horizon ``h`` bars (from the samples when present, else
        linear interpolation between the stored levels)."""
        if h not in self.horizons:
            raise KeyError(f"horizon {h} not in this forecast's horizons {self.horizons}")
        if not 0.0 < q < 1.0:
            raise ValueError(f"quantile level must be in (0, 1), got {q}")
        i = self.horizons.index(h)
        if self.samples is not None:
            return float(np.quantile(self.samples[:, i], q))
        return float(np.interp(q, self.quantile_levels, self.quantiles[i]))

    def median(self, h: int) -> float:
        """The median price at horizon ``h``."""
        return self.quantile(0.5, h)


@dataclass(frozen=True, slots=True, kw_only=True)
class FusedSignal:
    """A trade candidate after fusion and the quality gate.

    ``quality`` holds the six dimensions (``pattern_strength``, ``mtf_agreement``,
    ``regime_confidence``, ``volume_confirmation``, ``sentiment_alignment``,
    ``correlation_safety``), each in [0, 1], plus ``composite``.
    """

    signal_id: str
    source: str
    symbol: str
    timeframe: str
    direction: Literal["bull", "bear"]
    strength: float
    quality: Mapping[str, float]
    regime: str | None
    entry_price: float
    target_price: float
    stop_price: float
    timestamp: pd.Timestamp
    valid_until: pd.Timestamp
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_trade_levels(self, "FusedSignal")
        bad = {k: v for k, v in self.quality.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"FusedSignal.quality values must be in [0, 1]: {bad}")


def check_trade_levels(signal: Any, owner: str) -> None:
    """Validate the trade fields shared by candidates and fused signals: direction bull or bear,
    strength in [0, 1], finite prices with the target beyond the entry and the stop against it,
    and ``valid_until`` after ``timestamp``; a ``ValueError`` names ``owner`` and the field."""
    if signal.direction not in ("bull", "bear"):
        raise ValueError(f"{owner}.direction must be bull or bear, got {signal.direction!r}")
    if not 0.0 <= signal.strength <= 1.0:
        raise ValueError(f"{owner}.strength must be in [0, 1], got {signal.strength}")
    prices = (signal.entry_price, signal.target_price, signal.stop_price)
    if not all(np.isfinite(p) for p in prices):
        raise ValueError(f"{owner} prices must be finite, got {prices}")
    sign = 1 if signal.direction == "bull" else -1
    if sign * (signal.target_price - signal.entry_price) <= 0:
        raise ValueError(f"{owner}.target_price is not on the signal's side of the entry")
    if sign * (signal.entry_price - signal.stop_price) <= 0:
        raise ValueError(f"{owner}.stop_price is not against the signal's side of the entry")
    if signal.valid_until <= signal.timestamp:
        raise ValueError(f"{owner}.valid_until must be after its timestamp")


OrderType = Literal["market", "limit", "stop"]
OrderStatus = Literal["pending", "filled", "cancelled", "rejected"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """An order as the engine sent it and the broker last saw it.

    ``client_order_id`` is chosen by the engine from the run, series and bar, so a retried or
    resumed submission is recognised instead of duplicated. An order with ``position_key``
    closes that position; one without opens a new position with the protective levels given
    (``trailing_pips`` makes the stop trail the best price by that distance).
    """

    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    units: float
    created_ts: pd.Timestamp
    order_type: OrderType = "market"
    price: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_pips: float | None = None
    time_stop_bars: int | None = None
    position_key: str | None = None
    signal_id: str | None = None
    source: str | None = None
    status: OrderStatus = "pending"
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.side not in ("buy", "sell"):
            raise ValueError(f"Order.side must be buy or sell, got {self.side!r}")
        if not self.units > 0 or not np.isfinite(self.units):
            raise ValueError(f"Order.units must be positive, got {self.units}")
        if self.order_type not in ("market", "limit", "stop"):
            raise ValueError(
                f"Order.order_type must be market, limit or stop, got {self.order_type!r}"
            )
        if (self.order_type == "market") != (self.price is None):
            raise ValueError("Order.price is required for limit and stop orders only")

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell."""
        return 1 if self.side == "buy" else -1


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """An execution: signed ``units`` at ``price``, with its costs in the account currency
    (``spread_cost`` and ``slippage_cost`` are already inside the price; commission is not)."""

    client_order_id: str
    position_key: str
    symbol: str
    ts: pd.Timestamp
    price: float
    units: float
    reason: str
    commission: float = 0.0
    spread_cost: float = 0.0
    slippage_cost: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """An open (or just closed) position; the broker replaces it on every change."""

    position_key: str
    symbol: str
    side: Literal["long", "short"]
    units: float
    entry_price: float
    entry_ts: pd.Timestamp
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_pips: float | None = None
    time_stop_bars: int | None = None
    bars_held: int = 0
    swap: float = 0.0
    commission: float = 0.0
    spread_cost: float = 0.0
    slippage_cost: float = 0.0
    initial_risk: float | None = None
    source: str | None = None
    signal_id: str | None = None
    status: Literal["open", "closed"] = "open"

    @property
    def sign(self) -> int:
        """+1 long, -1 short."""
        return 1 if self.side == "long" else -1


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    """A closed round trip; ``pnl`` is net of commission and swap, in the account currency;
    ``initial_risk`` is what the stop at entry put at risk (``None`` without a stop)."""

    position_key: str
    symbol: str
    side: Literal["long", "short"]
    units: float
    entry_ts: pd.Timestamp
    entry_price: float
    exit_ts: pd.Timestamp
    exit_price: float
    pnl: float
    pnl_pips: float
    commission: float
    swap: float
    spread_cost: float
    slippage_cost: float
    exit_reason: str
    initial_risk: float | None = None
    source: str | None = None
    signal_id: str | None = None
