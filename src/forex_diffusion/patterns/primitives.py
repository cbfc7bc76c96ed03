"""Causal building blocks for pattern detectors: ATR, zigzag swings, line fits in ATR units.

* ATR comes from :mod:`forex_diffusion.features.consolidated_indicators` (one implementation);
  :func:`atr_or_range` fills its warm-up with the running mean of bar ranges, causally.
* :func:`swings` is a zigzag with an ATR threshold: a swing high is known only on the bar whose
  low has fallen ``threshold x ATR`` below it, and carries that confirmation bar.
* :func:`fit_line` and :func:`count_touches` measure lines through points in ATR units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.features.consolidated_indicators import calculate_indicators
from forex_diffusion.features.kernels import Array

__all__ = [
    "LineFit",
    "Swing",
    "atr",
    "atr_or_range",
    "count_touches",
    "fit_line",
    "swings",
    "swings_frame",
]


def atr(candles: pd.DataFrame, period: int = 14) -> Array:
    """TA-Lib ATR of the candles (NaN during warm-up)."""
    return calculate_indicators(candles, {"atr": {"period": period}})[f"atr_{period}"].to_numpy()


def atr_or_range(high: Array, low: Array, atr_values: Array) -> Array:
    """ATR where it exists, else the running mean of ``high - low`` so far (causal warm-up)."""
    running = np.cumsum(high - low) / np.arange(1, len(high) + 1)
    return np.where(np.isnan(atr_values), running, atr_values)


@dataclass(frozen=True, slots=True)
class Swing:
    """A confirmed swing point: the extreme bar and the bar that confirmed it."""

    kind: str  # "high" or "low"
    index: int
    price: float
    confirm_index: int


def _first_reversal(
    high: Array, low: Array, atr_values: Array, *, anchor: int, up: bool, threshold: float
) -> tuple[int, int] | None:
    """(extreme, confirmation) of the first reversal after ``anchor``, or ``None``.

    ``up``: track the running high from ``anchor`` and wait for a low ``threshold x ATR`` below
    it; else the mirror image. Searched in doubling blocks, each fully vectorised.
    """
    n, block = len(high), 64
    while True:
        stop = min(n, anchor + block)
        idx = np.arange(anchor, stop)
        if up:
            arg = _running_argmax(high[anchor:stop]) + anchor
            hit = (low[anchor:stop] <= high[arg] - threshold * atr_values[arg]) & (idx > arg)
        else:
            arg = _running_argmin(low[anchor:stop]) + anchor
            hit = (high[anchor:stop] >= low[arg] + threshold * atr_values[arg]) & (idx > arg)
        k = np.flatnonzero(hit)
        if k.size:
            return int(arg[k[0]]), int(anchor + k[0])
        if stop == n:
            return None
        block *= 2


def swings(high: Array, low: Array, atr_values: Array, *, threshold: float = 2.0) -> list[Swing]:
    """Zigzag swings with a reversal threshold of ``threshold x ATR`` (ATR at the extreme).

    Causal: a swing high at bar i is confirmed at the first later bar j whose low is at least
    ``threshold * atr[i]`` below ``high[i]``, ``high[i]`` being the highest high since the previous
    swing; it is reported with ``confirm_index = j`` and nothing about it is known before j.
    Swings alternate high and low. One vectorised search per swing, not a loop per bar.
    """
    if len(high) < 2:
        return []
    kw = {"threshold": threshold}
    first_high = _first_reversal(high, low, atr_values, anchor=0, up=True, **kw)
    first_low = _first_reversal(high, low, atr_values, anchor=0, up=False, **kw)
    candidates = [(c[1], c[0], up) for c, up in ((first_high, True), (first_low, False)) if c]
    if not candidates:
        return []
    confirm, extreme, up = min(candidates)
    out: list[Swing] = []
    while True:
        price = high[extreme] if up else low[extreme]
        out.append(Swing("high" if up else "low", extreme, float(price), confirm))
        # the next extreme starts from the most extreme bar after this swing, up to confirmation
        window = low[extreme + 1 : confirm + 1] if up else high[extreme + 1 : confirm + 1]
        anchor = extreme + 1 + int(np.argmin(window) if up else np.argmax(window))
        up = not up
        found = _first_reversal(high, low, atr_values, anchor=anchor, up=up, **kw)
        if found is None:
            return out
        extreme, confirm = found


def _running_argmax(x: Array) -> np.ndarray:
    """Index of the running maximum (first occurrence kept on ties)."""
    run = np.maximum.accumulate(x)
    new = np.r_[True, x[1:] > run[:-1]]
    return np.maximum.accumulate(np.where(new, np.arange(len(x)), 0))


def _running_argmin(x: Array) -> np.ndarray:
    run = np.minimum.accumulate(x)
    new = np.r_[True, x[1:] < run[:-1]]
    return np.maximum.accumulate(np.where(new, np.arange(len(x)), 0))


def swings_frame(
    candles: pd.DataFrame, *, threshold: float = 2.0, period: int = 14
) -> pd.DataFrame:
    """:func:`swings` as a frame: ``kind, time, price, confirm_time`` (times from the index)."""
    high, low = candles["high"].to_numpy(float), candles["low"].to_numpy(float)
    points = swings(high, low, atr_or_range(high, low, atr(candles, period)), threshold=threshold)
    index = candles.index
    return pd.DataFrame(
        {
            "kind": pd.Series([s.kind for s in points], dtype="str"),
            "time": index[[s.index for s in points]],
            "price": pd.Series([s.price for s in points], dtype="float64"),
            "confirm_time": index[[s.confirm_index for s in points]],
        }
    )


@dataclass(frozen=True, slots=True)
class LineFit:
    """A least-squares line ``price = intercept + slope * bar`` and its fit in ATR units."""

    slope: float
    intercept: float
    slope_atr: float  # slope per bar in ATR units
    rmse_atr: float  # residual error in ATR units

    def at(self, bar: float) -> float:
        """The line's price at bar position ``bar``."""
        return self.intercept + self.slope * bar


def fit_line(x: Array, y: Array, atr_value: float) -> LineFit:
    """Least-squares line through points (bar positions ``x``, prices ``y``), in ATR units
    (closed form: detectors fit a few points, many times)."""
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    if len(xs) < 2:
        raise ValueError("a line needs at least two points")
    dx = xs - xs.mean()
    spread = float(dx @ dx)
    if spread == 0:
        raise ValueError("a line needs points at two different bars")
    slope = float(dx @ (ys - ys.mean())) / spread
    intercept = float(ys.mean()) - slope * float(xs.mean())
    resid = ys - (intercept + slope * xs)
    scale = atr_value if atr_value > 0 else 1.0
    return LineFit(slope, intercept, slope / scale, float(np.sqrt(np.mean(resid**2))) / scale)


def count_touches(
    line: LineFit, x: Array, y: Array, atr_value: float, *, tolerance: float = 0.25
) -> int:
    """Points within ``tolerance x ATR`` of the line."""
    dist = np.abs(np.asarray(y, float) - (line.intercept + line.slope * np.asarray(x, float)))
    return int(np.sum(dist <= tolerance * atr_value))
