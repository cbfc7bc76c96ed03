"""Reference strategies that trade through the same engine without the forecaster.

They serve as cross-checks against other engines and as templates: each is a small class
with typed parameters and one ``on_bar``. Indicators come from TA-Lib, on closed bars only.
A stop of ``stop_atr`` ATRs (0: none) lets the engine size from the account risk; ``units``
fixes the size instead.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import talib
from pydantic import Field, model_validator

from forex_diffusion.trading.strategies.base import (
    NOTHING,
    STRATEGIES,
    BarView,
    Decision,
    Intent,
    Rules,
    Strategy,
    StrategyParams,
)

__all__ = ["DonchianBreakout", "RsiReversion", "SmaCross"]


class _Sized(StrategyParams):
    stop_atr: float = Field(
        default=2.0,
        ge=0,
        description="stop this many ATRs from the entry bar's close; the engine sizes the "
        "position from it and the account risk (0: no stop, then units is needed)",
    )
    atr_period: int = Field(default=14, ge=1, description="bars of the ATR the stop is measured in")
    units: float | None = Field(
        default=None,
        gt=0,
        description="fixed position size in base units instead of sizing from the stop",
    )

    @property
    def atr_bars(self) -> int:
        """Bars the ATR stop needs (none without a stop)."""
        return self.atr_period + 1 if self.stop_atr > 0 else 0

    @model_validator(mode="after")
    def _sizable(self) -> _Sized:
        if self.stop_atr == 0 and self.units is None:
            raise ValueError("without a stop (stop_atr = 0) a fixed 'units' is needed")
        return self


def _last_two_means(values: np.ndarray, n: int) -> tuple[float, float]:
    """The n-bar means at the previous and the last bar, each summed over its own window (a
    running sum, as in TA-Lib's SMA, carries rounding from wherever the history starts, and
    exact ties between two averages would then flip with the engine's history length)."""
    return float(values[-n - 1 : -1].sum() / n), float(values[-n:].sum() / n)


def _window_means(values: np.ndarray, n: int) -> np.ndarray:
    """The n-bar mean ending at every bar (NaN before), each summed over its own window like
    :func:`_last_two_means` (bit for bit: NumPy sums each window row the same way)."""
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(values, n).sum(axis=1) / n
    return out


def _previous(values: np.ndarray) -> np.ndarray:
    """``values`` one bar later (NaN first): element t is the value of bar t - 1."""
    return np.concatenate([[np.nan], values[:-1]])


def _rules(
    strategy: Strategy, p: _Sized, go_long: np.ndarray, go_short: np.ndarray, **exits: np.ndarray
) -> Rules | None:
    """Rules of a fixed-size strategy without stops (``None`` when it sizes from a stop)."""
    if p.stop_atr > 0 or p.units is None:
        return None
    none = np.zeros(len(go_long), dtype=bool)
    return Rules(
        go_long=go_long,
        go_short=go_short,
        exit_long=exits.get("exit_long", none),
        exit_short=exits.get("exit_short", none),
        units=p.units,
        source=strategy.name,
    )


def _intent(strategy: Strategy, view: BarView, direction: str, p: _Sized) -> Intent:
    """A long/short intent with an ATR stop (when configured)."""
    stop = None
    if p.stop_atr > 0:
        atr = talib.ATR(
            view.column("high"),
            view.column("low"),
            view.column("close"),
            timeperiod=p.atr_period,
        )[-1]
        sign = 1 if direction == "long" else -1
        stop = view.close - sign * p.stop_atr * float(atr)
    return Intent(
        symbol=view.symbol,
        direction=direction,  # type: ignore[arg-type]
        stop=stop,
        units=p.units,
        source=strategy.name,
    )


@STRATEGIES.register("sma_cross")
class SmaCross(Strategy):
    """Long when the fast SMA of closes crosses above the slow one (previous bar fast < slow,
    this bar fast > slow), short on the opposite cross; always in the market after the first
    cross, reversing at the next bar's open."""

    name = "sma_cross"

    class Params(_Sized):
        fast: int = Field(
            default=10, ge=1, description="bars of the fast moving average (fewer than slow)"
        )
        slow: int = Field(default=30, ge=2, description="bars of the slow moving average")

        @model_validator(mode="after")
        def _ordered(self) -> SmaCross.Params:
            if self.fast >= self.slow:
                raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
            return self

    params: Params

    @property
    def warmup(self) -> int:
        return max(self.params.slow + 1, self.params.atr_bars)

    def on_bar(self, view: BarView) -> Decision:
        close = view.column("close")
        fast = _last_two_means(close, self.params.fast)
        slow = _last_two_means(close, self.params.slow)
        if fast[0] < slow[0] and fast[1] > slow[1] and view.side != "long":
            return Decision.of(_intent(self, view, "long", self.params))
        if fast[0] > slow[0] and fast[1] < slow[1] and view.side != "short":
            return Decision.of(_intent(self, view, "short", self.params))
        return NOTHING

    def rules(self, columns: Mapping[str, np.ndarray]) -> Rules | None:
        close = np.asarray(columns["close"], dtype=float)
        fast = _window_means(close, self.params.fast)
        slow = _window_means(close, self.params.slow)
        fast_before, slow_before = _previous(fast), _previous(slow)
        up = (fast_before < slow_before) & (fast > slow)
        down = (fast_before > slow_before) & (fast < slow)
        return _rules(self, self.params, up, down)


@STRATEGIES.register("rsi_reversion")
class RsiReversion(Strategy):
    """Long when RSI crosses back up through ``lower``, short when it crosses back down
    through ``upper``; flat when it crosses ``exit`` (the middle) against the position."""

    name = "rsi_reversion"

    class Params(_Sized):
        period: int = Field(default=14, ge=2, description="bars of the RSI")
        lower: float = Field(
            default=30.0,
            gt=0,
            lt=50,
            description="oversold level: long when the RSI crosses back up through it",
        )
        upper: float = Field(
            default=70.0,
            gt=50,
            lt=100,
            description="overbought level: short when the RSI crosses back down through it",
        )
        exit: float = Field(
            default=50.0,
            gt=0,
            lt=100,
            description="a position closes when the RSI crosses this level against it",
        )

    params: Params

    @property
    def warmup(self) -> int:
        return max(self.params.period + 2, self.params.atr_bars)

    def on_bar(self, view: BarView) -> Decision:
        p = self.params
        prev, now = talib.RSI(view.column("close"), timeperiod=p.period)[-2:]
        if not np.isfinite(prev):
            return NOTHING
        if prev < p.lower <= now and view.side != "long":
            return Decision.of(_intent(self, view, "long", p))
        if prev > p.upper >= now and view.side != "short":
            return Decision.of(_intent(self, view, "short", p))
        crossed_down, crossed_up = prev > p.exit >= now, prev < p.exit <= now
        if (view.side == "long" and crossed_down) or (view.side == "short" and crossed_up):
            return Decision.of(Intent(symbol=view.symbol, direction="flat", source=self.name))
        return NOTHING


@STRATEGIES.register("donchian_breakout")
class DonchianBreakout(Strategy):
    """Long when the close breaks above the highest high of the previous ``entry`` bars, short
    below the lowest low; flat when the close breaks the ``exit``-bar channel against it."""

    name = "donchian_breakout"

    class Params(_Sized):
        entry: int = Field(
            default=20,
            ge=2,
            description="bars of the entry channel: its highest high and lowest low, broken by "
            "a close, open a position",
        )
        exit: int = Field(
            default=10,
            ge=2,
            description="bars of the exit channel: a close through its far side closes the "
            "position",
        )

    params: Params

    @property
    def warmup(self) -> int:
        return max(self.params.entry + 1, self.params.exit + 1, self.params.atr_bars)

    def on_bar(self, view: BarView) -> Decision:
        p = self.params
        high, low = view.column("high")[:-1], view.column("low")[:-1]
        close = view.close
        if close > high[-p.entry :].max() and view.side != "long":
            return Decision.of(_intent(self, view, "long", p))
        if close < low[-p.entry :].min() and view.side != "short":
            return Decision.of(_intent(self, view, "short", p))
        if (view.side == "long" and close < low[-p.exit :].min()) or (
            view.side == "short" and close > high[-p.exit :].max()
        ):
            return Decision.of(Intent(symbol=view.symbol, direction="flat", source=self.name))
        return NOTHING

    def rules(self, columns: Mapping[str, np.ndarray]) -> Rules | None:
        p = self.params
        high, low = np.asarray(columns["high"], float), np.asarray(columns["low"], float)
        close = np.asarray(columns["close"], float)

        def channel(values: np.ndarray, n: int, fn: np.ufunc) -> np.ndarray:
            """The extreme of the n bars before each bar (NaN until there are n)."""
            out = np.full(len(values), np.nan)
            if len(values) > n:
                windows = np.lib.stride_tricks.sliding_window_view(values[:-1], n)
                out[n:] = fn.reduce(windows, axis=1)
            return out

        return _rules(
            self,
            p,
            close > channel(high, p.entry, np.maximum),
            close < channel(low, p.entry, np.minimum),
            exit_long=close < channel(low, p.exit, np.minimum),
            exit_short=close > channel(high, p.exit, np.maximum),
        )
