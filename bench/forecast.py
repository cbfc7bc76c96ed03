"""Forecaster benchmark on the bundled EURUSD H1 sample, anchored on the random walk.

* training the diffusion model with the default config (goal: under 5 minutes on 2 cores);
* one forecast, 100 sample paths, 4 horizons, torch on one thread (goal: under 20 ms);
* ``predict_batch`` for 5,000 origins, 100 paths each (goal: under 60 s).

The Gaussian random walk's time for the same calls is measured in the same run as the anchor.
Usage: ``python bench/forecast.py [--origins 5000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from synthetic import best_of

from forex_diffusion.data import load_sample
from forex_diffusion.forecast.baselines import RandomWalkEstimator
from forex_diffusion.forecast.diffusion import DiffusionEstimator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=5000)
    parser.add_argument("--batch-repeats", type=int, default=1, help="best of N batch runs")
    parser.add_argument("--json", type=Path, default=Path("bench/results/forecast.json"))
    args = parser.parse_args()
    candles = load_sample("EURUSD", "H1")

    start = time.perf_counter()
    model = DiffusionEstimator().fit(candles)
    train_s = time.perf_counter() - start
    walk = RandomWalkEstimator().fit(candles)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    one = best_of(lambda: model.predict(candles, num_samples=100), 20)
    one_rw = best_of(lambda: walk.predict(candles, num_samples=100), 20)
    torch.set_num_threads(threads)

    origins = list(range(len(candles) - args.origins, len(candles)))
    # best of --batch-repeats for both, so that a busy moment of the machine does not count
    batch_s = best_of(
        lambda: model.predict_batch(candles, origins, num_samples=100), args.batch_repeats
    )
    batch_rw = best_of(
        lambda: walk.predict_batch(candles, origins, num_samples=100), args.batch_repeats
    )

    results = {
        "train_s": train_s,
        "train_epochs": len(model.meta["history"]),
        "one_forecast_ms": one * 1e3,
        "one_forecast_rw_ms": one_rw * 1e3,
        "batch_origins": args.origins,
        "batch_s": batch_s,
        "batch_rw_s": batch_rw,
        "goals_met": {
            "train": train_s < 300,
            "one_forecast": one * 1e3 < 20,
            "batch": batch_s < 60,
        },
    }
    table = Table(title="Diffusion forecaster on EURUSD H1 (6,225 bars)")
    for col in ("measure", "diffusion", "random walk (anchor)", "ratio", "goal"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    table.add_row(
        "training, default config",
        f"{train_s:.1f} s ({results['train_epochs']} epochs)",
        "-",
        "-",
        "< 300 s",
    )
    table.add_row(
        "one forecast, 100 paths, 1 thread",
        f"{one * 1e3:.1f} ms",
        f"{one_rw * 1e3:.2f} ms",
        f"{one / one_rw:.0f}",
        "< 20 ms",
    )
    table.add_row(
        f"predict_batch, {args.origins:,} origins",
        f"{batch_s:.1f} s",
        f"{batch_rw:.2f} s",
        f"{batch_s / batch_rw:.0f}",
        "< 60 s",
    )
    Console(width=120).print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
