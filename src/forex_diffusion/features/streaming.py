"""Incremental indicators for the live engine: ``update(bar)`` per closed bar, same values as batch.

Each object keeps only the state its definition needs (running sums, Wilder/EMA values,
monotonic deques for highs and lows), so an update costs O(1) in the length of the series
(CCI and Hurst recompute over their fixed window: O(period)). Values follow TA-Lib's warm-up:
NaN until the batch function has a value. ``streaming("macd_12_26_9")`` builds one from the same
specs as :func:`~forex_diffusion.features.consolidated_indicators.calculate_indicators`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from forex_diffusion.features.consolidated_indicators import ResolvedIndicator, parse_spec
from forex_diffusion.features.hurst import hurst_last

__all__ = ["StreamingIndicator", "streaming"]

NAN = math.nan
Bar = Mapping[str, float] | float


def _field(bar: Bar, name: str) -> float:
    if isinstance(bar, int | float):
        return float(bar)
    return float(bar[name])


class _Mean:
    """SMA-seeded recursive mean: TA-Lib's EMA (alpha 2/(p+1)) and Wilder (alpha 1/p)."""

    def __init__(self, period: int, alpha: float) -> None:
        self.period, self.alpha = period, alpha
        self.count, self.total, self.value = 0, 0.0, NAN

    def update(self, x: float) -> float:
        self.count += 1
        if self.count < self.period:
            self.total += x
        elif self.count == self.period:
            self.value = (self.total + x) / self.period
        else:
            self.value += self.alpha * (x - self.value)
        return self.value


class _Window:
    """A trailing window with a running sum (and sum of squares)."""

    def __init__(self, period: int) -> None:
        self.period = period
        self.items: deque[float] = deque()
        self.total = 0.0
        self.squares = 0.0

    def update(self, x: float) -> bool:
        self.items.append(x)
        self.total += x
        self.squares += x * x
        if len(self.items) > self.period:
            old = self.items.popleft()
            self.total -= old
            self.squares -= old * old
        return len(self.items) == self.period


class _Extreme:
    """Trailing max (or min) over ``period`` values with a monotonic deque: amortised O(1)."""

    def __init__(self, period: int, *, maximum: bool) -> None:
        self.period, self.sign = period, 1.0 if maximum else -1.0
        self.items: deque[tuple[int, float]] = deque()
        self.count = 0

    def update(self, x: float) -> float:
        key = self.sign * x
        while self.items and self.sign * self.items[-1][1] <= key:
            self.items.pop()
        self.items.append((self.count, x))
        if self.items[0][0] <= self.count - self.period:
            self.items.popleft()
        self.count += 1
        return self.items[0][1] if self.count >= self.period else NAN


class StreamingIndicator(ABC):
    """Base class: ``update(bar)`` returns the value (a tuple for several outputs)."""

    def __init__(self, resolved: ResolvedIndicator) -> None:
        self.resolved = resolved
        self.columns = resolved.columns
        self.values: dict[str, float] = dict.fromkeys(self.columns, NAN)

    def update(self, bar: Bar) -> Any:
        """Feed one closed bar (a mapping with open/high/low/close, or a close price)."""
        out = self._step(bar)
        self.values = dict(zip(self.columns, out, strict=True))
        return out[0] if len(out) == 1 else out

    @abstractmethod
    def _step(self, bar: Bar) -> tuple[float, ...]:
        """One bar's outputs, in ``columns`` order."""


class _SmaS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        self.win = _Window(int(r.params["period"]))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        full = self.win.update(_field(bar, "close"))
        return (self.win.total / self.win.period if full else NAN,)


class _EmaS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        p = int(r.params["period"])
        self.mean = _Mean(p, 2.0 / (p + 1))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        return (self.mean.update(_field(bar, "close")),)


class _RsiS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        p = int(r.params["period"])
        self.gain, self.loss, self.prev = _Mean(p, 1.0 / p), _Mean(p, 1.0 / p), NAN

    def _step(self, bar: Bar) -> tuple[float, ...]:
        close = _field(bar, "close")
        prev, self.prev = self.prev, close
        if math.isnan(prev):
            return (NAN,)
        g, lo = self.gain.update(max(close - prev, 0.0)), self.loss.update(max(prev - close, 0.0))
        if math.isnan(g):
            return (NAN,)
        return (0.0 if abs(g + lo) < 1e-8 else 100.0 * g / (g + lo),)


class _TrueRange:
    def __init__(self) -> None:
        self.prev = NAN

    def update(self, bar: Bar) -> float:
        high, low, close = (_field(bar, k) for k in ("high", "low", "close"))
        prev, self.prev = self.prev, close
        if math.isnan(prev):
            return NAN
        return max(high, prev) - min(low, prev)


class _AtrS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        p = int(r.params["period"])
        self.tr, self.mean = _TrueRange(), _Mean(p, 1.0 / p)

    def _step(self, bar: Bar) -> tuple[float, ...]:
        tr = self.tr.update(bar)
        return (NAN if math.isnan(tr) else self.mean.update(tr),)


class _MacdS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        fast, slow = int(r.params["fast"]), int(r.params["slow"])
        self.fast, self.slow = min(fast, slow), max(fast, slow)
        sig = int(r.params["signal"])
        self.closes: deque[float] = deque(maxlen=self.slow)
        self.count, self.fast_v, self.slow_v = 0, NAN, NAN
        self.signal = _Mean(sig, 2.0 / (sig + 1))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        close = _field(bar, "close")
        self.count += 1
        if self.count < self.slow:
            self.closes.append(close)
            return (NAN, NAN, NAN)
        if self.count == self.slow:  # TA-Lib seeds both EMAs on the slow one's first bar
            self.closes.append(close)
            values = list(self.closes)
            self.slow_v = sum(values) / self.slow
            self.fast_v = sum(values[-self.fast :]) / self.fast
        else:
            self.fast_v += 2.0 / (self.fast + 1) * (close - self.fast_v)
            self.slow_v += 2.0 / (self.slow + 1) * (close - self.slow_v)
        line = self.fast_v - self.slow_v
        sig = self.signal.update(line)
        return (NAN, NAN, NAN) if math.isnan(sig) else (line, sig, line - sig)


class _BbS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        self.win, self.k = _Window(int(r.params["period"])), float(r.params["nbdev"])

    def _step(self, bar: Bar) -> tuple[float, ...]:
        if not self.win.update(_field(bar, "close")):
            return (NAN, NAN, NAN)
        mean = self.win.total / self.win.period
        var = self.win.squares / self.win.period - mean * mean
        width = self.k * (math.sqrt(var) if var > 0 else 0.0)
        return (mean + width, mean, mean - width)


class _RangeS(StreamingIndicator):
    """Shared state of the indicators built on the trailing highest high and lowest low."""

    def __init__(self, r: ResolvedIndicator, period: int) -> None:
        super().__init__(r)
        self.hi, self.lo = _Extreme(period, maximum=True), _Extreme(period, maximum=False)

    def _range(self, bar: Bar) -> tuple[float, float]:
        return self.hi.update(_field(bar, "high")), self.lo.update(_field(bar, "low"))


class _StochS(_RangeS):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r, int(r.params["fastk"]))
        self.k = _Window(int(r.params["slowk"]))
        self.d = _Window(int(r.params["slowd"]))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        hh, ll = self._range(bar)
        if math.isnan(hh):
            return (NAN, NAN)
        diff = (hh - ll) / 100.0
        raw = (_field(bar, "close") - ll) / diff if diff != 0.0 else 0.0
        if not self.k.update(raw):
            return (NAN, NAN)
        k = self.k.total / self.k.period
        return (k, self.d.total / self.d.period) if self.d.update(k) else (NAN, NAN)


class _WillrS(_RangeS):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r, int(r.params["period"]))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        hh, ll = self._range(bar)
        if math.isnan(hh):
            return (NAN,)
        diff = (hh - ll) / -100.0
        return ((hh - _field(bar, "close")) / diff if diff != 0.0 else 0.0,)


class _DonchianS(_RangeS):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r, int(r.params["period"]))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        hh, ll = self._range(bar)
        return (hh, (hh + ll) / 2.0, ll)


class _AdxS(StreamingIndicator):
    """TA-Lib's ADX state machine: Wilder sums of +DM, -DM and TR; DX averaged, then smoothed."""

    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        self.p = int(r.params["period"])
        self.count, self.prev = 0, (NAN, NAN, NAN)
        self.s_plus = self.s_minus = self.s_tr = 0.0
        self.dx_sum, self.adx = 0.0, NAN

    def _step(self, bar: Bar) -> tuple[float, ...]:
        high, low, close = (_field(bar, k) for k in ("high", "low", "close"))
        p_high, p_low, p_close = self.prev
        self.prev = (high, low, close)
        i, self.count = self.count, self.count + 1
        if i == 0:
            return (NAN, NAN, NAN)
        diff_p, diff_m = high - p_high, p_low - low
        minus = diff_m if (diff_m > 0 and diff_p < diff_m) else 0.0
        plus = diff_p if (minus == 0.0 and diff_p > 0 and diff_p > diff_m) else 0.0
        tr = max(high, p_close) - min(low, p_close)
        if i < self.p:  # seed: plain sums of the first p-1 values
            self.s_plus += plus
            self.s_minus += minus
            self.s_tr += tr
            return (NAN, NAN, NAN)
        decay = 1.0 - 1.0 / self.p
        self.s_plus = self.s_plus * decay + plus
        self.s_minus = self.s_minus * decay + minus
        self.s_tr = self.s_tr * decay + tr
        plus_di = minus_di = 0.0
        dx = NAN
        if abs(self.s_tr) >= 1e-8:
            plus_di = 100.0 * self.s_plus / self.s_tr
            minus_di = 100.0 * self.s_minus / self.s_tr
            if abs(plus_di + minus_di) >= 1e-8:
                dx = 100.0 * abs(minus_di - plus_di) / (plus_di + minus_di)
        if i < 2 * self.p - 1:
            self.dx_sum += 0.0 if math.isnan(dx) else dx
        elif i == 2 * self.p - 1:
            self.adx = (self.dx_sum + (0.0 if math.isnan(dx) else dx)) / self.p
        elif not math.isnan(dx):
            self.adx += (dx - self.adx) / self.p
        return (self.adx, plus_di, minus_di)


class _KeltnerS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        p, ap = int(r.params["period"]), int(r.params["atr_period"])
        self.mid, self.tr, self.atr = _Mean(p, 2.0 / (p + 1)), _TrueRange(), _Mean(ap, 1.0 / ap)
        self.mult = float(r.params["mult"])

    def _step(self, bar: Bar) -> tuple[float, ...]:
        mid = self.mid.update(_field(bar, "close"))
        tr = self.tr.update(bar)
        band = NAN if math.isnan(tr) else self.atr.update(tr)
        if math.isnan(mid) or math.isnan(band):
            return (NAN, NAN, NAN)
        return (mid + self.mult * band, mid, mid - self.mult * band)


class _CciS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        self.win: deque[float] = deque(maxlen=int(r.params["period"]))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        tp = (_field(bar, "high") + _field(bar, "low") + _field(bar, "close")) / 3.0
        self.win.append(tp)
        if len(self.win) < (p := self.win.maxlen or 1):
            return (NAN,)
        window = np.fromiter(self.win, dtype=float, count=p)
        avg = window.sum() / p
        dev = float(np.abs(window - avg).sum())
        last = tp - avg
        return (last / (0.015 * (dev / p)) if last != 0.0 and dev != 0.0 else 0.0,)


class _RocS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        self.win: deque[float] = deque(maxlen=int(r.params["period"]) + 1)

    def _step(self, bar: Bar) -> tuple[float, ...]:
        self.win.append(_field(bar, "close"))
        if len(self.win) < (self.win.maxlen or 0):
            return (NAN,)
        old = self.win[0]
        return ((self.win[-1] / old - 1.0) * 100.0 if old != 0.0 else 0.0,)


class _HurstS(StreamingIndicator):
    def __init__(self, r: ResolvedIndicator) -> None:
        super().__init__(r)
        self.win: deque[float] = deque(maxlen=int(r.params["window"]))

    def _step(self, bar: Bar) -> tuple[float, ...]:
        self.win.append(_field(bar, "close"))
        if len(self.win) < (n := self.win.maxlen or 0):
            return (NAN,)
        return (hurst_last(np.fromiter(self.win, dtype=float, count=n)),)


_CLASSES: dict[str, type[StreamingIndicator]] = {
    "sma": _SmaS,
    "ema": _EmaS,
    "rsi": _RsiS,
    "atr": _AtrS,
    "macd": _MacdS,
    "bb": _BbS,
    "stoch": _StochS,
    "adx": _AdxS,
    "donchian": _DonchianS,
    "keltner": _KeltnerS,
    "willr": _WillrS,
    "cci": _CciS,
    "roc": _RocS,
    "hurst": _HurstS,
}


def streaming(spec: str | Mapping[str, Mapping[str, Any] | None]) -> StreamingIndicator:
    """An incremental indicator for one spec (``"rsi_14"``, ``{"bb": {"period": 30}}``)."""
    resolved = parse_spec(spec)
    if len(resolved) != 1:
        raise ValueError(f"streaming() takes one indicator, got {len(resolved)}")
    return _CLASSES[resolved[0].spec.key](resolved[0])
