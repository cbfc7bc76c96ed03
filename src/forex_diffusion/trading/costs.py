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

import pandas as pd

from forex_diffusion.core.instruments import STANDARD_LOT, get_instrument
from forex_diffusion.core.sessions import NEW_YORK, Session, active_sessions, week_open
from forex_diffusion.core.trading_config import BrokerConfig

__all__ = ["CostModel", "spread_bucket"]

_SUNDAY_OPEN = pd.Timedelta(hours=2)


def spread_bucket(ts: datetime | pd.Timestamp) -> str:
    """The spread bucket of a tz-aware time (see the module docstring)."""
    stamp = pd.Timestamp(ts)
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

    def quotes(self, symbol: str, ts: datetime | pd.Timestamp, price: float) -> tuple[float, float]:
        """``(bid, ask)`` around a candle price quoted on the configured ``price_basis``."""
        spread = get_instrument(symbol).from_pips(self.spread_pips(symbol, ts))
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
