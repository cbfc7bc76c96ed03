"""FX trading costs: session spreads, bid/ask from a candle price, commission and swap.

The spread of a bar depends on when it trades (``[trading.broker] spreads``, pips per pair and
bucket). Buckets, first match wins:

- ``sunday_open``: the first two hours after the week opens (Sunday 17:00 New York);
- ``rollover``: the hour from 17:00 New York on other days, when liquidity providers roll;
- ``overlap``: London and New York both open;
- ``london`` / ``new_york``: one of them open;
- ``asia``: any other open hour (Sydney and Tokyo).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from forex_diffusion.core.instruments import STANDARD_LOT, get_instrument
from forex_diffusion.core.sessions import (
    NEW_YORK,
    Session,
    active_sessions,
    rollovers_between,
    session_flags,
    week_open,
)
from forex_diffusion.core.trading_config import BrokerConfig
from forex_diffusion.data.candles import index_ns

__all__ = [
    "CostModel",
    "prime_spread_buckets",
    "rollover_nights",
    "rollover_nights_per_bar",
    "spread_bucket",
]

_SUNDAY_OPEN = pd.Timedelta(hours=2)


_HOUR_NS = 3_600_000_000_000
_BUCKETS: dict[int, str] = {}


def spread_bucket(ts: datetime | pd.Timestamp) -> str:
    """The spread bucket of a tz-aware time (see the module docstring).

    Every boundary falls on a whole UTC hour (sessions, the rollover and the week's open are on
    the hour in their own zones, none of which is offset by a fraction of an hour), so buckets
    are cached per UTC hour.
    """
    stamp = pd.Timestamp(ts)
    hour = stamp.value // _HOUR_NS
    cached = _BUCKETS.get(hour)
    if cached is None:
        if len(_BUCKETS) > 200_000:
            _BUCKETS.clear()
        cached = _BUCKETS[hour] = _bucket(pd.Timestamp(hour * _HOUR_NS, tz="UTC"))
    return cached


def prime_spread_buckets(index: pd.DatetimeIndex) -> None:
    """Fill the bucket cache for the hours of ``index`` at once (vectorised; a backtest calls
    it before its loop). Gives the same buckets as :func:`spread_bucket`."""
    hours = np.unique(index_ns(index) // _HOUR_NS)
    todo = np.array([h for h in hours if int(h) not in _BUCKETS], dtype=np.int64)
    if not len(todo):
        return
    at = pd.DatetimeIndex(todo * _HOUR_NS).tz_localize("UTC")
    ny = at.tz_convert(NEW_YORK)
    hour, weekday = np.asarray(ny.hour), np.asarray(ny.day_of_week)
    flags = session_flags(at)
    london, new_york = flags["session_london"].to_numpy(), flags["session_new_york"].to_numpy()
    sunday_open = (weekday == 6) & (hour >= 17) & (hour < 17 + _SUNDAY_OPEN.seconds // 3600)
    bucket = np.select(
        [sunday_open, hour == 17, london & new_york, london, new_york],
        ["sunday_open", "rollover", "overlap", "london", "new_york"],
        default="asia",
    )
    if len(_BUCKETS) + len(todo) > 200_000:
        _BUCKETS.clear()
    _BUCKETS.update(zip(todo.tolist(), bucket.tolist(), strict=True))


_NIGHTS: dict[int, int] = {}


def rollover_nights(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Nights of swap for a position held over ``(start, end]``: the sum of the multipliers of
    the 17:00 New York rollovers inside (3 on Wednesday). Rollovers fall on whole UTC hours, so
    each hour's multiplier is cached."""
    first = -(-start.value // _HOUR_NS)  # the first whole hour at or after start
    if first * _HOUR_NS == start.value:
        first += 1  # the interval is open at start
    last = end.value // _HOUR_NS
    nights = 0
    for hour in range(first, last + 1):
        cached = _NIGHTS.get(hour)
        if cached is None:
            if len(_NIGHTS) > 200_000:
                _NIGHTS.clear()
            at = pd.Timestamp(hour * _HOUR_NS, tz="UTC")
            cached = _NIGHTS[hour] = sum(
                m for _, m in rollovers_between(at - pd.Timedelta(hours=1), at)
            )
        nights += cached
    return nights


def rollover_nights_per_bar(index: pd.DatetimeIndex, duration: pd.Timedelta) -> np.ndarray:
    """:func:`rollover_nights` of every bar ``(open, open + duration]`` at once (vectorised;
    the same answers, tested): a running count of rollover multipliers on the grid of whole
    UTC hours, read at each bar's two ends."""
    stamps = index_ns(index)
    if not len(stamps):
        return np.zeros(0, dtype=np.int64)
    ends = stamps + duration.value
    first = -(-stamps // _HOUR_NS)
    first = np.where(first * _HOUR_NS == stamps, first + 1, first)
    last = ends // _HOUR_NS
    lo, hi = int(first.min()), int(last.max())
    if hi < lo:
        return np.zeros(len(stamps), dtype=np.int64)
    hours = pd.DatetimeIndex(np.arange(lo, hi + 1, dtype=np.int64) * _HOUR_NS).tz_localize("UTC")
    ny = hours.tz_convert(NEW_YORK)
    weekday = np.asarray(ny.day_of_week)
    on_rollover = (np.asarray(ny.hour) == 17) & (np.asarray(ny.minute) == 0) & (weekday < 5)
    mult = np.where(on_rollover, np.where(weekday == 2, 3, 1), 0).astype(np.int64)
    running = np.concatenate([[0], np.cumsum(mult)])  # running[k]: hours lo .. lo + k - 1
    return np.where(last >= first, running[last - lo + 1] - running[first - lo], 0)


def _bucket(stamp: pd.Timestamp) -> str:
    if stamp - week_open(stamp) < _SUNDAY_OPEN:
        return "sunday_open"
    if stamp.tz_convert(NEW_YORK).hour == 17:
        return "rollover"
    sessions = active_sessions(stamp)
    if Session.LONDON in sessions and Session.NEW_YORK in sessions:
        return "overlap"
    if Session.LONDON in sessions:
        return "london"
    if Session.NEW_YORK in sessions:
        return "new_york"
    return "asia"


class CostModel:
    """Spread, slippage, commission and swap of one broker config."""

    def __init__(self, config: BrokerConfig) -> None:
        self.config = config

    def spread_pips(self, symbol: str, ts: datetime | pd.Timestamp) -> float:
        """The spread in pips of ``symbol`` at ``ts``."""
        table = self.config.spreads.get(symbol, self.config.spreads["default"])
        return table[spread_bucket(ts)]

    def spread_pips_per_bar(self, symbol: str, index: pd.DatetimeIndex) -> np.ndarray:
        """:meth:`spread_pips` of every time of ``index`` at once."""
        prime_spread_buckets(index)
        table = self.config.spreads.get(symbol, self.config.spreads["default"])
        hours, where = np.unique(index_ns(index) // _HOUR_NS, return_inverse=True)
        per_hour = np.array([table[_BUCKETS[int(h)]] for h in hours], dtype=float)
        return per_hour[where]

    def quotes(self, symbol: str, ts: datetime | pd.Timestamp, price: float) -> tuple[float, float]:
        """``(bid, ask)`` around a candle price quoted on the configured ``price_basis``."""
        return self.quotes_with(
            get_instrument(symbol).from_pips(self.spread_pips(symbol, ts)), price
        )

    def quotes_with(self, spread: float, price: float) -> tuple[float, float]:
        """``(bid, ask)`` around ``price`` for a spread given as a price difference."""
        basis = self.config.price_basis
        if basis == "bid":
            return price, price + spread
        if basis == "ask":
            return price - spread, price
        return price - spread / 2, price + spread / 2

    def slippage(self, symbol: str) -> float:
        """Adverse price move of a market or stop fill."""
        return get_instrument(symbol).from_pips(self.config.slippage_pips)

    def commission(self, units: float) -> float:
        """Commission of one side of ``units`` base units, in the account currency."""
        return abs(units) / STANDARD_LOT * self.config.commission_per_lot

    def swap_pips(self, symbol: str, side: str) -> float:
        """Swap in pips per night for a ``long`` or ``short`` position."""
        rates = self.config.swaps.get(symbol, self.config.swaps["default"])
        return rates.long if side == "long" else rates.short
