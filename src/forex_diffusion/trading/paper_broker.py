"""A simulated FX broker that fills orders on closed bars like a retail ECN account would.

On each bar of a symbol (:meth:`PaperBroker.on_bar`), in this order:

1. pending orders fill: market orders at the open (buy at the ask, sell at the bid, plus
   slippage), limit orders when the range reaches their price (at the open if it gapped
   through), stop orders likewise plus slippage;
2. open positions meet their stop-loss and take-profit inside the bar's range; an open beyond
   a level (a weekend gap) fills at the open; when both levels lie inside one bar the configured
   ``intrabar`` rule decides (``worst``: the stop). Positions opened inside this bar by a limit
   or stop order are checked from the next bar on (the order of the range is unknown);
3. survivors count the bar, trail their stop from the bar's best price, and meet their time
   stop at the close;
4. swap for every 17:00 New York rollover inside the bar (tripled on Wednesday);
5. the margin check at the bar's worst prices: below ``margin_call_level`` the positions with
   the largest loss are closed first, at those prices.

Prices convert to the account currency through the quote currency, with the last close of
every pair seen and ``fx_rates`` for the rest. The broker is deterministic: replaying the same
bars and orders gives the same fills. It holds its pending orders, open positions and the last
:data:`FINISHED_ORDERS` filled, rejected or cancelled orders (``submit`` is idempotent on their
client ids; the store keeps every order), so its memory does not grow with a run's length.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque

import pandas as pd

from forex_diffusion.core.errors import BrokerError, ConfigError
from forex_diffusion.core.events import Fill, Order, Position, Trade
from forex_diffusion.core.instruments import convert_amount, get_instrument
from forex_diffusion.core.trading_config import BrokerConfig
from forex_diffusion.trading.broker import Account, Bar, BrokerReport
from forex_diffusion.trading.costs import CostModel, rollover_nights

__all__ = ["FINISHED_ORDERS", "PaperBroker"]

FINISHED_ORDERS = 1000
"""Filled, rejected or cancelled orders the broker remembers (the newest)."""

logger = logging.getLogger(__name__)


class PaperBroker:
    """The simulated broker (see the module docstring for the fill rules)."""

    def __init__(self, config: BrokerConfig | None = None) -> None:
        self.config = config or BrokerConfig()
        self.costs = CostModel(self.config)
        self.balance = self.config.initial_balance
        self._orders: dict[str, Order] = {}
        self._finished: deque[str] = deque()  # ids of the finished orders kept, oldest first
        self._pending: list[str] = []
        self._positions: dict[str, Position] = {}
        self._quotes: dict[str, tuple[float, float]] = {}
        self._rates: dict[str, float] = dict(self.config.fx_rates)  # + the mid of each quote
        self._now: dict[str, pd.Timestamp] = {}
        self._report = BrokerReport()
        self._exits = 0  # exits the broker initiated (stops, targets...), for their fill ids

    # -- queries -----------------------------------------------------------------------------
    def positions(self, symbol: str | None = None) -> list[Position]:
        """Open positions, oldest first."""
        return [p for p in self._positions.values() if symbol in (None, p.symbol)]

    def pending(self, symbol: str | None = None) -> list[Order]:
        """Orders waiting for a fill, in submission order."""
        out = [self._orders[c] for c in self._pending]
        return [o for o in out if symbol in (None, o.symbol)]

    def order(self, client_order_id: str) -> Order | None:
        """A pending order or one of the last :data:`FINISHED_ORDERS` finished ones."""
        return self._orders.get(client_order_id)

    def quote(self, symbol: str) -> tuple[float, float]:
        """The last ``(bid, ask)`` of ``symbol``."""
        if symbol not in self._quotes:
            raise BrokerError(f"no price for {symbol} yet: no bar of it has been processed")
        return self._quotes[symbol]

    def to_account(
        self, amount: float, currency: str, *, at: tuple[str, float] | None = None
    ) -> float:
        """Convert an amount in ``currency`` to the account currency at the last prices
        (``at``: a pair and the price to use for it instead, e.g. a fill price)."""
        if currency == self.config.account_currency:
            return amount
        rates = self._rates
        if at is not None:
            rates = {**rates, at[0]: at[1]}
        try:
            return convert_amount(
                amount, from_ccy=currency, to_ccy=self.config.account_currency, rates=rates
            )
        except ConfigError as exc:
            raise ConfigError(f"{exc}; add it to [trading.broker] fx_rates") from None

    def _quote(self, symbol: str, quote: tuple[float, float]) -> None:
        self._quotes[symbol] = quote
        self._rates[symbol] = (quote[0] + quote[1]) / 2

    def notional(self, symbol: str, units: float, price: float) -> float:
        """Absolute notional of ``units`` of ``symbol`` at ``price``, in the account currency."""
        return abs(self.to_account(units * price, get_instrument(symbol).symbol.quote))

    def unrealized(self, position: Position, exit_price: float | None = None) -> float:
        """Open P&L of a position at ``exit_price`` (default: its side of the last quote), swap
        included, in the account currency."""
        if exit_price is None:
            bid, ask = self.quote(position.symbol)
            exit_price = bid if position.side == "long" else ask
        move = position.sign * position.units * (exit_price - position.entry_price)
        return self.to_account(move, get_instrument(position.symbol).symbol.quote) + position.swap

    def account(self) -> Account:
        """Balance, equity, used margin and open P&L at the last prices."""
        open_pnl = sum(self.unrealized(p) for p in self._positions.values())
        margin = sum(self._margin(p) for p in self._positions.values())
        equity = self.balance + open_pnl
        return Account(self.config.account_currency, self.balance, equity, margin, open_pnl)

    def _margin(self, p: Position, price: float | None = None) -> float:
        if price is None:
            bid, ask = self.quote(p.symbol)
            price = (bid + ask) / 2
        return self.notional(p.symbol, p.units, price) / self.config.leverage

    # -- orders ------------------------------------------------------------------------------
    def submit(self, order: Order) -> Order:
        """Accept an order (idempotent on its client id); closing orders for an unknown
        position, or larger than it, are rejected with the reason."""
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return known
        reason = None
        if order.position_key is not None:
            held = self._positions.get(order.position_key)
            if held is None:
                reason = f"no open position {order.position_key}"
            elif held.symbol != order.symbol or held.sign == order.sign:
                reason = f"order does not close position {order.position_key}"
            elif order.units > held.units + 1e-9:
                reason = f"closes {order.units} units of a {held.units}-unit position"
        if reason is not None:
            return self._set(order, "rejected", reason)
        self._pending.append(order.client_order_id)
        return self._set(order, "pending", order.reason)

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a pending order."""
        order = self._orders.get(client_order_id)
        if order is None:
            raise BrokerError(f"unknown order {client_order_id}")
        if order.status != "pending":
            return order
        self._pending.remove(client_order_id)
        return self._set(order, "cancelled", "cancelled")

    def _set(self, order: Order, status: str, reason: str | None) -> Order:
        new = dataclasses.replace(order, status=status, reason=reason)  # type: ignore[arg-type]
        self._orders[order.client_order_id] = new
        self._report.orders.append(new)
        if status != "pending":  # final: remembered among the newest finished orders only
            self._finished.append(order.client_order_id)
            if len(self._finished) > FINISHED_ORDERS:
                del self._orders[self._finished.popleft()]
        return new

    def drain(self) -> BrokerReport:
        """Return and forget what changed since the last call."""
        report, self._report = self._report, BrokerReport()
        return report

    # -- the bar -----------------------------------------------------------------------------
    def on_bar(self, symbol: str, bar: Bar) -> None:
        """Process one closed bar of ``symbol`` (see the module docstring)."""
        last = self._now.get(symbol)
        if last is not None and bar.ts <= last:
            raise BrokerError(f"{symbol} bar {bar.ts} is not after the last one ({last})")
        self._now[symbol] = bar.ts
        spread = get_instrument(symbol).from_pips(self.costs.spread_pips(symbol, bar.ts))
        q = {
            k: self.costs.quotes_with(spread, v)
            for k, v in (("o", bar.open), ("h", bar.high), ("l", bar.low), ("c", bar.close))
        }
        self._quote(symbol, q["o"])
        intrabar = self._fill_pending(symbol, bar, q)
        for key in [k for k, p in self._positions.items() if p.symbol == symbol]:
            if key not in intrabar:
                self._protect(self._positions[key], bar, q)
        self._quote(symbol, q["c"])
        for key in [k for k, p in self._positions.items() if p.symbol == symbol]:
            self._survive(self._positions[key], bar, q)
        self._margin_check(symbol, bar, q)

    def _fill_pending(self, symbol: str, bar: Bar, q: dict[str, tuple[float, float]]) -> set[str]:
        slip = self.costs.slippage(symbol)
        intrabar: set[str] = set()
        for cid in [c for c in self._pending if self._orders[c].symbol == symbol]:
            o = self._orders[cid]
            buy = o.side == "buy"
            side_o, side_h, side_l = (q[k][1 if buy else 0] for k in "ohl")
            price: float | None = None
            slipped = o.order_type != "limit"
            if o.order_type == "market":
                price = side_o
            else:
                assert o.price is not None
                # a buy limit waits for a lower ask, a buy stop for a higher one (sells mirror)
                below = (o.order_type == "limit") == buy
                reached = side_l <= o.price if below else side_h >= o.price
                if reached:
                    gapped = side_o <= o.price if below else side_o >= o.price
                    price = side_o if gapped else o.price
            if price is None:
                continue
            self._pending.remove(cid)
            at_open = price == side_o
            if slipped:
                price += o.sign * slip
            key = self._execute(o, price, bar.ts, q["o"], slipped=slipped)
            if key is not None and not at_open:
                intrabar.add(key)
        return intrabar

    def _execute(
        self, o: Order, price: float, ts: pd.Timestamp, quote: tuple[float, float], *, slipped: bool
    ) -> str | None:
        inst = get_instrument(o.symbol)
        spread_cost = self.to_account(o.units * (quote[1] - quote[0]) / 2, inst.symbol.quote)
        slip_cost = self.to_account(o.units * self.costs.slippage(o.symbol), inst.symbol.quote)
        slip_cost = slip_cost if slipped else 0.0
        if o.position_key is not None:
            held = self._positions.get(o.position_key)
            if held is None:
                self._set(o, "cancelled", f"position {o.position_key} already closed")
                return None
            self._set(o, "filled", o.reason)
            self._close(
                held,
                price,
                ts,
                o.reason or "close",
                units=o.units,
                order=o,
                spread_cost=spread_cost,
                slippage_cost=slip_cost,
            )
            return None
        mid = (quote[0] + quote[1]) / 2
        need = self.notional(o.symbol, o.units, mid) / self.config.leverage
        free = self.account().free_margin
        if need > free:
            self._set(o, "rejected", f"insufficient margin: needs {need:.2f}, free {free:.2f}")
            return None
        commission = self.costs.commission(o.units)
        self.balance -= commission
        key = f"P-{o.client_order_id}"
        risk = None
        if o.stop_loss is not None:
            risk = abs(self.to_account(o.units * (price - o.stop_loss), inst.symbol.quote))
        position = Position(
            position_key=key,
            symbol=o.symbol,
            side="long" if o.side == "buy" else "short",
            units=o.units,
            entry_price=price,
            entry_ts=ts,
            stop_loss=o.stop_loss,
            take_profit=o.take_profit,
            trailing_pips=o.trailing_pips,
            time_stop_bars=o.time_stop_bars,
            commission=commission,
            source=o.source,
            signal_id=o.signal_id,
            spread_cost=spread_cost,
            slippage_cost=slip_cost,
            initial_risk=risk,
        )
        self._positions[key] = position
        self._set(o, "filled", o.reason)
        self._report.fills.append(
            Fill(
                client_order_id=o.client_order_id,
                position_key=key,
                symbol=o.symbol,
                ts=ts,
                price=price,
                units=o.sign * o.units,
                reason="entry",
                commission=commission,
                spread_cost=spread_cost,
                slippage_cost=slip_cost,
            )
        )
        self._report.positions.append(position)
        return key

    def _protect(self, p: Position, bar: Bar, q: dict[str, tuple[float, float]]) -> None:
        side = 0 if p.side == "long" else 1  # a long exits at the bid, a short at the ask
        s = p.sign
        first, high, low = q["o"][side], q["h"][side], q["l"][side]
        best, worst = (high, low) if s > 0 else (low, high)
        sl, tp = p.stop_loss, p.take_profit
        stop_reason = "trailing_stop" if p.trailing_pips else "stop_loss"
        slip = self.costs.slippage(p.symbol)
        if sl is not None and s * (first - sl) <= 0:
            self._close(p, first, bar.ts, stop_reason)
        elif tp is not None and s * (first - tp) >= 0:
            self._close(p, first, bar.ts, "take_profit")
        else:
            sl_hit = sl is not None and s * (worst - sl) <= 0
            tp_hit = tp is not None and s * (best - tp) >= 0
            if sl_hit and (not tp_hit or self.config.intrabar == "worst"):
                assert sl is not None
                self._close(p, sl - s * slip, bar.ts, stop_reason, slippage=True)
            elif tp_hit:
                assert tp is not None
                self._close(p, tp, bar.ts, "take_profit")

    def _survive(self, p: Position, bar: Bar, q: dict[str, tuple[float, float]]) -> None:
        side = 0 if p.side == "long" else 1
        s = p.sign
        changes: dict[str, object] = {"bars_held": p.bars_held + 1}
        if p.trailing_pips:
            best = q["h"][side] if s > 0 else q["l"][side]
            trail = best - s * get_instrument(p.symbol).from_pips(p.trailing_pips)
            if p.stop_loss is None or s * (trail - p.stop_loss) > 0:
                changes["stop_loss"] = trail
        p = dataclasses.replace(p, **changes)  # type: ignore[arg-type]
        self._positions[p.position_key] = p
        if p.time_stop_bars is not None and p.bars_held >= p.time_stop_bars:
            self._close(p, q["c"][side], bar.ts, "time_stop")
            return
        nights = rollover_nights(bar.ts, bar.close_ts)
        if nights:
            pips = self.costs.swap_pips(p.symbol, p.side) * nights
            inst = get_instrument(p.symbol)
            swap = self.to_account(p.units * inst.from_pips(pips), inst.symbol.quote)
            p = dataclasses.replace(p, swap=p.swap + swap)
            self._positions[p.position_key] = p
        if "stop_loss" in changes or nights:
            self._report.positions.append(p)

    def _margin_check(self, symbol: str, bar: Bar, q: dict[str, tuple[float, float]]) -> None:
        def worst(p: Position) -> float | None:
            if p.symbol != symbol:
                return None
            return q["l"][0] if p.side == "long" else q["h"][1]

        while self._positions:
            equity = self.balance + sum(
                self.unrealized(p, worst(p)) for p in self._positions.values()
            )
            margin = sum(self._margin(p) for p in self._positions.values())
            if margin <= 0 or equity / margin >= self.config.margin_call_level:
                return
            loser = min(self._positions.values(), key=lambda p: self.unrealized(p, worst(p)))
            price = worst(loser)
            if price is None:
                bid, ask = self.quote(loser.symbol)
                price = bid if loser.side == "long" else ask
            logger.warning(
                "margin call: equity %.2f, margin %.2f; closing %s",
                equity,
                margin,
                loser.position_key,
            )
            self._close(loser, price, bar.ts, "margin_call")

    # -- closing -----------------------------------------------------------------------------
    def close_all(self, *, reason: str, symbol: str | None = None) -> None:
        """Close every open position (of ``symbol``) now, at the last quotes; pending orders
        of those symbols are cancelled."""
        for cid in [c for c in self._pending if symbol in (None, self._orders[c].symbol)]:
            self.cancel(cid)
        for p in self.positions(symbol):
            bid, ask = self.quote(p.symbol)
            self._close(p, bid if p.side == "long" else ask, self._now[p.symbol], reason)

    def _close(
        self,
        p: Position,
        price: float,
        ts: pd.Timestamp,
        reason: str,
        *,
        units: float | None = None,
        order: Order | None = None,
        slippage: bool = False,
        spread_cost: float | None = None,
        slippage_cost: float | None = None,
    ) -> None:
        inst = get_instrument(p.symbol)
        units = p.units if units is None else min(units, p.units)
        share = units / p.units
        bid, ask = self._quotes[p.symbol]
        if spread_cost is None:
            spread_cost = self.to_account(units * (ask - bid) / 2, inst.symbol.quote)
        if slippage_cost is None:
            slip = self.costs.slippage(p.symbol) if slippage else 0.0
            slippage_cost = self.to_account(units * slip, inst.symbol.quote)
        gross = self.to_account(
            p.sign * units * (price - p.entry_price), inst.symbol.quote, at=(p.symbol, price)
        )
        commission = self.costs.commission(units)
        swap = p.swap * share
        self.balance += gross - commission + swap
        if order is None:
            self._exits += 1
        cid = order.client_order_id if order else f"X{self._exits}-{p.position_key}"
        self._report.fills.append(
            Fill(
                client_order_id=cid,
                position_key=p.position_key,
                symbol=p.symbol,
                ts=ts,
                price=price,
                units=-p.sign * units,
                reason=reason,
                commission=commission,
                spread_cost=spread_cost,
                slippage_cost=slippage_cost,
            )
        )
        entry_commission = p.commission * share
        self._report.trades.append(
            Trade(
                position_key=p.position_key,
                symbol=p.symbol,
                side=p.side,
                units=units,
                entry_ts=p.entry_ts,
                entry_price=p.entry_price,
                exit_ts=ts,
                exit_price=price,
                pnl=gross - commission - entry_commission + swap,
                pnl_pips=inst.to_pips(p.sign * (price - p.entry_price)),
                commission=commission + entry_commission,
                swap=swap,
                spread_cost=p.spread_cost * share + spread_cost,
                slippage_cost=p.slippage_cost * share + slippage_cost,
                exit_reason=reason,
                initial_risk=None if p.initial_risk is None else p.initial_risk * share,
                source=p.source,
                signal_id=p.signal_id,
            )
        )
        if units >= p.units - 1e-9:
            del self._positions[p.position_key]
            closed = dataclasses.replace(p, status="closed")
            for cid in [c for c in self._pending if self._orders[c].position_key == p.position_key]:
                self.cancel(cid)
        else:
            closed = dataclasses.replace(
                p,
                units=p.units - units,
                swap=p.swap - swap,
                commission=p.commission - entry_commission,
                spread_cost=p.spread_cost * (1 - share),
                slippage_cost=p.slippage_cost * (1 - share),
                initial_risk=None if p.initial_risk is None else p.initial_risk * (1 - share),
            )
            self._positions[p.position_key] = closed
        self._report.positions.append(closed)
