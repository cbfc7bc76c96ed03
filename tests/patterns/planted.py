"""Planted chart, harmonic and wave patterns: price paths through textbook pivots.

:func:`plant` draws bars along straight legs between pivot prices (half a price unit per bar,
bars 0.6 high, a little noise), so each pivot becomes a confirmed swing and the ratios between
legs are the textbook's. ``PIVOTS`` holds the bull (or bottom) version of each pattern; the bear
(top) version is its mirror image. Every path starts with a lead-in leg and ends with the move
that completes or breaks out of the pattern.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pandas as pd

STEP = 0.5  # price units per bar along a leg

# key of the bull/bottom version -> (pivots, index of the completion pivot, mirror key)
PIVOTS: dict[str, tuple[list[float], int, str]] = {
    "double_bottom": ([110, 130, 100, 120, 100.5, 140], 4, "double_top"),
    "triple_bottom": ([110, 130, 100, 118, 100.5, 118, 100.2, 140], 6, "triple_top"),
    "inverse_head_and_shoulders": (
        [110, 130, 105, 118, 95, 118, 105.5, 140],
        6,
        "head_and_shoulders",
    ),
    "gartley_bull": ([115, 125, 100, 140, 115.28, 130.56, 108.56, 130], 6, "gartley_bear"),
    "bat_bull": ([115, 125, 100, 140, 122, 134.6, 104.56, 130], 6, "bat_bear"),
    "butterfly_bull": ([115, 125, 100, 140, 108.56, 127.42, 84, 110], 6, "butterfly_bear"),
    "crab_bull": ([115, 125, 100, 140, 115.28, 136.29, 75.28, 100], 6, "crab_bear"),
    "cypher_bull": ([115, 125, 100, 140, 120, 150.8, 110.87, 135], 6, "cypher_bear"),
    "shark_bull": ([115, 125, 100, 140, 120, 146, 102.3, 130], 6, "shark_bear"),
    "abcd_bull": ([110, 100, 140, 120, 132.36, 112.36, 130], 5, "abcd_bear"),
    "three_drives_bull": (
        [190, 200, 160, 188, 148.8, 176.24, 137.82, 160],
        6,
        "three_drives_bear",
    ),
    "elliott_impulse_bull": (
        [110, 100, 120, 107.64, 142.64, 129.27, 155],
        5,
        "elliott_impulse_bear",
    ),
    "elliott_corrective_abc_bull": (
        [130, 140, 120, 132, 110, 130],
        4,
        "elliott_corrective_abc_bear",
    ),
}


# two-line patterns: every leg LEG bars long, so pivots of one side equally spaced in price
# lie on a line
LEG = 20
LINES: dict[str, tuple[list[float], int, str]] = {
    "ascending_triangle": ([100, 130, 110, 130, 118, 130, 125, 145], 5, "descending_triangle"),
    "symmetrical_triangle": (
        [100, 140, 110, 134, 116, 128, 121, 145],
        5,
        "symmetrical_triangle",
    ),
    "wedge_falling": ([130, 140, 120, 132, 117, 124, 118, 140], 5, "wedge_rising"),
    "rectangle": ([100, 130, 115, 130, 115, 130, 120, 145], 5, "rectangle"),
    "horizontal_channel": ([100, 130, 115, 130, 115, 130, 115, 125], 6, "horizontal_channel"),
    "broadening_top": ([100, 125, 115, 128, 112, 131, 100], 5, "broadening_bottom"),
    "right_angle_broadening_ascending": (
        [100, 125, 115, 128, 115, 131, 105],
        5,
        "right_angle_broadening_descending",
    ),
    "broadening_wedge_ascending": (
        [100, 125, 115, 131, 117, 137, 110],
        5,
        "broadening_wedge_descending",
    ),
    "rising_channel": ([108, 100, 115, 110, 125, 120, 135], 5, "falling_channel"),
    "diamond_top": (
        [100, 120, 112, 124, 108, 128, 113, 126, 118, 122, 100],
        8,
        "diamond_bottom",
    ),
    "bull_flag": ([108, 100, 130, 124, 127, 121, 150], 5, "bear_flag"),
    "bull_pennant": ([108, 100, 130, 122, 127, 124, 150], 5, "bear_pennant"),
}
BEAR_FIRST = {
    "broadening_top",
    "right_angle_broadening_ascending",
    "broadening_wedge_ascending",
    "diamond_top",
}
"""Keys whose unmirrored version above is bearish."""


def plant(
    pivots: list[float],
    *,
    mirror: bool = False,
    noise: float = 0.03,
    seed: int = 0,
    leg_bars: int | None = None,
) -> tuple[pd.DataFrame, list[int]]:
    """Bars through ``pivots`` (mirrored top-down when ``mirror``) and the bar of each pivot;
    each leg ``leg_bars`` long, or half a price unit per bar."""
    rng = np.random.default_rng(seed)
    prices = [300.0 - p if mirror else float(p) for p in pivots]
    path, at = [prices[0]], [0]
    for a, b in itertools.pairwise(prices):
        n = leg_bars or max(2, round(abs(b - a) / STEP))
        path += list(np.linspace(a, b, n + 1)[1:])
        at.append(len(path) - 1)
    mid = np.asarray(path) + rng.normal(0, noise, len(path))
    mid[at] = np.asarray(prices)  # the pivots exactly
    open_ = np.r_[mid[0], mid[:-1]]
    high = np.maximum(open_, mid) + 0.3
    low = np.minimum(open_, mid) - 0.3
    index = pd.date_range("2017-01-02", periods=len(mid), freq="h", tz="UTC")
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": mid, "volume": 1.0}, index=index
    )
    return frame, at


def _frame(path: np.ndarray, *, mirror: bool, seed: int = 0) -> pd.DataFrame:
    """Bars along a price path (mirrored top-down when ``mirror``)."""
    rng = np.random.default_rng(seed)
    mid = (300.0 - path if mirror else path) + rng.normal(0, 0.03, len(path))
    open_ = np.r_[mid[0], mid[:-1]]
    index = pd.date_range("2017-01-02", periods=len(mid), freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, mid) + 0.3,
            "low": np.minimum(open_, mid) - 0.3,
            "close": mid,
            "volume": 1.0,
        },
        index=index,
    )


def _line(a: float, b: float) -> np.ndarray:
    return np.linspace(a, b, max(2, round(abs(b - a) / STEP)) + 1)[1:]


def saucer(mirror: bool) -> tuple[pd.DataFrame, int]:
    """A rise to 130, a rounded slide to 110 over 60 bars, a rise through 130."""
    t = np.arange(1, 61) / 60
    path = np.concatenate([_line(100, 130), 110 + 20 * (1 - t) ** 2, _line(110, 150)])
    return _frame(path, mirror=mirror), len(_line(100, 130)) + 59


def cup(mirror: bool) -> tuple[pd.DataFrame, int]:
    """A rise to a 130 rim, a U-shaped cup to 110 over 80 bars, a handle to 124, a breakout."""
    t = np.linspace(-1, 1, 81)[1:]
    lead = _line(100, 130)
    handle = np.concatenate([_line(130, 124)])
    path = np.concatenate([lead, 110 + 20 * t**2, handle, _line(124, 150)])
    return _frame(path, mirror=mirror), len(lead) + 80 + len(handle) - 1


def island(mirror: bool) -> tuple[pd.DataFrame, int]:
    """A rise to 130, a gap up to three bars near 134, a gap down to 128, a fall."""
    lead = _line(100, 130)
    path = np.concatenate([lead, [134.0, 134.5, 134.2], [128.0], _line(128, 110)])
    frame = _frame(path, mirror=mirror)
    at = len(lead) + 3  # the gap-down bar
    k = len(lead)  # island bars open where they close: a real gap on both sides
    frame.iloc[k : at + 1, frame.columns.get_loc("open")] = frame["close"].iloc[k : at + 1]
    frame["high"] = frame[["open", "close"]].max(axis=1) + 0.3
    frame["low"] = frame[["open", "close"]].min(axis=1) - 0.3
    return frame, at


SHAPES = {
    "rounding_bottom": (saucer, "rounding_top"),
    "cup_and_handle": (cup, "inverse_cup_and_handle"),
    "island_reversal_top": (island, "island_reversal_bottom"),
}
MOVES = {"measured_move_bull": ([110, 100, 130, 118, 145], 3, "measured_move_bear")}


def cases() -> list[tuple[str, str, Callable[[], tuple[pd.DataFrame, int]]]]:
    """Every planted case: key, direction, and a builder of (bars, completion bar)."""
    out: list[tuple[str, str, Callable[[], tuple[pd.DataFrame, int]]]] = []
    for table, legs in ((PIVOTS, None), (LINES, LEG), (MOVES, None)):
        for key, (pivots, done, mirror_key) in table.items():
            first = "bear" if key in BEAR_FIRST else "bull"
            other = "bull" if first == "bear" else "bear"
            for name, mirror, direction in ((key, False, first), (mirror_key, True, other)):

                def build(
                    p: list[float] = pivots, m: bool = mirror, d: int = done, n: int | None = legs
                ) -> tuple[pd.DataFrame, int]:
                    frame, at = plant(p, mirror=m, leg_bars=n)
                    return frame, at[d]

                out.append((name, direction, build))
    for key, (make, mirror_key) in SHAPES.items():
        # the island is drawn as a top; the others as bottoms
        first = "bear" if key.startswith("island") else "bull"
        other = "bull" if first == "bear" else "bear"
        out.append((key, first, lambda f=make: f(False)))
        out.append((mirror_key, other, lambda f=make: f(True)))
    return out
