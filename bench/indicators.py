"""Indicator benchmark: NumPy backend vs TA-Lib, streaming updates vs talipp, in the same run.

Figures are ratios against the anchor measured in the same process (machine noise cancels):

* batch: time of the ``numpy`` backend / time of TA-Lib on N bars (goal <= 2.0 each);
* streaming: our microseconds per ``update`` / talipp's on the same bars.

Usage: ``python bench/indicators.py [--bars 1000000] [--stream-bars 20000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from synthetic import best_of, candles
from talipp import indicators as tp
from talipp.ohlcv import OHLCV

from forex_diffusion.features import calculate_indicators, parse_spec, streaming
from forex_diffusion.features.consolidated_indicators import INDICATORS

SPECS = [f"{key}_{parse_spec(key)[0].suffix}" for key in INDICATORS]  # defaults
GOAL = 2.0

TALIPP: dict[str, Callable[[], object]] = {
    "sma_20": lambda: tp.SMA(20),
    "ema_20": lambda: tp.EMA(20),
    "rsi_14": lambda: tp.RSI(14),
    "atr_14": lambda: tp.ATR(14),
    "macd_12_26_9": lambda: tp.MACD(12, 26, 9),
    "bb_20_2": lambda: tp.BB(20, 2.0),
    "stoch_5_3_3": lambda: tp.Stoch(5, 3),
    "adx_14": lambda: tp.ADX(14, 14),
    "donchian_20": lambda: tp.DonchianChannels(20),
    "keltner_20_10_2": lambda: tp.KeltnerChannels(20, 10, 2.0, 2.0),
    "cci_14": lambda: tp.CCI(14),
    "roc_10": lambda: tp.ROC(10),
}
CLOSE_ONLY = {"sma_20", "ema_20", "rsi_14", "macd_12_26_9", "bb_20_2", "roc_10"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--stream-bars", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("bench/results/indicators.json"))
    args = parser.parse_args()
    console = Console(width=140)
    data = candles(args.bars)
    results: dict[str, dict[str, float | bool | None]] = {}

    for spec in SPECS:
        t_talib = best_of(
            lambda s=spec: calculate_indicators(data, s, backend="talib"), args.repeats
        )
        t_numpy = best_of(
            lambda s=spec: calculate_indicators(data, s, backend="numpy"), args.repeats
        )
        results[spec] = {
            "talib_ms": t_talib * 1e3,
            "numpy_ms": t_numpy * 1e3,
            "ratio": t_numpy / t_talib,
            "meets_goal": t_numpy / t_talib <= GOAL,
        }

    small = data.iloc[: args.stream_bars]
    records = small.to_dict("records")
    ohlcv = [OHLCV(r["open"], r["high"], r["low"], r["close"], r["volume"]) for r in records]
    closes = small["close"].tolist()
    for spec in SPECS:

        def ours(s: str = spec) -> None:
            ind = streaming(s)
            for bar in records:
                ind.update(bar)

        us = best_of(ours, 1) / len(records) * 1e6
        anchor = None
        if spec in TALIPP:
            feed = closes if spec in CLOSE_ONLY else ohlcv

            def theirs(s: str = spec, values: list = feed) -> None:  # type: ignore[type-arg]
                ind = TALIPP[s]()
                for value in values:
                    ind.add(value)  # type: ignore[attr-defined]

            anchor = best_of(theirs, 1) / len(records) * 1e6
        results[spec].update(
            {"stream_us": us, "talipp_us": anchor, "stream_ratio": us / anchor if anchor else None}
        )

    table = Table(
        title=f"Indicators: {args.bars:,} bars batch, {args.stream_bars:,} bars "
        "streaming (best of runs; ratio = ours / anchor)"
    )
    for col in (
        "indicator",
        "TA-Lib ms",
        "numpy ms",
        "numpy/TA-Lib",
        f"<= {GOAL}",
        "stream us/bar",
        "talipp us/bar",
        "stream/talipp",
    ):
        table.add_column(col, justify="left" if col == "indicator" else "right")
    for spec, r in results.items():
        anchor = r["talipp_us"]
        table.add_row(
            spec,
            f"{r['talib_ms']:.1f}",
            f"{r['numpy_ms']:.1f}",
            f"{r['ratio']:.2f}",
            "yes" if r["meets_goal"] else "no",
            f"{r['stream_us']:.2f}",
            "-" if anchor is None else f"{anchor:.2f}",
            "-" if r["stream_ratio"] is None else f"{r['stream_ratio']:.2f}",
        )
    console.print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "bars": args.bars,
                "stream_bars": args.stream_bars,
                "goal_ratio": GOAL,
                "results": results,
            },
            indent=2,
        )
    )
    console.print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
