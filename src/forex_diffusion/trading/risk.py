"""Risk: position size from the stop distance, exposure caps and account limits.

Sizing: ``units = equity x f / (stop distance x value of one price unit per unit)``, rounded
*down* to the lot step, then capped by free margin (leverage), by the total notional cap and by
the per-currency caps (the account currency itself is cash, not exposure). The fraction ``f``
of equity risked at the stop follows ``position_sizing_method``:

- ``fixed_fractional``: ``f = risk_per_trade``;
- ``kelly``: ``f = min(kelly_fraction x f*, risk_per_trade)`` with the Kelly fraction
  ``f* = p - (1 - p) / b`` from the signal's win probability ``p`` and payoff ratio ``b`` (the
  mean win over the mean loss, in R after costs); ``f* <= 0`` trades nothing; a signal without
  a probability is sized fixed-fractionally;
- ``volatility_adjusted``: ``f = risk_per_trade x min(1, median ATR / current ATR)`` (the
  ratio the signal carries): smaller positions when the market moves more than usual.

Limits, checked on every bar with :meth:`RiskManager.on_bar`:

- daily loss: when equity falls ``daily_loss_limit`` below the equity at the start of the FX
  day (17:00 New York), realized and unrealized losses together, no new position opens until
  the next FX day; profits never trigger it;
- drawdown kill-switch: equity ``max_drawdown`` below its peak stops trading for good (the
  engine closes everything and pauses);
- ``max_open_positions``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.events import Position
from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.core.sessions import NEW_YORK
from forex_diffusion.core.trading_config import RiskConfig
from forex_diffusion.data.candles import index_ns
from forex_diffusion.trading.broker import Account, Broker

__all__ = [
    "KILL_SWITCH",
    "RiskManager",
    "SizeDecision",
    "currency_exposure",
    "fx_day",
    "fx_day_per_bar",
    "notional",
]

KILL_SWITCH = "drawdown kill-switch"
"""How the kill-switch's reason begins (stored with a run it stopped)."""


_HOUR_NS = 3_600_000_000_000
_DAYS: dict[int, pd.Timestamp] = {}


def fx_day(ts: pd.Timestamp) -> pd.Timestamp:
    """The FX trading day of ``ts``: days roll at 17:00 New York (a whole UTC hour, so the
    answer is cached per hour)."""
    hour = ts.value // _HOUR_NS
    day = _DAYS.get(hour)
    if day is None:
        if len(_DAYS) > 200_000:
            _DAYS.clear()
        at = pd.Timestamp(hour * _HOUR_NS, tz="UTC")
        day = _DAYS[hour] = pd.Timestamp((at.tz_convert(NEW_YORK) + pd.Timedelta(hours=7)).date())
    return day


def fx_day_per_bar(times: pd.DatetimeIndex) -> np.ndarray:
    """:func:`fx_day` of every time at once, as day numbers (days since 1970-01-01)."""
    local = times.tz_convert(NEW_YORK) + pd.Timedelta(hours=7)
    days = local.tz_localize(None).normalize()
    return index_ns(days) // (24 * _HOUR_NS)


def notional(position: Position, broker: Broker) -> float:
    """A position's notional at the last mid price, in the account currency."""
    bid, ask = broker.quote(position.symbol)
    quote = get_instrument(position.symbol).symbol.quote
    return abs(broker.to_account(position.units * (bid + ask) / 2, quote))


def currency_exposure(positions: Sequence[Position], broker: Broker) -> dict[str, float]:
    """Net notional per currency in the account currency (long EURUSD: + EUR, - USD)."""
    out: dict[str, float] = {}
    for p in positions:
        sym = get_instrument(p.symbol).symbol
        notional_ = notional(p, broker)
        out[sym.base] = out.get(sym.base, 0.0) + p.sign * notional_
        out[sym.quote] = out.get(sym.quote, 0.0) - p.sign * notional_
    return out


@dataclass(frozen=True, slots=True)
class SizeDecision:
    """Units to trade (0 when nothing can be) and what limited them."""

    units: float
    limited_by: str


def _room(current: float, change: float, cap: float) -> float:
    """Largest n >= 0 with ``|current + change x n| <= cap`` (``change`` is +1 or -1)."""
    if current * change < 0:
        return cap + abs(current)
    return max(cap - abs(current), 0.0)


class RiskManager:
    """Position sizing and account limits (see the module docstring)."""

    def __init__(self, config: RiskConfig | None = None) -> None:
        self.config = config or RiskConfig()
        self.day: pd.Timestamp | None = None
        self.day_start_equity = 0.0
        self.peak_equity = 0.0
        self.daily_blocked = False
        self.killed: str | None = None

    def on_bar(self, ts: pd.Timestamp, account: Account) -> list[str]:
        """Update the limits with the equity at ``ts``; returns the limits that fired now
        (``daily_loss_limit``, ``kill_switch``)."""
        fired: list[str] = []
        day = fx_day(ts)
        if day != self.day:
            self.day, self.day_start_equity, self.daily_blocked = day, account.equity, False
        self.peak_equity = max(self.peak_equity, account.equity)
        loss = self.day_start_equity - account.equity
        if not self.daily_blocked and loss >= self.config.daily_loss_limit * self.day_start_equity:
            self.daily_blocked = True
            fired.append("daily_loss_limit")
        floor = self.peak_equity * (1 - self.config.max_drawdown)
        if self.killed is None and account.equity <= floor:
            self.killed = (
                f"{KILL_SWITCH}: equity {account.equity:,.2f} is "
                f"{1 - account.equity / self.peak_equity:.1%} below its peak "
                f"{self.peak_equity:,.2f} (limit {self.config.max_drawdown:.0%})"
            )
            fired.append("kill_switch")
        return fired

    def blocked(self, open_positions: int) -> str | None:
        """Why no new position may open now, or ``None``."""
        if self.killed:
            return self.killed
        if self.daily_blocked:
            day = f"{self.day:%Y-%m-%d}" if self.day is not None else "today"
            return f"daily loss limit ({self.config.daily_loss_limit:.1%}) reached for {day}"
        if open_positions >= self.config.max_open_positions:
            return f"max open positions ({self.config.max_open_positions}) reached"
        return None

    def risk_fraction(
        self,
        win_probability: float | None = None,
        payoff: float | None = None,
        volatility_ratio: float | None = None,
    ) -> tuple[float, str]:
        """The fraction of equity to risk at the stop and what set it (see the module
        docstring)."""
        cfg = self.config
        method = cfg.position_sizing_method
        if method == "kelly" and win_probability is not None and payoff is not None:
            if payoff <= 0:
                return 0.0, "kelly: no payoff"
            full = win_probability - (1.0 - win_probability) / payoff
            if full <= 0:
                return 0.0, f"kelly: no edge (p {win_probability:.2f}, payoff {payoff:.2f})"
            wanted = cfg.kelly_fraction * full
            if wanted >= cfg.risk_per_trade:
                return cfg.risk_per_trade, "risk"
            return wanted, "kelly"
        if method == "volatility_adjusted" and volatility_ratio is not None:
            ratio = min(1.0, max(volatility_ratio, 0.0))
            return cfg.risk_per_trade * ratio, "risk" if ratio >= 1 else "volatility"
        return cfg.risk_per_trade, "risk"

    def size(
        self,
        *,
        symbol: str,
        side: int,
        entry: float,
        stop: float | None,
        broker: Broker,
        units: float | None = None,
        leverage: float,
        win_probability: float | None = None,
        payoff: float | None = None,
        volatility_ratio: float | None = None,
    ) -> SizeDecision:
        """Units for a new position of ``side`` (+1 long, -1 short) entering near ``entry``:
        from the fraction of equity risked (``position_sizing_method``, with the signal's
        ``win_probability``, ``payoff`` and ``volatility_ratio``) and the stop, or the fixed
        ``units``; then capped."""
        inst = get_instrument(symbol)
        step = inst.lot_step * inst.lot_size
        account = broker.account()
        if units is None:
            if stop is None or stop == entry:
                return SizeDecision(0.0, "no stop to size from")
            fraction, limit = self.risk_fraction(win_probability, payoff, volatility_ratio)
            if fraction <= 0:
                return SizeDecision(0.0, limit)
            per_unit = abs(broker.to_account(entry - stop, inst.symbol.quote))
            wanted = fraction * account.equity / per_unit
        else:
            wanted, limit = units, "fixed units"
        notional_unit = abs(broker.to_account(entry, inst.symbol.quote))
        held = broker.positions()
        exposure = currency_exposure(held, broker)
        total = sum(notional(p, broker) for p in held)
        caps = {
            "margin": max(account.free_margin, 0.0) * leverage,
            "total exposure": max(self.config.max_total_exposure * account.equity - total, 0.0),
        }
        cap = self.config.max_currency_exposure * account.equity
        for ccy, sign in ((inst.symbol.base, side), (inst.symbol.quote, -side)):
            if ccy != account.currency:
                caps[f"{ccy} exposure"] = _room(exposure.get(ccy, 0.0), sign, cap)
        for name, room in caps.items():
            if room / notional_unit < wanted:
                wanted, limit = room / notional_unit, name
        rounded = math.floor(wanted / step + 1e-9) * step
        if rounded < inst.min_lot * inst.lot_size:
            return SizeDecision(0.0, f"below the minimum lot ({limit})")
        return SizeDecision(rounded, limit)
