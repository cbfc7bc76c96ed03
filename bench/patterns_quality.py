"""Quality of the chart, harmonic and wave detectors: recall on planted patterns, false positives
on a pure random walk.

* recall: each planted case of ``tests/patterns/planted.py`` (every key, both directions) is
  scaled (0.7x to 1.5x), given noise (0.02 to 0.15 price units a bar) and a drift (up to 0.01
  a bar), and embedded between 300 and 100 bars of random walk; found when a confirmed event
  of that key and direction falls within 40 bars of the true completion. Goal: >= 0.8 per key;
* false positives: confirmed events per 10,000 bars of a pure random walk with the same bar
  size, per key (goal: rare; printed for judgement, since a random walk draws every shape now
  and then).

Usage: ``python bench/patterns_quality.py [--trials 20] [--walk-bars 100000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test suite's generator

from tests.patterns.planted import cases

from forex_diffusion.patterns import PatternRegistry

KINDS = ["chart", "harmonic", "wave"]
AFTER = 10


def walk(n: int, start: float, rng: np.random.Generator) -> pd.DataFrame:
    """A random walk of bars like the planted ones (steps of 0.5, ranges of about 0.6)."""
    close = start + np.cumsum(rng.normal(0, 0.5, n))
    open_ = np.r_[start, close[:-1]]
    high = np.maximum(open_, close) + 0.3 + rng.exponential(0.05, n)
    low = np.minimum(open_, close) - 0.3 - rng.exponential(0.05, n)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": 1.0})


def embed(
    frame: pd.DataFrame, completion: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, int, int]:
    """The planted bars, varied, between random walks; returns the bars, the completion and
    the end of the planted section."""
    cols = ["open", "high", "low", "close"]
    values = frame[cols].to_numpy(float)
    base = values[0, 0]
    scale, noise, drift = rng.uniform(0.7, 1.5), rng.uniform(0.02, 0.15), rng.uniform(-0.01, 0.01)
    shift = rng.normal(0, noise, len(values)) + drift * np.arange(len(values))
    values = base + scale * (values - base) + shift[:, None]
    values[:, 1] = values.max(axis=1)  # keep the high the highest, the low the lowest
    values[:, 2] = values.min(axis=1)
    before = walk(300, 0.0, rng)
    before[cols] += base - before["close"].iloc[-1]  # ends where the pattern starts
    middle = pd.DataFrame(values, columns=cols).assign(volume=1.0)
    after = walk(100, float(values[-1, 3]), rng)
    bars = pd.concat([before, middle, after], ignore_index=True)
    bars.index = pd.date_range("2017-01-02", periods=len(bars), freq="h", tz="UTC")
    return bars, 300 + completion, 300 + len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--walk-bars", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=Path("bench/results/patterns_quality.json"))
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    registry = PatternRegistry()

    hits: dict[str, list[bool]] = {}
    for key, direction, build in cases():
        frame, completion = build()
        for _ in range(args.trials):
            bars, done, end = embed(frame, completion, rng)
            events = registry.scan(bars, kinds=KINDS)
            at = bars.index.get_indexer(pd.DatetimeIndex(events["confirm_ts"]))
            ok = (
                (events["pattern_key"] == key).to_numpy()
                & (events["direction"] == direction).to_numpy()
                & (events["state"] == "confirmed").to_numpy()
                & (at >= done)
                & (at <= end + AFTER)
            )
            hits.setdefault(key, []).append(bool(ok.any()))

    noise = walk(args.walk_bars, 100.0, rng)
    noise.index = pd.date_range("2000-01-03", periods=len(noise), freq="h", tz="UTC")
    events = registry.scan(noise, kinds=KINDS)
    confirmed = events[events["state"] == "confirmed"]
    per_10k = (confirmed["pattern_key"].astype(str).value_counts() / len(noise) * 10_000).to_dict()

    rows = {
        key: {"recall": float(np.mean(v)), "false_per_10k": float(per_10k.get(key, 0.0))}
        for key, v in sorted(hits.items())
    }
    table = Table(title=f"Planted recall ({args.trials} trials per case) and random-walk events")
    for col in ("key", "recall", "goal", "events / 10k random-walk bars"):
        table.add_column(col, justify="left" if col == "key" else "right")
    for key, row in rows.items():
        table.add_row(key, f"{row['recall']:.2f}", ">= 0.8", f"{row['false_per_10k']:.1f}")
    Console(width=110).print(table)
    met = sum(r["recall"] >= 0.8 for r in rows.values())
    print(f"recall goal met for {met} of {len(rows)} keys")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"trials": args.trials, "keys": rows}, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
