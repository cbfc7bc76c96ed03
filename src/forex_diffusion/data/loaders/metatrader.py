"""MetaTrader 4 history export: ``YYYY.MM.DD,HH:MM,O,H,L,C,V``, no header.

MetaTrader stamps bars in the broker's server time, which the file does not say: pass ``tz``
(an IANA name such as ``"Europe/Helsinki"`` for the common GMT+2/+3 servers); the default is UTC.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import OHLCV
from forex_diffusion.data.loaders.table import (
    build_candles,
    parse_numbers,
    parse_times,
    read_text,
    read_text_table,
)

__all__ = ["load_metatrader"]


def load_metatrader(
    path: str | Path,
    *,
    timeframe: Timeframe | None = None,
    tz: str | None = None,
    repair: bool = False,
    text: str | None = None,
    skipped_lines: int = 0,
) -> pd.DataFrame:
    """Load a MetaTrader history export as a validated candle frame (times in UTC)."""
    file = Path(path)
    body = read_text(file) if text is None else text
    table = read_text_table(
        file, body, sep=",", header=False, expected_fields=7, skipped_lines=skipped_lines
    )
    table.frame.columns = ["date", "clock", *OHLCV]
    stamps = table.frame["date"].str.strip() + " " + table.frame["clock"].str.strip()
    index = parse_times(
        table,
        stamps,
        formats=("%Y.%m.%d %H:%M", "%Y.%m.%d %H:%M:%S"),
        column="date,time",
        tz=tz,
    )
    numbers = parse_numbers(table, {c: c for c in OHLCV})
    return build_candles(table, index, numbers, timeframe=timeframe, repair=repair)
