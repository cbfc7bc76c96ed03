"""Do patterns work here? Per key, how often price reached the target before the invalidation,
on the real bars and on the same bars shuffled (the Osler-Chang bootstrap).

An event (confirmed, of the kinds asked for) is a trade entered at the close of its confirmation
bar, at the ask for a bull and the bid for a bear; it hits when the bars after it reach the
target before the invalidation price within ``horizon_bars`` (a bar reaching both counts as the
invalidation), both read net of the spread: a bull needs the bid (mid minus half the spread) to
reach the target, a bear the ask. Events whose horizon runs past the data are left out.

The baseline rebuilds the series from its own bars in random order (each bar's return and its
open, high and low relative to the previous close), so the bars' sizes are the real ones but
any order in them is gone; the detectors run on each of ``baselines`` such series and the same
rule scores their events. A key is worth something where its hit rate clearly beats the
baseline's; ``edge`` is the difference.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from forex_diffusion.intelligence.outcomes import signal_outcomes
from forex_diffusion.patterns.registry import PatternRegistry

__all__ = ["pattern_hit_rates", "pattern_stats", "shuffled_bars"]


def shuffled_bars(candles: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The bars in random order, chained from the first close (same index)."""
    close = candles["close"].to_numpy(float)
    prev = np.r_[close[0], close[:-1]]
    rel = {c: candles[c].to_numpy(float) / prev for c in ("open", "high", "low", "close")}
    order = rng.permutation(len(close) - 1) + 1
    path = np.empty(len(close))
    path[0] = close[0]
    path[1:] = close[0] * np.cumprod(rel["close"][order])
    base = np.r_[close[0], path[:-1]]
    out = {c: np.r_[candles[c].iloc[0], base[1:] * rel[c][order]] for c in ("open", "high", "low")}
    frame = pd.DataFrame({**out, "close": path}, index=candles.index)
    if "volume" in candles:
        frame["volume"] = np.r_[candles["volume"].iloc[0], candles["volume"].to_numpy()[order]]
    return frame


def pattern_hit_rates(
    events: pd.DataFrame, candles: pd.DataFrame, *, spread: float
) -> pd.DataFrame:
    """Per key: ``events`` (with a known outcome), ``hits``, ``hit_rate`` (see the module
    docstring; ``spread`` in price units)."""
    done = events[(events["state"] == "confirmed") & (events["direction"] != "neutral")]
    if done.empty:
        return pd.DataFrame(columns=["events", "hits", "hit_rate"]).rename_axis("pattern_key")
    index = pd.DatetimeIndex(candles.index)
    at = index.get_indexer(pd.DatetimeIndex(done["confirm_ts"]))
    until = np.minimum(at + done["horizon_bars"].to_numpy(int), len(index) - 1)
    beyond = at + done["horizon_bars"].to_numpy(int) > len(index) - 1
    half = spread / 2 * np.where(done["direction"].to_numpy() == "bull", 1.0, -1.0)
    out = signal_outcomes(
        candles,
        decided_at=pd.DatetimeIndex(done["confirm_ts"]),
        direction=done["direction"].astype(str).to_numpy(),
        entry=candles["close"].to_numpy(float)[at] + half,
        target=done["target_price"].to_numpy(float) + half,
        stop=done["failure_price"].to_numpy(float) + half,
        valid_until=index[until],
        spread=spread,
    )
    known = out["direction_hit"].notna().to_numpy() & ~beyond
    frame = pd.DataFrame(
        {
            "pattern_key": done["pattern_key"].astype(str).to_numpy()[known],
            "hit": (out["target_first"].to_numpy()[known] == 1.0).astype(float),
        }
    )
    grouped = frame.groupby("pattern_key")["hit"]
    return pd.DataFrame(
        {"events": grouped.size(), "hits": grouped.sum().astype(int), "hit_rate": grouped.mean()}
    )


def pattern_stats(
    candles: pd.DataFrame,
    *,
    kinds: Iterable[str] = ("chart", "harmonic", "wave"),
    spread: float = 0.0,
    baselines: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Per key: real ``events``, ``hits``, ``hit_rate``; ``baseline_events`` (per shuffled
    series) and ``baseline_hit_rate`` over ``baselines`` shuffles; ``edge``."""
    registry = PatternRegistry()
    wanted = list(kinds)
    real = pattern_hit_rates(registry.scan(candles, kinds=wanted), candles, spread=spread)
    rng = np.random.default_rng(seed)
    pooled = []
    for _ in range(baselines):
        bars = shuffled_bars(candles, rng)
        pooled.append(pattern_hit_rates(registry.scan(bars, kinds=wanted), bars, spread=spread))
    base = pd.concat(pooled) if pooled else pd.DataFrame(columns=["events", "hits"])
    summed = base.groupby(level=0)[["events", "hits"]].sum() if len(base) else base
    table = real.join(
        pd.DataFrame(
            {
                "baseline_events": summed["events"] / max(baselines, 1),
                "baseline_hit_rate": summed["hits"] / summed["events"],
            }
        ),
        how="outer",
    )
    table[["events", "hits"]] = table[["events", "hits"]].fillna(0).astype(int)
    table["edge"] = table["hit_rate"] - table["baseline_hit_rate"]
    return table.sort_index()
