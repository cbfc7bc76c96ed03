"""A trade plan valued by a forecast's sample paths, net of what the paper broker charges.

A plan (direction, entry, stop, target, ``bars`` to hold at most) is entered at the next bar's
open as a market order and left by its target, its stop or a time stop at the close of its
last bar: the paper broker's rules (:mod:`forex_diffusion.trading.paper_broker`). The
forecast's sample paths give the price at the close of each bar ahead (steps, in bars, at the
forecast's horizons; the fused strategy asks for every bar). Between two steps a path is taken
as a Brownian bridge, so a barrier touched inside a bar, or between two sparse horizons, counts:
for a bridge from ``x0`` to ``x1`` over ``dt`` bars with variance ``s2`` per bar, both below
a barrier ``u``, the probability that it touches ``u`` is ``exp(-2 (u - x0)(u - x1) / (s2 dt))``
(and 1 when an end lies beyond it). ``s2`` is the variance, across the samples, of the
increments of that step divided by its length, times the share of it real bars show inside
them (:func:`intrabar_scale`, measured on the fit bars). When the stop and the target may both be
touched in the same step the stop counts (the conservative reading, as the broker's default
``intrabar = "worst"`` and :mod:`forex_diffusion.intelligence.outcomes` do).

Costs are the broker's: the entry fills at the ask (a long) of the first bar's open plus the
slippage; the exits trigger on the other side of the quote (a long's target when the bid
reaches it: the mid must clear it by the half spread of that bar's session), a stop fill slips,
a target does not, the time stop closes at the last bar's close; commission on both sides;
swap for every 17:00 New York rollover of the bars held before the exit bar (tripled on
Wednesday). Gaps through a level (a fill at a worse open) are not modelled.

Results are in R, the plan's risk ``|entry - stop|``: ``expected_r`` is the mean result over
the samples and outcomes after costs, ``gross_r`` the same with no costs, ``cost_r`` their
difference. ``p_target + p_stop + p_expiry = 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Forecast
from forex_diffusion.core.instruments import STANDARD_LOT, get_instrument
from forex_diffusion.core.trading_config import BrokerConfig
from forex_diffusion.trading.costs import CostModel, rollover_nights_per_bar

__all__ = [
    "BROWNIAN_RANGE",
    "BarCosts",
    "Plan",
    "PlanValue",
    "account_per_quote",
    "bar_costs",
    "intrabar_scale",
    "passage",
    "value_plan",
]

_QUOTE_SIDES = {"mid": (0.5, 0.5), "bid": (0.0, 1.0), "ask": (1.0, 0.0)}
"""Share of the spread below (bid) and above (ask) a candle price, per ``price_basis``."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A trade plan made on the close of a bar: levels are candle prices (the quote basis)."""

    direction: Literal["long", "short"]
    entry: float
    stop: float
    target: float
    bars: int
    """The time stop: closed at the close of this many bars after the entry."""

    def __post_init__(self) -> None:
        s = 1 if self.direction == "long" else -1
        if self.direction not in ("long", "short"):
            raise ConfigError(f"plan direction must be long or short, got {self.direction!r}")
        if s * (self.target - self.entry) <= 0 or s * (self.entry - self.stop) <= 0:
            raise ConfigError(
                f"{self.direction} plan needs its target beyond and its stop against the entry "
                f"(entry {self.entry}, stop {self.stop}, target {self.target})"
            )
        if self.bars < 1:
            raise ConfigError(f"plan must hold at least one bar, got {self.bars}")

    @property
    def sign(self) -> int:
        return 1 if self.direction == "long" else -1

    @property
    def risk(self) -> float:
        """One R: the distance from the entry to the stop."""
        return abs(self.entry - self.stop)


@dataclass(frozen=True, slots=True)
class PlanValue:
    """What the paths say about a plan (see the module docstring)."""

    p_target: float
    p_stop: float
    p_expiry: float
    expected_r: float
    gross_r: float
    cost_r: float
    target_r: float
    """Mean result in R, after costs, of the samples' target exits (given a target exit;
    where no path reaches the target, what a fill at it would return)."""
    stop_r: float
    """Mean result in R, after costs, given a stop exit (about -1 less the costs)."""
    expiry_r: float
    """Mean result in R, after costs, given a time stop (no path: a close at the entry)."""
    bars: int
    """Bars the plan was valued over (its ``bars``, at most the forecast's longest horizon)."""

    def as_metadata(self) -> dict[str, float | int]:
        """The keys stored with a candidate."""
        return {
            "forecast_expectancy": self.expected_r,
            "p_target": self.p_target,
            "p_stop": self.p_stop,
            "p_expiry": self.p_expiry,
            "cost_r": self.cost_r,
            "target_r": self.target_r,
            "stop_r": self.stop_r,
            "expiry_r": self.expiry_r,
            "valued_bars": self.bars,
        }


def passage(
    paths: np.ndarray,
    steps: np.ndarray,
    *,
    start: float,
    upper: np.ndarray,
    lower: np.ndarray,
    bridge: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-passage probabilities of sample paths between two barriers.

    Parameters
    ----------
    paths
        ``(samples, len(steps))`` values at the steps.
    steps
        Times of the columns in bars, ascending, after 0 (where every path is ``start``).
    upper, lower
        The barriers in force during each step (``len(steps)``).
    bridge
        Scales the bridge's variance (1: Brownian inside a step; see :func:`intrabar_scale`).

    Returns
    -------
    up, down, alive
        ``up[i, k]``: probability that path ``i`` first leaves through ``upper`` during step
        ``k``; ``down`` likewise through ``lower`` (which wins a step where both may be
        touched); ``alive[i]``: probability that it touched neither by the last step.
    """
    x = np.asarray(paths, float)
    t = np.asarray(steps, float)
    n, m = x.shape
    if m != len(t) or m == 0 or (np.diff(t) <= 0).any() or t[0] <= 0:
        raise ConfigError("passage: steps must be ascending positive times, one per column")
    prev = np.full(n, float(start))
    alive = np.ones(n)
    up = np.zeros((n, m))
    down = np.zeros((n, m))
    last_t = 0.0
    for k in range(m):
        dt = t[k] - last_t
        cur = x[:, k]
        s2 = bridge * float(np.var(cur - prev)) / dt
        q_up = _touch(prev, cur, float(upper[k]), s2, dt, above=True)
        q_dn = _touch(prev, cur, float(lower[k]), s2, dt, above=False)
        down[:, k] = alive * q_dn
        up[:, k] = alive * (1.0 - q_dn) * q_up
        alive = alive * (1.0 - q_dn) * (1.0 - q_up)
        prev, last_t = cur, t[k]
    return up, down, alive


def _touch(
    x0: np.ndarray, x1: np.ndarray, barrier: float, s2: float, dt: float, *, above: bool
) -> np.ndarray:
    """Probability that a Brownian bridge from ``x0`` to ``x1`` touches ``barrier``."""
    d0 = barrier - x0 if above else x0 - barrier
    d1 = barrier - x1 if above else x1 - barrier
    beyond = (d0 <= 0) | (d1 <= 0)
    if s2 <= 0:
        return beyond.astype(float)
    inside = np.exp(-2.0 * np.clip(d0, 0, None) * np.clip(d1, 0, None) / (s2 * dt))
    return np.where(beyond, 1.0, inside)


BROWNIAN_RANGE = math.sqrt(8 / math.pi)
"""The expected high-low range of a Brownian motion over a bar, in its standard deviations."""


def intrabar_scale(candles: pd.DataFrame) -> float:
    """How much of a Brownian bridge's variance real bars show inside them: the squared ratio
    of the bars' mean high-low range (in log prices) to the range a Brownian motion with the
    same close-to-close standard deviation would have (:data:`BROWNIAN_RANGE`), in [0.25, 1.5].

    FX bars move less inside them than their close-to-close volatility implies (fat tails:
    most bars are quiet, a few move a lot; EURUSD H1 2017: 1.35 standard deviations against
    1.60), so a Brownian bridge overstates how often a level between two closes is touched."""
    high = np.log(candles["high"].to_numpy(float))
    low = np.log(candles["low"].to_numpy(float))
    close = np.log(candles["close"].to_numpy(float))
    sd = float(np.std(np.diff(close)))
    if len(close) < 3 or sd <= 0:
        return 1.0
    ratio = float(np.mean(high - low)) / (BROWNIAN_RANGE * sd)
    return float(np.clip(ratio**2, 0.25, 1.5))


@dataclass(frozen=True, slots=True)
class BarCosts:
    """The bars after a forecast's origin: their spreads (price differences) and the
    rollover nights held before each (``nights[k]``: before bar ``k + 1``; ``nights[0] = 0``)."""

    spread: np.ndarray
    nights: np.ndarray


def bar_costs(
    costs: CostModel, symbol: str, origin: pd.Timestamp, bar: pd.Timedelta, bars: int
) -> BarCosts:
    """:class:`BarCosts` of the ``bars`` bars after ``origin``."""
    inst = get_instrument(symbol)
    opens = pd.DatetimeIndex([origin + int(k) * bar for k in range(1, bars + 1)])
    spread = costs.spread_pips_per_bar(symbol, opens) * inst.pip_size
    nights = np.concatenate([[0], np.cumsum(rollover_nights_per_bar(opens, bar))])
    return BarCosts(np.asarray(spread, float), nights)


def account_per_quote(symbol: str, price: float, config: BrokerConfig) -> float:
    """Account-currency value of one unit of the pair's quote currency (1 when they are the
    same; from the pair's own price when the base is the account currency; else a configured
    ``fx_rates`` pair)."""
    sym = get_instrument(symbol).symbol
    ccy = config.account_currency
    if sym.quote == ccy:
        return 1.0
    if sym.base == ccy:
        return 1.0 / price
    direct, inverse = f"{sym.quote}{ccy}", f"{ccy}{sym.quote}"
    if direct in config.fx_rates:
        return config.fx_rates[direct]
    if inverse in config.fx_rates:
        return 1.0 / config.fx_rates[inverse]
    raise ConfigError(
        f"no rate to value {sym.quote} costs in {ccy}: add {direct} to [trading.broker] fx_rates"
    )


def value_plan(
    forecast: Forecast,
    plan: Plan,
    *,
    costs: CostModel,
    bar: pd.Timedelta,
    bridge: float = 1.0,
    prepared: BarCosts | None = None,
) -> PlanValue:
    """Value ``plan`` with ``forecast``'s sample paths (made on the close of the plan's bar,
    ``forecast.origin_ts``) and the costs of ``costs`` (see the module docstring); ``bridge``
    scales the variance of the bridges between steps (:func:`intrabar_scale`); ``prepared``:
    the :func:`bar_costs` of the forecast's bars, shared by the plans of one bar."""
    if forecast.samples is None:
        raise ConfigError(f"forecast {forecast.model_id} has no sample paths to value a plan")
    horizons = np.asarray(forecast.horizons)
    keep = horizons <= plan.bars
    if plan.bars not in horizons and not keep.all():  # the first horizon after the expiry
        keep[int(np.argmax(~keep))] = True
    steps = horizons[keep]
    paths = np.asarray(forecast.samples, float)[:, keep]
    symbol, config = forecast.symbol, costs.config
    inst = get_instrument(symbol)
    below, above = _QUOTE_SIDES[config.price_basis]
    ahead = prepared or bar_costs(costs, symbol, forecast.origin_ts, bar, int(steps[-1]))
    if len(ahead.spread) < steps[-1]:
        raise ConfigError(f"bar costs cover {len(ahead.spread)} bars, the plan {steps[-1]}")
    spread, slip = ahead.spread, costs.slippage(symbol)
    s, risk = plan.sign, plan.risk
    # a long buys at the ask and leaves at the bid; a short the other way round
    entry_side, exit_side = (above, below) if s > 0 else (below, above)
    fill = plan.entry + s * (entry_side * spread[0] + slip)
    # the spread of a step's bar (inside a gap between horizons: the widest of its bars)
    bounds = np.concatenate([[0], steps])
    exit_spread = np.array([spread[a:b].max() for a, b in pairwise(bounds)])
    offset = s * exit_side * exit_spread  # a long's exits trigger when the mid clears the bid
    target_level = plan.target + offset
    stop_level = plan.stop + offset
    upper, lower = (target_level, stop_level) if s > 0 else (stop_level, target_level)
    up, down, alive = passage(
        paths, steps, start=plan.entry, upper=upper, lower=lower, bridge=bridge
    )
    hit_target, hit_stop = (up, down) if s > 0 else (down, up)
    per_unit_commission = 2 * config.commission_per_lot / STANDARD_LOT
    commission = per_unit_commission / account_per_quote(symbol, plan.entry, config)
    nights = ahead.nights
    swap_per_night = inst.from_pips(costs.swap_pips(symbol, plan.direction))
    swap = swap_per_night * nights[steps - 1]  # nights of the bars held before the exit bar
    last_close = paths[:, -1]
    net: dict[str, np.ndarray | float] = {
        "target": s * (plan.target - fill) + swap - commission,
        "stop": s * (plan.stop - s * slip - fill) + swap - commission,
        "expiry": s * (last_close - s * exit_side * spread[steps[-1] - 1] - fill)
        + swap[-1]
        - commission,
    }
    gross: dict[str, np.ndarray | float] = {
        "target": s * (plan.target - plan.entry),
        "stop": s * (plan.stop - plan.entry),
        "expiry": s * (last_close - plan.entry),
    }
    p_t, p_s = float(hit_target.sum(1).mean()), float(hit_stop.sum(1).mean())
    p_e = float(alive.mean())

    def outcome(result: dict[str, np.ndarray | float]) -> tuple[float, float, float, float]:
        tgt = float((hit_target * result["target"]).sum(1).mean())
        stp = float((hit_stop * result["stop"]).sum(1).mean())
        exp = float((alive * result["expiry"]).mean())
        return (tgt + stp + exp) / risk, tgt / risk, stp / risk, exp / risk

    total, tgt, stp, exp = outcome(net)
    gross_total = outcome(gross)[0]
    # what an outcome would return where no sample path reaches it (no swap)
    at_target = (s * (plan.target - fill) - commission) / risk
    at_stop = (s * (plan.stop - s * slip - fill) - commission) / risk
    at_entry = (s * (plan.entry - s * exit_side * spread[steps[-1] - 1] - fill) - commission) / risk
    return PlanValue(
        p_target=p_t,
        p_stop=p_s,
        p_expiry=p_e,
        expected_r=total,
        gross_r=gross_total,
        cost_r=gross_total - total,
        target_r=tgt / p_t if p_t > 0 else float(at_target),
        stop_r=stp / p_s if p_s > 0 else float(at_stop),
        expiry_r=exp / p_e if p_e > 0 else float(at_entry),
        bars=int(steps[-1]),
    )
