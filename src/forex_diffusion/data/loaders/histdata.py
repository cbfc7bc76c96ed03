"""HistData.com generic ASCII M1 bars: ``YYYYMMDD HHMMSS;O;H;L;C;V``, no header.

HistData stamps bars in Eastern Standard Time all year round (UTC-5, no daylight saving), so
the conversion to UTC is a constant +5 hours, on both sides of a DST change.
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

__all__ = ["EST_OFFSET", "load_histdata"]

EST_OFFSET = pd.Timedelta(hours=5)
"""HistData time + ``EST_OFFSET`` = UTC."""


def load_histdata(
    path: str | Path,
    *,
    timeframe: Timeframe | None = Timeframe.M1,
    repair: bool = False,
    text: str | None = None,
    skipped_lines: int = 0,
) -> pd.DataFrame:
    """Load a HistData ASCII file as a validated candle frame (times converted to UTC)."""
    file = Path(path)
    body = read_text(file) if text is None else text
    table = read_text_table(
        file, body, sep=";", header=False, expected_fields=6, skipped_lines=skipped_lines
    )
    table.frame.columns = ["time", *OHLCV]
    index = parse_times(
        table, table.frame["time"], formats=("%Y%m%d %H%M%S",), column="time", shift=EST_OFFSET
    )
    numbers = parse_numbers(table, {c: c for c in OHLCV})
    return build_candles(table, index, numbers, timeframe=timeframe, repair=repair)
