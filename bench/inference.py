"""Inference engine benchmark: timeouts, memory over many cycles, cached latency.

* a hung model: time until ``run`` returns / its per-model timeout (goal: within timeout + 1 s);
* the global timeout: time until ``run`` returns / the global timeout (goal: within 1 s);
* RSS growth (engine plus workers) over ``--cycles`` runs of 5 cached diffusion models
  (goal: under 50 MB for 1,000 cycles);
* cached inference latency through the engine / calling the predictor directly, same model,
  same context, in the same run (goal: within 10 %).

Usage: ``python bench/inference.py [--cycles 1000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from synthetic import best_of

from forex_diffusion.data import load_sample
from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator
from forex_diffusion.inference import ParallelInferenceEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.inference.fakes import Sleeper


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=Path("bench/results/inference.json"))
    args = parser.parse_args()
    candles = load_sample("EURUSD", "H1")
    context = candles.iloc[-600:]
    folder = Path(tempfile.mkdtemp(prefix="fxd-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    paths = []
    for seed in range(5):
        config = DiffusionConfig(epochs=2, seed=seed)
        paths.append(
            DiffusionEstimator(config).fit(candles.iloc[:3000]).save(folder / f"model{seed}.pt")
        )

    with ParallelInferenceEngine(
        max_workers=2, per_model_timeout_s=1.0, global_timeout_s=30
    ) as engine:
        engine.run(paths[:1], context)  # start the workers
        start = time.monotonic()
        engine.run([Sleeper()], context)
        hung_s = time.monotonic() - start
    with ParallelInferenceEngine(
        max_workers=1, per_model_timeout_s=30, global_timeout_s=1.0
    ) as engine:
        engine.run(paths[:1], context)
        start = time.monotonic()
        engine.run([Sleeper(), Sleeper(model_id="s2")], context)
        global_s = time.monotonic() - start

    with ParallelInferenceEngine(
        max_workers=2, per_model_timeout_s=30, global_timeout_s=60, cache_size=10
    ) as engine:
        for _ in range(20):
            engine.run(paths, context, num_samples=100)
        pids = [os.getpid(), *engine.worker_pids()]
        before = sum(rss_mb(p) for p in pids)
        for _ in range(args.cycles):
            engine.run(paths, context, num_samples=100)
        after = sum(rss_mb(p) for p in [os.getpid(), *engine.worker_pids()])

    from forex_diffusion.forecast.diffusion import DiffusionPredictor

    direct_model = DiffusionPredictor.load(paths[0])
    direct = best_of(lambda: direct_model.predict(context, num_samples=100), 30)
    with ParallelInferenceEngine(max_workers=1, per_model_timeout_s=30) as engine:
        engine.run(paths[:1], context)
        cached = best_of(lambda: engine.run(paths[:1], context, num_samples=100), 30)

    results = {
        "hung_model_return_s": hung_s,
        "per_model_timeout_s": 1.0,
        "global_timeout_return_s": global_s,
        "global_timeout_s": 1.0,
        "cycles": args.cycles,
        "rss_growth_mb": after - before,
        "rss_total_mb": after,
        "direct_ms": direct * 1e3,
        "engine_cached_ms": cached * 1e3,
        "latency_ratio": cached / direct,
    }
    table = Table(title="ParallelInferenceEngine (2 workers, 5 diffusion checkpoints)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    table.add_row("hung model: run() returned after", f"{hung_s:.2f} s", "<= 1.0 + 1 s")
    table.add_row("global timeout 1 s: run() returned after", f"{global_s:.2f} s", "<= 2 s")
    table.add_row(
        f"RSS growth over {args.cycles:,} cycles (engine + workers)",
        f"{after - before:+.1f} MB",
        "< 50 MB",
    )
    table.add_row("RSS, engine + workers, after", f"{after:.0f} MB", "")
    table.add_row("one model, direct predict", f"{direct * 1e3:.1f} ms", "anchor")
    table.add_row("one model through the engine, cached", f"{cached * 1e3:.1f} ms", "")
    table.add_row("engine / direct", f"{cached / direct:.2f}", "<= 1.10")
    Console(width=120).print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
