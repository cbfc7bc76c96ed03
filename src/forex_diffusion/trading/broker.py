"""The broker protocol the engine trades through, and the values it exchanges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from forex_diffusion.core.events import Fill, Order, Position, Trade

__all__ = ["Account", "Bar", "Broker", "BrokerReport"]


@dataclass(frozen=True, slots=True)
class Bar:
    """One closed candle: ``ts`` is its open time, ``duration`` its length."""

    ts: pd.Timestamp
    open: float
    high: float
    low: float
    close: float
    duration: pd.Timedelta
    volume: float = 0.0

    @property
    def close_ts(self) -> pd.Timestamp:
        """The time the bar closed."""
        return self.ts + self.duration


@dataclass(frozen=True, slots=True)
class Account:
    """Account state in the account currency (``margin_level`` is infinite with no margin)."""

    currency: str
    balance: float
    equity: float
    margin_used: float
    open_pnl: float

    @property
    def free_margin(self) -> float:
        """Equity not tied up as margin."""
        return self.equity - self.margin_used

    @property
    def margin_level(self) -> float:
        """Equity over used margin."""
        return self.equity / self.margin_used if self.margin_used > 0 else float("inf")


@dataclass(slots=True)
class BrokerReport:
    """What changed since the last :meth:`Broker.drain`: orders with a new status, fills,
    position snapshots (closed ones included) and closed trades, in the order they happened."""

    orders: list[Order] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.orders or self.fills or self.positions or self.trades)


class Broker(Protocol):
    """What the engine needs from a broker; :class:`PaperBroker` is the simulated one.

    ``submit`` must be idempotent on ``client_order_id``: a second submission of an id it has
    seen returns the order it holds. Errors worth retrying raise ``RetryableBrokerError``.
    """

    def submit(self, order: Order) -> Order: ...

    def cancel(self, client_order_id: str) -> Order: ...

    def on_bar(self, symbol: str, bar: Bar) -> None: ...

    def close_all(self, *, reason: str, symbol: str | None = None) -> None: ...

    def positions(self, symbol: str | None = None) -> list[Position]: ...

    def pending(self, symbol: str | None = None) -> list[Order]: ...

    def account(self) -> Account: ...

    def quote(self, symbol: str) -> tuple[float, float]: ...

    def to_account(self, amount: float, currency: str) -> float: ...

    def drain(self) -> BrokerReport: ...
