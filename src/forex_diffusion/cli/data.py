"""``fxd data``: import, list, show and resample candles in the store."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, make_progress, progress_bars, state
from forex_diffusion.cli.output import print_sample
from forex_diffusion.core.errors import ConflictError, DataError
from forex_diffusion.core.types import Symbol, Timeframe

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

__all__ = ["app"]

app = typer.Typer(
    help="Candle data: import files, list and show stored series, resample.", no_args_is_help=True
)


class FormatChoice(StrEnum):
    """File formats ``fxd data import`` reads."""

    AUTO = "auto"
    CSV = "csv"
    HISTDATA = "histdata"
    MT4 = "mt4"
    DUKASCOPY = "dukascopy"


class AnchorChoice(StrEnum):
    """Day and week boundaries for D1/W1 resampling."""

    UTC = "utc"
    NEW_YORK = "new_york"


SymbolOpt = Annotated[str, typer.Option("--symbol", "-s", help="Currency pair, e.g. EURUSD.")]


def _span(seen: dict[str, pd.Timestamp]) -> str:
    return f"{_ts(seen['first'])} to {_ts(seen['last'])} UTC"


def _ts(value: object) -> str:
    import pandas as pd

    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="Candle file to import.")],
    symbol: SymbolOpt,
    timeframe: Annotated[
        str | None,
        typer.Option(
            "--timeframe",
            "-t",
            help="M1 M5 M15 M30 H1 H4 D1 W1 (or 1m ... 1w); "
            "inferred from the spacing when omitted, checked against it when given.",
        ),
    ] = None,
    fmt: Annotated[FormatChoice, typer.Option("--format", "-f", help="File format.")] = (
        FormatChoice.AUTO
    ),
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz", help="Time zone of naive times in csv/mt4 files (IANA name, default UTC)."
        ),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option(
            help="Sort rows and drop duplicated times (keeping the last) instead of failing."
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = (
        False
    ),
    correction: Annotated[
        bool,
        typer.Option(
            "--correction",
            help="Allow new or changed bars at or before the newest bar a run has traded; "
            "each replaced bar is recorded (old and new values).",
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why the bars are corrected (with --correction).")
    ] = None,
) -> None:
    """Import a candle file into the store: all of it in one transaction, or nothing. Bars at
    or before the newest bar a run has traded are refused unless they are unchanged or this
    is a --correction."""
    from forex_diffusion.data.loaders import open_candles
    from forex_diffusion.storage import CandleRepository

    sym = Symbol.parse(symbol)
    with make_progress() as progress:
        task = progress.add_task(f"reading {path.name}", total=None)
        stream = open_candles(path, format=fmt.value, timeframe=timeframe, tz=tz, repair=repair)
        progress.update(task, completed=1, total=1)
    tf = stream.timeframe
    seen: dict[str, pd.Timestamp] = {}  # the first and the last bar read

    def frames() -> Iterator[pd.DataFrame]:
        for frame in stream:
            seen.setdefault("first", frame.index[0])
            seen["last"] = frame.index[-1]
            yield frame

    if dry_run:
        bars = sum(len(frame) for frame in frames())
        console.print(
            f"{path}: {bars:,} valid {sym} {tf.value} bars, {_span(seen)} "
            "(dry run, nothing written)"
        )
        return
    store = state.store()
    with make_progress() as progress:
        task = progress.add_task(f"writing {sym} {tf.value}", total=None)
        try:
            result = CandleRepository(store).write_many(
                sym,
                tf,
                frames(),
                correction=correction,
                reason=reason,
                on_progress=lambda n: progress.advance(task, n),
            )
        except ConflictError as exc:
            raise ConflictError(f"{path}: {exc} (--correction)") from None
    span = _span(seen)
    corrected = f", {result.corrected:,} recorded as corrections" if result.corrected else ""
    console.print(
        f"imported {sym} {tf.value} from {path}: {result.total:,} bars ({result.inserted:,} new, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged{corrected}), {span}"
    )


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List stored series: first and last bar, bar count and gaps (weekends excluded)."""
    from forex_diffusion.data import find_gaps
    from forex_diffusion.storage import CandleRepository

    repo = CandleRepository(state.store())
    rows: list[dict[str, Any]] = []
    for s in repo.series():
        gaps = find_gaps(repo.timestamps(s.symbol, s.timeframe), Timeframe.parse(s.timeframe))
        rows.append(
            {
                "symbol": s.symbol,
                "timeframe": s.timeframe,
                "first": s.first.isoformat(),
                "last": s.last.isoformat(),
                "bars": s.bars,
                "gaps": len(gaps),
                "missing_bars": int(gaps["missing_bars"].sum()) if len(gaps) else 0,
            }
        )
    if as_json:
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print(
            "no candles stored yet: try `fxd data import FILE --symbol EURUSD` or `fxd demo`"
        )
        return
    table = Table(title=f"Stored series ({state.config.storage.url or 'default store'})")
    for col in ("symbol", "timeframe", "first (UTC)", "last (UTC)", "bars", "gaps", "missing"):
        table.add_column(col, justify="right" if col in ("bars", "gaps", "missing") else "left")
    for r in rows:
        table.add_row(
            r["symbol"],
            r["timeframe"],
            _ts(r["first"]),
            _ts(r["last"]),
            f"{r['bars']:,}",
            str(r["gaps"]),
            f"{r['missing_bars']:,}",
        )
    console.print(table)


@app.command("show")
def show(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Newest N bars.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the newest bars of a stored series."""
    from forex_diffusion.core.instruments import get_instrument
    from forex_diffusion.storage import CandleRepository

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    candles = CandleRepository(state.store()).load(sym, tf, last=last)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    if as_json:
        out = candles.reset_index()
        out["time"] = out["time"].map(lambda t: t.isoformat())
        console.print_json(out.to_json(orient="records", double_precision=15))
        return
    digits = get_instrument(sym).price_digits
    table = Table(title=f"{sym} {tf.value}, last {len(candles)} bars")
    for col in ("time (UTC)", "open", "high", "low", "close", "volume"):
        table.add_column(col, justify="left" if col.startswith("time") else "right")
    for ts, row in candles.iterrows():
        prices = [f"{row[c]:.{digits}f}" for c in ("open", "high", "low", "close")]
        table.add_row(_ts(ts), *prices, f"{row['volume']:,.0f}")
    console.print(table)


@app.command("resample")
def resample(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    source: Annotated[str, typer.Argument(help="Stored timeframe to read, e.g. H1.")],
    target: Annotated[str, typer.Argument(help="Longer timeframe to build, e.g. H4.")],
    anchor: Annotated[AnchorChoice, typer.Option(help="Day/week boundary for D1 and W1.")] = (
        AnchorChoice.UTC
    ),
) -> None:
    """Build a longer timeframe from stored bars and store its complete bars.

    An incomplete last bar is reported and not stored; it is written once its data is in.
    """
    from forex_diffusion.data import resample_candles
    from forex_diffusion.storage import CandleRepository

    sym, src, dst = Symbol.parse(symbol), Timeframe.parse(source), Timeframe.parse(target)
    repo = CandleRepository(state.store())
    candles = repo.load(sym, src)
    if candles.empty:
        raise DataError(f"no {sym} {src.value} candles in the store (see `fxd data list`)")
    bars = resample_candles(candles, dst, source_timeframe=src, anchor=anchor.value)
    complete = bars[bars["complete"]]
    result = repo.upsert(sym, dst, complete)
    console.print(
        f"resampled {sym} {src.value} -> {dst.value}: {len(complete):,} complete bars "
        f"({result.inserted:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged)"
    )
    if not bool(bars["complete"].iloc[-1]):
        console.print(
            f"last {dst.value} bar {_ts(bars.index[-1])} is incomplete "
            f"({int(bars['bars'].iloc[-1])} source bars so far): not stored"
        )


@app.command("sample")
def sample() -> None:
    """Import the bundled EURUSD H1 2017 sample into the store (idempotent) and print its
    summary."""
    from forex_diffusion.services.data import import_sample

    with progress_bars() as progress:
        imported = import_sample(state.store(), progress=progress)
    print_sample(imported)
