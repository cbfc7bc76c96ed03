"""Retail sentiment: a feed of long/short positioning and the contrarian ``sentiment_alignment``.

Feed format (CSV, comma separated, header required, one row per snapshot)::

    time,symbol,long_pct
    2017-03-01T08:00:00Z,EURUSD,63.5
    2017-03-01T09:00:00Z,EURUSD,61.0

``time`` is when the snapshot was published (ISO 8601, UTC unless it carries an offset, or epoch
seconds/milliseconds), ``symbol`` any spelling of the pair (``EUR/USD`` too) and ``long_pct``
the percentage of retail traders long, in [0, 100]; ``short_pct`` may be given instead of, or
besides, ``long_pct`` (they must then add to 100 within 0.5). A value for bar t is the newest
snapshot published at or before t's close; a snapshot older than ``max_age`` counts as no feed.

The reading is contrarian, as FX desks read retail positioning: with 70 % of retail long a bear
signal scores 0.7 and a bull signal 0.3. No feed gives 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError, DataError
from forex_diffusion.core.types import Symbol
from forex_diffusion.data.candles import index_ns
from forex_diffusion.data.loaders.table import (
    parse_numbers,
    parse_times,
    read_text,
    read_text_table,
)

__all__ = ["SentimentFeed", "sentiment_alignment"]

_TIME_FORMATS = ("epoch", "ISO8601")
DEFAULT_MAX_AGE = pd.Timedelta(hours=24)


def sentiment_alignment(direction: str, long_share: float | None) -> float:
    """Contrarian agreement with retail positioning (``long_share`` in [0, 1]); 0.5 without a
    feed."""
    if long_share is None or long_share != long_share:
        return 0.5
    if not 0.0 <= long_share <= 1.0:
        raise ConfigError(f"retail long share must be in [0, 1], got {long_share}")
    return float(long_share if direction == "bear" else 1.0 - long_share)


@dataclass(frozen=True)
class SentimentFeed:
    """Snapshots of retail long share per symbol, looked up causally.

    Attributes
    ----------
    snapshots
        Columns ``symbol`` (canonical), ``long_share`` in [0, 1]; index: publication time (UTC),
        sorted.
    max_age
        Older snapshots count as missing.
    """

    snapshots: pd.DataFrame
    max_age: pd.Timedelta = DEFAULT_MAX_AGE

    @classmethod
    def from_csv(cls, path: str | Path, *, max_age: pd.Timedelta | None = None) -> SentimentFeed:
        """Read the CSV feed; errors name the file, line and column."""
        file = Path(path)
        table = read_text_table(file, read_text(file), sep=",", header=True)
        table.frame.columns = [str(c).strip().lower() for c in table.frame.columns]
        missing = {"time", "symbol"} - set(table.frame.columns)
        if missing or not {"long_pct", "short_pct"} & set(table.frame.columns):
            need = sorted(missing) or ["long_pct or short_pct"]
            raise DataError(
                f"{file}: sentiment feed needs columns time, symbol and long_pct (or short_pct); "
                f"missing {', '.join(need)}"
            )
        times = parse_times(table, table.frame["time"], formats=_TIME_FORMATS, column="time")
        present = [c for c in ("long_pct", "short_pct") if c in table.frame.columns]
        numbers = parse_numbers(table, {c: c for c in present})
        for name, values in numbers.items():
            bad = ~((values >= 0.0) & (values <= 100.0))
            if bad.any():
                row = int(np.argmax(bad))
                raise table.error(row, name, f"{values[row]} is not a percentage in [0, 100]")
        if len(numbers) == 2:
            off = np.abs(numbers["long_pct"] + numbers["short_pct"] - 100.0) > 0.5
            if off.any():
                row = int(np.argmax(off))
                raise table.error(row, "short_pct", "long_pct + short_pct is not 100")
        long_pct = numbers.get("long_pct", 100.0 - numbers.get("short_pct", np.zeros(0)))
        symbols = []
        for row, raw in enumerate(table.frame["symbol"]):
            try:
                symbols.append(Symbol.parse(raw.strip()).name)
            except ConfigError as exc:
                raise table.error(row, "symbol", str(exc)) from None
        frame = pd.DataFrame(
            {"symbol": symbols, "long_share": long_pct / 100.0}, index=pd.DatetimeIndex(times)
        )
        frame.index.name = "time"
        return cls(frame.sort_index(kind="stable"), max_age or DEFAULT_MAX_AGE)

    def long_share(self, symbol: str, times: pd.DatetimeIndex) -> np.ndarray:
        """Retail long share in force at each decision time (a bar's close, not its open);
        NaN where no snapshot is fresh enough."""
        sym = Symbol.parse(symbol).name
        rows = self.snapshots[self.snapshots["symbol"] == sym]
        out = np.full(len(times), np.nan)
        if rows.empty or not len(times):
            return out
        published = index_ns(pd.DatetimeIndex(rows.index))
        at = index_ns(times)
        pos = np.searchsorted(published, at, side="right") - 1
        ok = pos >= 0
        age = at[ok] - published[pos[ok]]
        fresh = age <= int(self.max_age.total_seconds() * 1e9)
        values = rows["long_share"].to_numpy(float)[pos[ok]]
        out[np.flatnonzero(ok)[fresh]] = values[fresh]
        return out
