"""Dukascopy-style CSV export: ``Time,Open,High,Low,Close,Volume`` with ``dd.mm.yyyy HH:MM:SS.fff``.

The header's time column is ``Time`` or ``Gmt time`` (UTC), or ``Local time`` with a
``GMT+0100``-style offset in every value. This is the format of the bundled EURUSD sample.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import OHLCV
from forex_diffusion.data.loaders.table import (
    build_candles,
    parse_numbers,
    parse_times,
    read_text,
    read_text_table,
)

__all__ = ["HEADERS", "load_dukascopy"]

HEADERS = ("time", "gmt time", "local time")
_UTC_FORMATS = ("%d.%m.%Y %H:%M:%S.%f", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")
_LOCAL_FORMATS = ("%d.%m.%Y %H:%M:%S.%f GMT%z",)


def load_dukascopy(
    path: str | Path,
    *,
    timeframe: Timeframe | None = None,
    repair: bool = False,
    text: str | None = None,
    skipped_lines: int = 0,
) -> pd.DataFrame:
    """Load a Dukascopy-style export as a validated candle frame (times in UTC)."""
    file = Path(path)
    body = read_text(file) if text is None else text
    table = read_text_table(file, body, sep=",", header=True, skipped_lines=skipped_lines)
    names = {str(c).strip().lower(): c for c in table.frame.columns}
    time_col = next((names[h] for h in HEADERS if h in names), None)
    missing = [c for c in OHLCV if c not in names]
    if time_col is None or missing:
        need = "a Time/Gmt time/Local time column" if time_col is None else ", ".join(missing)
        raise CandleDataError(
            f"{file}: line 1: header {list(table.frame.columns)} lacks {need} "
            "(expected Time,Open,High,Low,Close,Volume)"
        )
    local = str(time_col).strip().lower() == "local time"
    index = parse_times(
        table,
        table.frame[time_col],
        formats=_LOCAL_FORMATS if local else _UTC_FORMATS,
        column=str(time_col),
    )
    numbers = parse_numbers(table, {c: names[c] for c in OHLCV})
    return build_candles(table, index, numbers, timeframe=timeframe, repair=repair)
