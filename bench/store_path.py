"""The user's path, end to end: ``fxd data import`` and ``fxd backtest`` against backtesting.py.

Each run is a fresh process, timed from its start to its exit (interpreter start included):

* import: ``fxd data import`` of N synthetic M1 bars from a CSV file into a fresh SQLite store;
  its peak memory (goal for 1,000,000 bars: under 300 MB) and its time;
* backtest: ``fxd backtest EURUSD M1 --strategy sma_cross`` (10/30, fixed 10,000 units,
  ``--costs none``) on those stored bars, the run and everything it did stored, against
  backtesting.py reading the same CSV file and running the same rules (the anchor); goal: at
  most 2x its time (issue 24).

Usage: ``python bench/store_path.py [--bars 1000000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from synthetic import candles

# a child that runs the fxd command line and prints its peak memory last (ru_maxrss, KiB)
_FXD = """
import resource, sys
from forex_diffusion.cli.app import main
sys.argv = ["fxd", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
print(f"maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
sys.exit(code)
"""

# backtesting.py on the same file and rules
_ANCHOR = """
import sys, warnings
import pandas as pd
sys.path.insert(0, {bench!r})
from bt_anchor import SmaCross
from backtesting import Backtest
frame = pd.read_csv(sys.argv[1], index_col=0)
frame.index = pd.to_datetime(frame.index, utc=True).tz_localize(None)
frame = frame.rename(columns=str.capitalize)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    stats = Backtest(frame, SmaCross, cash=1e9, margin=1 / 30, finalize_trades=True).run()
print(len(stats["_trades"]))
"""


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... failed: {done.stderr[-2000:]}")
    return took, done.stdout, done.stderr


def _maxrss_mb(stderr: str) -> float:
    line = [ln for ln in stderr.splitlines() if ln.startswith("maxrss_kb=")][-1]
    return int(line.split("=", 1)[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, default=Path("bench/results/store_path.json"))
    args = parser.parse_args()
    bench = str(Path(__file__).resolve().parent)
    with tempfile.TemporaryDirectory(prefix="fxd-store-path-") as tmp:
        folder = Path(tmp)
        data = candles(args.bars)
        data.index.name = "time"
        csv = folder / "eurusd_m1.csv"
        data.to_csv(csv)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FXD_")}
        env["FXD_DATABASE_URL"] = f"sqlite:///{folder / 'store.sqlite'}"
        env["XDG_DATA_HOME"] = str(folder / "xdg")
        fxd = [sys.executable, "-c", _FXD]

        t_import, _, err = _timed(
            [*fxd, "data", "import", str(csv), "--symbol", "EURUSD", "--timeframe", "M1"], env
        )
        import_mb = _maxrss_mb(err)
        rules = ["-p", "fast=10", "-p", "slow=30", "-p", "stop_atr=0", "-p", "units=10000"]
        rules += ["--costs", "none"]
        t_backtest, out, err = _timed(
            [*fxd, "backtest", "EURUSD", "M1", "--strategy", "sma_cross", *rules],
            env,
        )
        backtest_mb = _maxrss_mb(err)
        t_anchor, anchor_out, _ = _timed(
            [sys.executable, "-c", _ANCHOR.format(bench=bench), str(csv)], env
        )
    ratio = t_backtest / t_anchor
    results = {
        "bars": args.bars,
        "import_s": t_import,
        "import_peak_mb": import_mb,
        "backtest_s": t_backtest,
        "backtest_peak_mb": backtest_mb,
        "backtesting_py_s": t_anchor,
        "backtesting_py_trades": int(anchor_out.strip().splitlines()[-1]),
        "backtest_ratio": ratio,
        "backtest_goal_met": ratio <= 2.0,
        "import_goal_met": import_mb < 300.0 if args.bars >= 1_000_000 else None,
        "backtest_output_tail": out.strip().splitlines()[-3:],
    }
    table = Table(title=f"The user's path on {args.bars:,} M1 bars (fresh processes)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    table.add_row("fxd data import", f"{t_import:.1f} s, peak {import_mb:.0f} MB", "< 300 MB (1M)")
    table.add_row("fxd backtest (load, run, store)", f"{t_backtest:.1f} s", "")
    table.add_row("backtesting.py (read CSV, run)", f"{t_anchor:.1f} s", "anchor")
    table.add_row("fxd backtest / backtesting.py", f"{ratio:.1f}x", "<= 2x")
    Console(width=120).print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
