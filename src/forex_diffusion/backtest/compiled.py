"""The compiled backtest: the engine's bar loop in machine code, for rule strategies.

:func:`run_backtest` takes this path when a strategy can state its decisions as
:class:`~forex_diffusion.trading.strategies.Rules` (fixed size, no stops: ``sma_cross`` and
``donchian_breakout`` with ``stop_atr = 0`` and ``units``), nothing records the bars, and the
account converts through the pair itself (the account currency is its base or its quote).
Everything else runs through :class:`~forex_diffusion.trading.AutomatedTradingEngine`.

The loop below is the event engine's bar, step by step, for that case (see the docstrings of
``paper_broker``, ``risk`` and ``automated_trading_engine``): pending market orders fill at the
open (the close of a reversal first) with spread, slippage and commission, the insufficient
margin check of a new position, swap at every 17:00 New York rollover, the margin call at the
bar's worst prices, the daily loss limit on the FX day and the drawdown kill-switch at the
close, then the strategy's decision, sized by the same caps (free margin, total exposure,
per-currency exposure, the lot step). The arithmetic is written in the same order as there, so
the results are the same numbers: tests compare trades and equity with the event engine on
real and synthetic data, with costs on and off, reversals, exits, daily limits, margin calls
and the kill-switch. Session spreads, rollover nights and FX days are computed per bar with the
vectorised twins of the engine's functions (tested equal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.core.instruments import STANDARD_LOT, get_instrument
from forex_diffusion.core.jit import jit
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.core.types import Timeframe
from forex_diffusion.trading.costs import CostModel, rollover_nights_per_bar
from forex_diffusion.trading.risk import fx_day_per_bar
from forex_diffusion.trading.strategies import Rules, Strategy

__all__ = ["CompiledRun", "compiled_plan", "run_compiled"]

REASONS = ("reverse", "exit", "margin_call", "kill_switch", "end_of_data")
_REVERSE, _EXIT, _MARGIN_CALL, _KILL, _END = range(5)
_BASIS = {"mid": 0, "bid": 1, "ask": 2}


@dataclass(frozen=True)
class CompiledRun:
    """What the compiled loop produced: the trade frame, the equity per bar, and the reason
    the run stopped trading (the kill-switch message) or ``None``."""

    trades: pd.DataFrame
    equity: pd.Series
    reason: str | None
    rejected: int
    """Orders refused for insufficient margin."""
    blocked: int
    """Entries not taken: daily loss limit reached, or sized below the minimum lot."""


def compiled_plan(
    strategy: Strategy,
    config: TradingConfig,
    symbol: str,
    columns: dict[str, np.ndarray],
    *,
    recorder: object | None,
) -> tuple[Rules | None, str]:
    """The strategy's rules when this run can take the compiled path, else ``None`` and why."""
    inst = get_instrument(symbol)
    account = config.broker.account_currency
    if recorder is not None:
        return None, "a recorder stores every bar"
    if config.risk.time_stop_bars is not None:
        return None, "time stops run bar by bar"
    if account not in (inst.symbol.base, inst.symbol.quote):
        return None, f"{symbol} converts to {account} through a third pair"
    if account == inst.symbol.base and f"{inst.symbol.quote}{account}" in config.broker.fx_rates:
        return None, "fx_rates overrides the pair's own rate"
    if len(columns["close"]) == 0:
        return None, "no bars"
    rules = strategy.rules(columns)
    if rules is None:
        return None, f"strategy {strategy.name} has no rules form with these parameters"
    return rules, ""


def run_compiled(
    candles: pd.DataFrame,
    rules: Rules,
    *,
    symbol: str,
    timeframe: str,
    config: TradingConfig,
    offset: int,
    act_from: int,
) -> CompiledRun:
    """Run ``rules`` (computed over ``offset`` warm-up bars followed by ``candles``) through the
    compiled loop; the strategy may decide from trading bar ``act_from`` on."""
    broker, risk = config.broker, config.risk
    inst = get_instrument(symbol)
    index = pd.DatetimeIndex(candles.index)
    duration = pd.Timedelta(Timeframe.parse(timeframe).delta)
    pip = inst.pip_size
    spread = CostModel(broker).spread_pips_per_bar(symbol, index) * pip
    swaps = broker.swaps.get(symbol, broker.swaps["default"])
    open_, high, low, close = (candles[c].to_numpy(float) for c in ("open", "high", "low", "close"))
    go_long, go_short, exit_long, exit_short = (
        np.ascontiguousarray(a[offset:], dtype=np.bool_)
        for a in (rules.go_long, rules.go_short, rules.exit_long, rules.exit_short)
    )
    params = np.array(
        [
            rules.units,
            inst.from_pips(broker.slippage_pips),
            broker.commission_per_lot,
            float(STANDARD_LOT),
            swaps.long,
            swaps.short,
            pip,
            broker.leverage,
            broker.margin_call_level,
            broker.initial_balance,
            risk.daily_loss_limit,
            risk.max_drawdown,
            risk.max_total_exposure,
            risk.max_currency_exposure,
            inst.lot_step * inst.lot_size,
            inst.min_lot * inst.lot_size,
        ]
    )
    # mode 0: amounts in the quote currency are account currency (the base's exposure is
    # capped); mode 1: the account currency is the base (amounts divide by the pair's price)
    mode = 0 if broker.account_currency == inst.symbol.quote else 1
    out = _simulate(
        open_,
        high,
        low,
        close,
        spread,
        rollover_nights_per_bar(index, duration),
        fx_day_per_bar(index + duration),
        go_long,
        go_short,
        exit_long,
        exit_short,
        act_from,
        params,
        mode,
        _BASIS[broker.price_basis],
    )
    (t_int, t_float, count, equity, killed_at, kill_equity, kill_peak, rejected, blocked) = out
    t_int, t_float = t_int[:count], t_float[:count]
    trades = pd.DataFrame(
        {
            "entry_time": index[t_int[:, 0]],
            "exit_time": index[t_int[:, 1]],
            "symbol": symbol,
            "direction": np.where(t_int[:, 2] > 0, "long", "short"),
            "entry_price": t_float[:, 1],
            "exit_price": t_float[:, 2],
            "units": t_float[:, 0],
            "pnl": t_float[:, 3],
            "pnl_pips": t_float[:, 4],
            "commission": t_float[:, 5],
            "swap": t_float[:, 6],
            "spread_cost": t_float[:, 7],
            "slippage_cost": t_float[:, 8],
            "exit_reason": np.asarray(REASONS, dtype=object)[t_int[:, 3]],
            "source": rules.source,
            "risk": None,
        }
    )
    trades = trades.astype({"risk": object})
    reason = None
    if killed_at >= 0:
        reason = (
            f"drawdown kill-switch: equity {kill_equity:,.2f} is "
            f"{1 - kill_equity / kill_peak:.1%} below its peak "
            f"{kill_peak:,.2f} (limit {risk.max_drawdown:.0%})"
        )
    return CompiledRun(
        trades,
        pd.Series(equity, index=pd.DatetimeIndex(index.array, name=index.name), dtype="float64"),
        reason,
        int(rejected),
        int(blocked),
    )


# -- the loop ----------------------------------------------------------------------------------
# Numba compiles what follows; it mirrors the event engine (see the module docstring), and the
# comments name the method each step copies.


@jit
def _quotes(price: float, spread: float, basis: int) -> tuple[float, float]:
    """CostModel.quotes_with."""
    if basis == 1:
        return price, price + spread
    if basis == 2:
        return price - spread, price
    return price - spread / 2, price + spread / 2


@jit
def _to_account(amount: float, mode: int, rate: float) -> float:
    """PaperBroker.to_account for the pair's own currencies (``rate``: the pair's price)."""
    if mode == 0:
        return amount
    return amount / rate


@jit
def _room(current: float, change: float, cap: float) -> float:
    """risk._room."""
    if current * change < 0:
        return cap + abs(current)
    return max(cap - abs(current), 0.0)


@jit
def _book(
    t_int: np.ndarray,
    t_float: np.ndarray,
    count: int,
    position: tuple[int, float, float, int, float, float, float, float],
    price: float,
    i: int,
    reason: int,
    costs: tuple[float, float],
    conv: tuple[int, float, float, float],
) -> float:
    """PaperBroker._close of the whole position at ``price`` on bar ``i``: writes trade
    ``count`` and returns the balance change. ``costs``: this exit's spread and slippage cost;
    ``conv``: mode, lot, commission per lot, pip."""
    sign, units, entry, idx, comm, spread0, slip0, swap = position
    mode, lot, cpl, pip = conv
    gross = _to_account(sign * units * (price - entry), mode, price)
    commission = abs(units) / lot * cpl
    t_int[count, 0], t_int[count, 1], t_int[count, 2], t_int[count, 3] = idx, i, sign, reason
    t_float[count, 0], t_float[count, 1], t_float[count, 2] = units, entry, price
    t_float[count, 3] = gross - commission - comm + swap
    t_float[count, 4] = sign * (price - entry) / pip
    t_float[count, 5], t_float[count, 6] = commission + comm, swap
    t_float[count, 7] = spread0 + costs[0]
    t_float[count, 8] = slip0 + costs[1]
    return gross - commission + swap


@jit
def _simulate(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    spread: np.ndarray,
    nights: np.ndarray,
    day: np.ndarray,
    go_long: np.ndarray,
    go_short: np.ndarray,
    exit_long: np.ndarray,
    exit_short: np.ndarray,
    act_from: int,
    params: np.ndarray,
    mode: int,
    basis: int,
) -> Any:
    units, slip, cpl, lot = params[0], params[1], params[2], params[3]
    swap_long, swap_short, pip, leverage = params[4], params[5], params[6], params[7]
    call_level, balance, dll, mdd = params[8], params[9], params[10], params[11]
    mte, mce, step, min_units = params[12], params[13], params[14], params[15]
    n = len(open_)
    equity_out = np.empty(n)
    t_int = np.zeros((n + 1, 4), dtype=np.int64)  # entry bar, exit bar, sign, reason
    t_float = np.zeros((n + 1, 9))  # units, entry, exit, pnl, pips, commission, swap, spread, slip
    count = 0
    # the position (sign 0: none): sign, units, entry price, entry bar, costs so far
    sign, p_units, p_entry, p_idx = 0, 0.0, 0.0, 0
    p_comm, p_spread, p_slip, p_swap = 0.0, 0.0, 0.0, 0.0
    # orders waiting for the next open
    close_pending, close_reason, open_sign, open_units = False, 0, 0, 0.0
    # risk
    cur_day, day_start, peak, daily_blocked = np.int64(-(2**62)), 0.0, 0.0, False
    running, killed_at, kill_equity, kill_peak = True, -1, 0.0, 0.0
    rejected, blocked = 0, 0
    bid, ask, rate = 0.0, 0.0, 1.0
    for i in range(n):
        sp = spread[i]
        bo, ao = _quotes(open_[i], sp, basis)
        _, ah = _quotes(high[i], sp, basis)
        bl, _ = _quotes(low[i], sp, basis)
        bc, ac = _quotes(close[i], sp, basis)
        # PaperBroker.on_bar: the open quote, then the pending orders (_fill_pending, _execute)
        bid, ask, rate = bo, ao, (bo + ao) / 2
        conv = (mode, lot, cpl, pip)
        if close_pending and sign != 0:  # the close of a reversal or an exit, at the open
            price = (bo if sign > 0 else ao) + (-sign) * slip
            costs = (
                _to_account(p_units * (ao - bo) / 2, mode, rate),
                _to_account(p_units * slip, mode, rate),
            )
            position = (sign, p_units, p_entry, p_idx, p_comm, p_spread, p_slip, p_swap)
            balance += _book(t_int, t_float, count, position, price, i, close_reason, costs, conv)
            count, sign = count + 1, 0
        close_pending = False
        if open_sign != 0:
            price = (ao if open_sign > 0 else bo) + open_sign * slip
            spread_cost = _to_account(open_units * (ao - bo) / 2, mode, rate)
            slip_cost = _to_account(open_units * slip, mode, rate)
            need = abs(_to_account(open_units * ((bo + ao) / 2), mode, rate)) / leverage
            if need > balance:  # free margin: no position is open here
                rejected += 1
            else:
                commission = abs(open_units) / lot * cpl
                balance -= commission
                sign, p_units, p_entry, p_idx = open_sign, open_units, price, i
                p_comm, p_spread, p_slip, p_swap = commission, spread_cost, slip_cost, 0.0
            open_sign = 0
        # the close quote; _survive: swap at the rollovers inside the bar
        bid, ask, rate = bc, ac, (bc + ac) / 2
        conv = (mode, lot, cpl, pip)
        exit_costs = (_to_account(p_units * (ac - bc) / 2, mode, rate), 0.0)
        if sign != 0 and nights[i]:
            pips = (swap_long if sign > 0 else swap_short) * nights[i]
            p_swap = p_swap + _to_account(p_units * (pips * pip), mode, rate)
        # _margin_check at the bar's worst prices
        if sign != 0:
            worst = bl if sign > 0 else ah
            equity = balance + (
                _to_account(sign * p_units * (worst - p_entry), mode, rate) + p_swap
            )
            margin = abs(_to_account(p_units * ((bc + ac) / 2), mode, rate)) / leverage
            if not (margin <= 0 or equity / margin >= call_level):
                position = (sign, p_units, p_entry, p_idx, p_comm, p_spread, p_slip, p_swap)
                balance += _book(
                    t_int, t_float, count, position, worst, i, _MARGIN_CALL, exit_costs, conv
                )
                count, sign = count + 1, 0
        # RiskManager.on_bar with the account at the close
        held = 0.0
        if sign != 0:
            exit_price = bc if sign > 0 else ac
            held = _to_account(sign * p_units * (exit_price - p_entry), mode, rate) + p_swap
        equity = balance + held
        if day[i] != cur_day:
            cur_day, day_start, daily_blocked = day[i], equity, False
        peak = max(peak, equity)
        if not daily_blocked and day_start - equity >= dll * day_start:
            daily_blocked = True
        if killed_at < 0 and equity <= peak * (1 - mdd):
            killed_at, kill_equity, kill_peak, running = i, equity, peak, False
            if sign != 0:  # emergency_close_all at the close quote
                price = bc if sign > 0 else ac
                position = (sign, p_units, p_entry, p_idx, p_comm, p_spread, p_slip, p_swap)
                balance += _book(t_int, t_float, count, position, price, i, _KILL, exit_costs, conv)
                count, sign = count + 1, 0
                equity = balance
        # the strategy's decision (AutomatedTradingEngine._act)
        want, act = 0, False
        if running and i >= act_from:
            if go_long[i] and sign != 1:
                want, act = 1, True
            elif go_short[i] and sign != -1:
                want, act = -1, True
            elif (sign == 1 and exit_long[i]) or (sign == -1 and exit_short[i]):
                act = True
        if act and sign != 0:
            close_pending, close_reason = True, _REVERSE if want != 0 else _EXIT
        if act and want != 0 and daily_blocked:
            blocked += 1
        elif act and want != 0:  # RiskManager.size with fixed units, the held position open
            used, exposure, current = 0.0, 0.0, 0.0
            if sign != 0:
                used = abs(_to_account(p_units * ((bc + ac) / 2), mode, rate)) / leverage
                exposure = abs(_to_account(p_units * (bc + ac) / 2, mode, rate))
                current = 0.0 + sign * exposure if mode == 0 else 0.0 - sign * exposure
            wanted = units
            per_unit = abs(_to_account(close[i], mode, rate))
            rooms = (
                max(equity - used, 0.0) * leverage,
                max(mte * equity - exposure, 0.0),
                _room(current, want if mode == 0 else -want, mce * equity),
            )
            for room in rooms:
                if room / per_unit < wanted:
                    wanted = room / per_unit
            rounded = math.floor(wanted / step + 1e-9) * step
            if rounded < min_units:
                blocked += 1
            else:
                open_sign, open_units = want, rounded
        # AutomatedTradingEngine._record: the equity at the close
        equity_out[i] = equity
    # finish: close what is open at the last close quote (pending orders are cancelled)
    if sign != 0:
        price = bid if sign > 0 else ask
        costs = (_to_account(p_units * (ask - bid) / 2, mode, rate), 0.0)
        position = (sign, p_units, p_entry, p_idx, p_comm, p_spread, p_slip, p_swap)
        conv = (mode, lot, cpl, pip)
        balance += _book(t_int, t_float, count, position, price, n - 1, _END, costs, conv)
        count += 1
        equity_out[n - 1] = balance
    return (
        t_int,
        t_float,
        count,
        equity_out,
        killed_at,
        kill_equity,
        kill_peak,
        rejected,
        blocked,
    )
