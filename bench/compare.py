"""Compare the benchmarks' results with the stored baseline, by ratio.

Every figure compared is a ratio against an anchor measured in the same run (TA-Lib,
backtesting.py, talipp, the random walk, a direct model call), so the speed of the machine
cancels out. A figure regresses when it is worse than its baseline by more than the tolerance
(relative; default 0.5: 1.5x slower). A figure with an absolute goal (``<= 50``: the soak's
RSS growth in MB, near zero, where ratios mean nothing) regresses when it misses the goal; its
baseline is shown, not compared. Exit code 1 on a regression, 2 when a result is missing.

    python bench/compare.py --profile full                      # after `make bench`
    python bench/compare.py --profile quick --results bench/results/quick   # CI
    python bench/compare.py --profile quick --results ... --update          # new baseline
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

Getter = Callable[[dict[str, Any]], float | None]
"""A figure from a benchmark's results (``None``: not measured in this run)."""


def _ratio(top: str, bottom: str) -> Getter:
    return lambda r: float(r[top]) / float(r[bottom])


def _swing_per_bar(r: dict[str, Any]) -> float:
    """Seconds per bar of the largest swing scan over seconds per bar of the 61 TA-Lib calls."""
    n = max(r["swing_scan_s"], key=int)
    return (r["swing_scan_s"][n] / int(n)) / (r["talib_61_s"] / r["bars"])


def _indicators(r: dict[str, Any]) -> list[tuple[str, Getter, str]]:
    out: list[tuple[str, Getter, str]] = []
    for name in r["results"]:
        out.append((f"{name} numpy/talib", lambda x, n=name: x["results"][n]["ratio"], "lower"))
        if r["results"][name].get("stream_ratio") is not None:
            out.append(
                (
                    f"{name} streaming/talipp",
                    lambda x, n=name: x["results"][n]["stream_ratio"],
                    "lower",
                )
            )
    return out


def _mean_recall(r: dict[str, Any]) -> float:
    keys = r["keys"].values()
    return sum(k["recall"] for k in keys) / len(keys)


METRICS: dict[str, Callable[[dict[str, Any]], list[tuple[str, Getter, str]]]] = {
    "backtest": lambda r: [
        ("compiled speed / backtesting.py", lambda x: x["speed_ratio"], "higher"),
        (
            "event engine bars/s / backtesting.py",
            _ratio("event_engine_bars_per_s", "backtesting_py_bars_per_s"),
            "higher",
        ),
        (
            "fused backtest without forecaster / one scan of every detector",
            lambda x: x.get("fused_per_scan"),
            "lower",
        ),
    ],
    "patterns": lambda r: [
        ("candle scan / 61 TA-Lib calls", lambda x: x["scan_overhead_ratio"], "lower"),
        (
            "detect_latest / TA-Lib on 500 bars",
            _ratio("detect_latest_ms", "talib_61_on_500_ms"),
            "lower",
        ),
        ("swing scan per bar / TA-Lib per bar", _swing_per_bar, "lower"),
    ],
    "indicators": _indicators,
    "inference": lambda r: [
        ("engine call / direct call", lambda x: x["latency_ratio"], "lower"),
        (
            "hung model return / timeout",
            _ratio("hung_model_return_s", "per_model_timeout_s"),
            "lower",
        ),
    ],
    "forecast": lambda r: [
        ("one forecast / random walk", _ratio("one_forecast_ms", "one_forecast_rw_ms"), "lower"),
        ("batch / random walk batch", _ratio("batch_s", "batch_rw_s"), "lower"),
    ],
    "patterns_quality": lambda r: [("mean planted recall", _mean_recall, "higher")],
    "store_path": lambda r: [
        ("fxd backtest / backtesting.py, end to end", lambda x: x["backtest_ratio"], "lower"),
        ("fxd data import peak MB", lambda x: x["import_peak_mb"], "<= 300"),
    ],
    "soak": lambda r: [
        ("engine RSS MB growth", lambda x: x["engine_rss_growth_mb"], "<= 50"),
        ("paper RSS MB growth", lambda x: x["paper_rss_growth_mb"], "<= 50"),
    ],
}


def _goal(way: str) -> float | None:
    """The absolute goal of a way written ``<= N``, else ``None`` (a ratio to the baseline)."""
    return float(way[2:]) if way.startswith("<=") else None


def current(results: Path) -> tuple[dict[str, float], dict[str, str]]:
    """Every compared figure of the results in ``results`` (missing files are skipped), and
    which way is better for each (``lower``, ``higher``, or a goal ``<= N``)."""
    values: dict[str, float] = {}
    better: dict[str, str] = {}
    for bench, metrics in METRICS.items():
        path = results / f"{bench}.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        for label, get, way in metrics(data):
            got = get(data)
            if got is not None:
                values[f"{bench}: {label}"] = round(got, 6)
                better[f"{bench}: {label}"] = way
    return values, better


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["quick", "full"], default="full")
    parser.add_argument("--results", type=Path, default=Path("bench/results"))
    parser.add_argument("--baseline", type=Path, default=Path("bench/baseline.json"))
    parser.add_argument("--tolerance", type=float, default=0.5)
    parser.add_argument("--update", action="store_true", help="store these results as baseline")
    args = parser.parse_args()

    now, better = current(args.results)
    stored = json.loads(args.baseline.read_text()) if args.baseline.is_file() else {}
    if args.update:
        stored[args.profile] = now
        args.baseline.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
        print(f"{args.baseline}: {len(now)} figures stored as the {args.profile} baseline")
        return 0
    base = stored.get(args.profile, {})
    if not base:
        print(f"{args.baseline}: no {args.profile} baseline (--update stores one)", file=sys.stderr)
        return 2
    title = f"benchmarks vs the {args.profile} baseline (tolerance {args.tolerance:.0%})"
    table = Table(title=title)
    for col in ("figure", "better", "baseline", "now", "change", "verdict"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    regressions, missing = [], []
    for key, value in base.items():
        if key not in now:
            missing.append(key)
            table.add_row(key, "", f"{value:.3f}", "-", "", "missing")
            continue
        got, way = now[key], better[key]
        goal = _goal(way)
        if goal is not None:
            bad, change = got > goal, ""
        else:
            worse = got / value if way == "lower" else value / got
            bad, change = worse > 1 + args.tolerance, f"{(got / value - 1):+.0%}"
        if bad:
            regressions.append(key)
        table.add_row(key, way, f"{value:.3f}", f"{got:.3f}", change, "REGRESSION" if bad else "ok")
    Console(width=140).print(table)
    new = sorted(set(now) - set(base))
    if new:
        print(f"not in the baseline yet (--update to add): {', '.join(new)}")
    if missing:
        print(f"missing results: {', '.join(missing)}", file=sys.stderr)
        return 2
    if regressions:
        print(f"{len(regressions)} regression(s): {', '.join(regressions)}", file=sys.stderr)
        return 1
    print(f"{len(base)} figures within {args.tolerance:.0%} of the baseline or at their goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
