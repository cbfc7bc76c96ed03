"""Pattern benchmark: the candle scan against the bare TA-Lib calls, in the same run.

* scan: ``PatternRegistry().scan`` of all 61 candle detectors on N bars, events included,
  / the 61 TA-Lib functions alone on the same arrays (goal: overhead ratio <= 1.3);
* detect_latest: all candle detectors on a 500-bar window (goal: under 5 ms), with the 61 TA-Lib
  calls on that window as its anchor.

Usage: ``python bench/patterns.py [--bars 1000000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import talib
from rich.console import Console
from rich.table import Table
from synthetic import best_of, candles

from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.patterns.candle_catalogue import CANDLES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
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
    t_scan = best_of(lambda: registry.scan(data), args.repeats)
    events = len(registry.scan(data))

    window = data.iloc[-500:]
    small = [window[k].to_numpy() for k in ("open", "high", "low", "close")]
    t_latest = best_of(lambda: registry.detect_latest(window), 50)
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
    }
    table = Table(title=f"Candle patterns on {args.bars:,} bars ({events:,} events)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    table.add_row("61 TA-Lib functions alone", f"{t_talib:.3f} s", "anchor")
    table.add_row("scan (events included)", f"{t_scan:.3f} s", "")
    table.add_row("scan / TA-Lib", f"{t_scan / t_talib:.2f}", "<= 1.3")
    table.add_row("detect_latest, 500-bar window", f"{t_latest * 1e3:.2f} ms", "< 5 ms")
    table.add_row("61 TA-Lib functions on 500 bars", f"{t_latest_talib * 1e3:.2f} ms", "anchor")
    Console(width=120).print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
