"""Soak benchmark: memory of long runs (a paper run must be able to run for months).

* engine: :class:`AutomatedTradingEngine` with ``sma_cross`` (10/30, 10,000 units, costs on)
  fed N synthetic M1 bars one by one in this process, as a paper run feeds it (no recorder:
  what a run needs later lives in the store);
* paper: a fused paper run (strategy ``fused``, its default bootstrap forecaster) through the
  store, the path ``fxd paper start`` takes: the bars are imported into a temporary SQLite
  store, :func:`start_paper` warms the run up on the bars before the first traded one and
  :meth:`PaperRun.loop` trades the rest, every bar written in its own transaction.

Each runs in a fresh interpreter and reports its RSS growth: RSS is sampled (after a
``gc.collect()``) about a hundred times; the figure is the largest sample from the end of the
first 10 % of the bars on, minus the sample there. Goal: under 50 MB for both. The risk limits
are opened (drawdown and daily loss at 100 %) so the kill-switch cannot stop the strategy from
deciding on every bar.

Usage: ``python bench/soak.py [--engine-bars 1000000] [--paper-bars 20000] [--json PATH]``;
``--quick`` takes 500,000 and 3,000 bars (CI; with 200,000 engine bars the growth before
the engine's memory was bounded, 47 MB, passed the goal).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from synthetic import candles

from forex_diffusion.core.trading_config import RiskConfig, TradingConfig
from forex_diffusion.storage import CandleRepository, Store, TradingRepository
from forex_diffusion.trading.automated_trading_engine import AutomatedTradingEngine
from forex_diffusion.trading.broker import Bar
from forex_diffusion.trading.paper import start_paper

GOAL_MB = 50.0
SAMPLES = 100
OPEN_RISK = RiskConfig(max_drawdown=1.0, daily_loss_limit=1.0)

try:  # psutil when it is installed, else /proc
    import psutil

    RSS_FROM = "psutil"

    def rss_bytes() -> int:
        return int(psutil.Process().memory_info().rss)

except ImportError:  # pragma: no cover - depends on the environment
    RSS_FROM = "/proc/self/statm"
    _PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss_bytes() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE


class Sampler:
    """RSS after a collection, every ``n / SAMPLES`` bars; the growth from the 10 % mark."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.every = max(1, total // SAMPLES)
        self.mark = max(1, total // 10)
        self.samples: list[tuple[int, int]] = []
        self.at_mark: int | None = None

    def __call__(self, done: int) -> None:
        if done == self.mark or done % self.every == 0 or done == self.total:
            gc.collect()
            rss = rss_bytes()
            self.samples.append((done, rss))
            if done == self.mark:
                self.at_mark = rss

    def growth_mb(self) -> float:
        assert self.at_mark is not None, "the run ended before its 10 % mark"
        after = [rss for done, rss in self.samples if done >= self.mark]
        return (max(after) - self.at_mark) / 2**20

    def curve_mb(self) -> list[list[float]]:
        return [[done, round(rss / 2**20, 1)] for done, rss in self.samples]


def _timed(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter()
    out = run()
    out["seconds"] = time.perf_counter() - start
    return out


def soak_engine(bars: int) -> dict[str, Any]:
    """The engine over ``bars`` M1 bars with ``sma_cross``, bar by bar."""
    data = candles(bars)
    config = TradingConfig(
        strategy="sma_cross",
        strategy_params={"fast": 10, "slow": 30, "stop_atr": 0, "units": 10_000},
        risk=OPEN_RISK,
    )
    engine = AutomatedTradingEngine(config, run_id="soak-engine")
    engine.start()
    duration = pd.Timedelta(minutes=1)
    columns = [data[c].to_numpy(float) for c in ("open", "high", "low", "close", "volume")]
    sampler, trades = Sampler(bars), 0
    for i, (ts, o, h, lo, c, v) in enumerate(zip(data.index, *columns, strict=True)):
        record = engine.on_bar("EURUSD", "M1", Bar(ts, o, h, lo, c, duration, v))
        trades += len(record.trades)
        sampler(i + 1)
    return {
        "bars": bars,
        "trades": trades,
        "state": engine.state.value,
        "rss_growth_mb": sampler.growth_mb(),
        "rss_mb": sampler.curve_mb(),
    }


def soak_paper(bars: int, *, warmup: int = 1_100) -> dict[str, Any]:
    """A fused paper run on ``bars`` M1 bars (after ``warmup`` bars of history) through a
    temporary SQLite store."""
    data = candles(warmup + bars, seed=1)
    config = TradingConfig(
        strategy="fused", strategy_params={"forecaster": "bootstrap"}, risk=OPEN_RISK
    )
    with tempfile.TemporaryDirectory(prefix="fxd-soak-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'soak.sqlite'}")
        store.upgrade()
        CandleRepository(store).upsert("EURUSD", "M1", data)
        start = pd.Timestamp(data.index[warmup - 1])
        run = start_paper(
            store, run_id="soak-paper", symbol="EURUSD", timeframe="M1", config=config, start=start
        )
        sampler, done = Sampler(bars), 0

        def tick(_ts: pd.Timestamp) -> None:
            nonlocal done
            done += 1
            sampler(done)

        traded = run.loop(until_idle=True, poll_seconds=0.1, on_bar=tick)
        counts = TradingRepository(store).counts("soak-paper")
        state = run.engine.state.value
        run.engine.stop()
        store.dispose()
    return {
        "bars": traded,
        "warmup_bars": warmup,
        "trades": counts["trades"],
        "equity_snapshots": counts["equity_snapshots"],
        "state": state,
        "rss_growth_mb": sampler.growth_mb(),
        "rss_mb": sampler.curve_mb(),
    }


def _part(name: str, bars: int) -> dict[str, Any]:
    """One soak in a fresh interpreter: memory another run freed (and the allocator kept)
    would hide the growth of the next one."""
    with tempfile.TemporaryDirectory(prefix="fxd-soak-") as tmp:
        out = Path(tmp) / f"{name}.json"
        command = [sys.executable, __file__, "--part", name, "--bars", str(bars), "--json", out]
        subprocess.run([str(c) for c in command], check=True)
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-bars", type=int, default=None)
    parser.add_argument("--paper-bars", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="500,000 and 3,000 bars (CI)")
    parser.add_argument("--skip-paper", action="store_true")
    parser.add_argument("--json", type=Path, default=Path("bench/results/soak.json"))
    parser.add_argument("--part", choices=["engine", "paper"], help=argparse.SUPPRESS)
    parser.add_argument("--bars", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part is not None:  # a child: one soak, its JSON
        soak = soak_engine if args.part == "engine" else soak_paper
        args.json.write_text(json.dumps(_timed(lambda: soak(args.bars))))
        return
    engine_bars = args.engine_bars or (500_000 if args.quick else 1_000_000)
    paper_bars = args.paper_bars or (3_000 if args.quick else 20_000)

    engine = _part("engine", engine_bars)
    paper = None if args.skip_paper else _part("paper", paper_bars)
    results: dict[str, Any] = {
        "goal_mb": GOAL_MB,
        "rss_from": RSS_FROM,
        "engine": engine,
        "paper": paper,
        "engine_rss_growth_mb": engine["rss_growth_mb"],
        "paper_rss_growth_mb": None if paper is None else paper["rss_growth_mb"],
        "goal_met": engine["rss_growth_mb"] < GOAL_MB
        and (paper is None or paper["rss_growth_mb"] < GOAL_MB),
    }
    table = Table(title="Soak: RSS growth from the 10 % mark to the end")
    for col in ("run", "bars", "trades", "time", "bars/s", "RSS growth", "goal"):
        table.add_column(col, justify="left" if col == "run" else "right")
    for name, r in (("engine, sma_cross, in process", engine), ("paper, fused, SQLite", paper)):
        if r is None:
            continue
        table.add_row(
            f"{name} ({r['state']})",
            f"{r['bars']:,}",
            f"{r['trades']:,}",
            f"{r['seconds']:.0f} s",
            f"{r['bars'] / r['seconds']:,.0f}",
            f"{r['rss_growth_mb']:.1f} MB",
            f"< {GOAL_MB:.0f} MB",
        )
    Console(width=120).print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
