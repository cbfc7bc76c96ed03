"""``fxd patterns``: scan a stored series for patterns (``fxd patterns S TF`` is ``fxd patterns
scan S TF``), and ``fxd patterns stats S TF``: how often each pattern reached its target."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from forex_diffusion.cli.context import console, make_progress, state, wide_console
from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["app", "patterns", "stats"]


class _ScanByDefault(TyperGroup):
    """``fxd patterns EURUSD H1`` runs ``scan``: a first argument that is not a subcommand
    (nor an option) is the symbol."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["scan", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ScanByDefault,
    help="Pattern events of a stored series: scan (the default) and stats.",
    no_args_is_help=True,
)


@app.command("scan")
def patterns(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    kinds: Annotated[
        str, typer.Option(help="Comma-separated kinds: candle, chart, harmonic, wave.")
    ] = "candle,chart,harmonic,wave",
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Newest N events.")] = 20,
    min_score: Annotated[float, typer.Option(min=0.0, max=1.0, help="Hide weaker events.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Scan the stored bars (all detectors), store the events, and list the newest ones.

    Every run re-scans the whole series and replaces its stored events in one transaction, so
    the store always matches the bars it holds.
    """
    import pandas as pd

    from forex_diffusion.patterns import PatternRegistry
    from forex_diffusion.patterns.vectorized_detectors import events_from_frame
    from forex_diffusion.storage import CandleRepository, PatternEventRepository

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    registry = PatternRegistry()
    registry.detectors(wanted)  # validates the kinds before any work
    store = state.store()
    candles = CandleRepository(store).load(sym, tf)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    with make_progress() as progress:
        task = progress.add_task(f"scanning {len(candles):,} bars", total=None)
        events = events_from_frame(registry.scan(candles))
        progress.update(task, description="storing events")
        PatternEventRepository(store).replace(sym, tf, events)
    shown = PatternEventRepository(store).load(sym, tf, kinds=wanted)
    shown = shown[shown["score"] >= min_score].tail(last)
    if as_json:
        out = shown.copy()
        for col in ("start_ts", "confirm_ts"):
            out[col] = out[col].map(lambda t: t.isoformat())
        console.print_json(out.to_json(orient="records", double_precision=15))
        return
    table = Table(title=f"{sym} {tf.value}: newest {len(shown)} of {len(events):,} pattern events")
    for col in (
        "confirmed (UTC)",
        "pattern",
        "kind",
        "dir",
        "score",
        "bars",
        "target",
        "invalidation",
    ):
        table.add_column(
            col,
            no_wrap=col.startswith("confirmed"),
            justify="right" if col in ("score", "bars", "target", "invalidation") else "left",
        )

    def price(value: float | None) -> str:
        return "" if value is None or value != value else f"{value:.5f}"

    for rec in shown.to_dict("records"):
        table.add_row(
            pd.Timestamp(rec["confirm_ts"]).strftime("%Y-%m-%d %H:%M"),
            str(rec["pattern_key"]),
            str(rec["kind"]),
            str(rec["direction"]),
            f"{float(rec['score']):.2f}",
            str(rec["bars_span"]),
            price(rec["target_price"]),
            price(rec["failure_price"]),
        )
    console.print(table)


@app.command("stats")
def stats(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    kinds: Annotated[
        str, typer.Option(help="Comma-separated kinds: candle, chart, harmonic, wave.")
    ] = "chart,harmonic,wave",
    baselines: Annotated[
        int, typer.Option(min=0, help="Shuffled series to score the same rule on.")
    ] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the shuffles.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Per pattern: how often price reached the target before the invalidation within the
    pattern's horizon, net of the spread, on the stored bars and on the same bars shuffled (the
    Osler-Chang bootstrap). The spread is the median of the configured session spreads over the
    bars."""
    import json

    import numpy as np
    import pandas as pd

    from forex_diffusion.core.instruments import get_instrument
    from forex_diffusion.intelligence.evaluation.pattern_stats import pattern_stats
    from forex_diffusion.patterns import PatternRegistry
    from forex_diffusion.storage import CandleRepository
    from forex_diffusion.trading.costs import CostModel

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    PatternRegistry().swing_detectors(wanted)  # validates the kinds before any work
    candles = CandleRepository(state.store()).load(sym, tf)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    index = pd.DatetimeIndex(candles.index)
    pips = CostModel(state.config.trading.broker).spread_pips_per_bar(sym.name, index)
    spread = get_instrument(sym.name).from_pips(float(np.median(pips)))
    with make_progress() as progress:
        progress.add_task(f"scanning {len(candles):,} bars and {baselines} shuffles", total=None)
        table = pattern_stats(candles, kinds=wanted, spread=spread, baselines=baselines, seed=seed)
    rows: list[dict[str, Any]] = [
        {"pattern_key": key, **{str(k): (None if v != v else v) for k, v in rec.items()}}
        for key, rec in table.to_dict("index").items()
    ]
    if as_json:
        console.print_json(json.dumps({"spread": spread, "baselines": baselines, "keys": rows}))
        return
    out = Table(
        title=f"{sym} {tf.value}: target before invalidation, net of a "
        f"{float(np.median(pips)):.1f}-pip spread ({len(candles):,} bars, {baselines} shuffles)"
    )
    for col in ("pattern", "events", "hit rate", "shuffled events", "shuffled hit rate", "edge"):
        out.add_column(col, justify="left" if col == "pattern" else "right")

    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.0%}"

    for rec in rows:
        base = rec["baseline_events"]
        out.add_row(
            str(rec["pattern_key"]),
            str(rec["events"]),
            pct(rec["hit_rate"]),
            "" if base is None else f"{base:.1f}",
            pct(rec["baseline_hit_rate"]),
            "" if rec["edge"] is None else f"{rec['edge']:+.0%}",
        )
    wide_console(110).print(out)
