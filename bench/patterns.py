"""Pattern benchmark: the candle scan against the bare TA-Lib calls, in the same run.

* scan: ``PatternRegistry().scan`` of all 61 candle detectors on N bars, events included,
  / the 61 TA-Lib functions alone on the same arrays (goal: overhead ratio <= 1.3);
* detect_latest: all candle detectors on a 500-bar window (goal: under 5 ms), with the 61 TA-Lib
  calls on that window as its anchor;
* chart, harmonic and wave scan (all 55 swing detectors) of 10,000, 100,000 and 1,000,000 bars
  (goal: 100,000 bars under 10 s on one core; the work grows linearly with the bars), and the
  bar-by-bar scanner's cost per bar over 20,000 bars (goal: under 5 ms, every bar).

Usage: ``python bench/patterns.py [--bars 1000000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import talib
from rich.console import Console
from rich.table import Table
from synthetic import best_of, candles

from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.patterns.candle_catalogue import CANDLES
from forex_diffusion.patterns.swing_patterns import IncrementalSwingScanner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--swing-sizes", default="10000,100000,1000000", help="bar counts of the swing scans"
    )
    parser.add_argument(
        "--swing-repeats",
        type=int,
        default=1,
        help="best of this many swing scans per size (the anchor is best of --repeats)",
    )
    parser.add_argument("--feed-bars", type=int, default=20_000, help="bars fed bar by bar")
    parser.add_argument("--json", type=Path, default=Path("bench/results/patterns.json"))
    args = parser.parse_args()
    data = candles(args.bars)
    arrays = [data[k].to_numpy() for k in ("open", "high", "low", "close")]
    functions = [getattr(talib, info.talib_function) for info in CANDLES]
    registry = PatternRegistry()

    def talib_only(values: list = arrays) -> None:  # type: ignore[type-arg]
        for func in functions:
            func(*values)

    t_talib = best_of(talib_only, args.repeats)
    t_scan = best_of(lambda: registry.scan(data, kinds="candle"), args.repeats)
    events = len(registry.scan(data, kinds="candle"))

    window = data.iloc[-500:]
    small = [window[k].to_numpy() for k in ("open", "high", "low", "close")]
    t_latest = best_of(lambda: registry.detect_latest(window, kinds="candle"), 50)

    swing_kinds = ["chart", "harmonic", "wave"]
    swing_times = {}
    for n in [int(x) for x in args.swing_sizes.split(",")]:
        part = candles(n, seed=1)
        start = time.perf_counter()
        found = registry.scan(part, kinds=swing_kinds)
        took = time.perf_counter() - start
        if args.swing_repeats > 1:
            again = best_of(
                lambda p=part: registry.scan(p, kinds=swing_kinds), args.swing_repeats - 1
            )
            took = min(took, again)
        swing_times[n] = (took, len(found))
    scanner = IncrementalSwingScanner(registry.swing_detectors())
    feed = candles(args.feed_bars, seed=2)
    values = {k: feed[k].to_numpy() for k in ("open", "high", "low", "close")}
    costs = []
    for i, when in enumerate(feed.index):
        bar = {k: float(v[i]) for k, v in values.items()}
        start = time.perf_counter()
        scanner.update(when, bar)
        costs.append(time.perf_counter() - start)
    per_bar = np.asarray(costs) * 1e3
    t_latest_talib = best_of(lambda: talib_only(small), 50)

    results = {
        "bars": args.bars,
        "events": events,
        "talib_61_s": t_talib,
        "scan_s": t_scan,
        "scan_overhead_ratio": t_scan / t_talib,
        "scan_goal_met": t_scan / t_talib <= 1.3,
        "detect_latest_ms": t_latest * 1e3,
        "talib_61_on_500_ms": t_latest_talib * 1e3,
        "detect_latest_goal_met": t_latest * 1e3 < 5.0,
        "swing_scan_s": {str(n): t for n, (t, _) in swing_times.items()},
        "swing_events": {str(n): e for n, (_, e) in swing_times.items()},
        "swing_scan_100k_goal_met": (
            swing_times[100_000][0] < 10.0 if 100_000 in swing_times else None
        ),
        "incremental_ms": {
            "mean": float(per_bar.mean()),
            "p99": float(np.percentile(per_bar, 99)),
            "max": float(per_bar.max()),
        },
        "incremental_goal_met": float(per_bar.max()) < 5.0,
    }
    table = Table(title=f"Patterns: candles on {args.bars:,} bars ({events:,} events), swings")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    table.add_row("61 TA-Lib functions alone", f"{t_talib:.3f} s", "anchor")
    table.add_row("scan (events included)", f"{t_scan:.3f} s", "")
    table.add_row("scan / TA-Lib", f"{t_scan / t_talib:.2f}", "<= 1.3")
    table.add_row("detect_latest, 500-bar window", f"{t_latest * 1e3:.2f} ms", "< 5 ms")
    table.add_row("61 TA-Lib functions on 500 bars", f"{t_latest_talib * 1e3:.2f} ms", "anchor")
    for n, (t, e) in swing_times.items():
        goal = "< 10 s" if n == 100_000 else f"x{n / 100_000:g} of 100k"
        table.add_row(f"chart+harmonic+wave scan, {n:,} bars ({e:,} events)", f"{t:.2f} s", goal)
    table.add_row(
        "bar by bar, one bar: mean / p99 / max",
        f"{per_bar.mean():.3f} / {np.percentile(per_bar, 99):.2f} / {per_bar.max():.2f} ms",
        "< 5 ms",
    )
    Console(width=120).print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
