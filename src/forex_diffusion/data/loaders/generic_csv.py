"""Generic delimited candle files with a header row.

Recognised (case, spaces and ``<>`` ignored): a time column (``time``, ``timestamp``,
``datetime``, ``date``, ``ts``, ``ts_utc``, ``gmt time``, ``open_time``, or ``date`` plus ``time``),
``open/o``, ``high/h``, ``low/l``, ``close/c``, and optionally a volume column (``tick_volume``,
``tickvol``, ``volume``, ``vol``, ``v``; missing means 0). Times may be epoch seconds,
milliseconds, microseconds or nanoseconds, ISO 8601 (with or without offset) or the usual
broker layouts (``2017.01.02 00:00``, ``02.01.2017 00:00:00.000``, ``20170102 000000``).
Delimiter: comma, semicolon or tab, sniffed from the header.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.loaders.table import (
    build_candles,
    parse_numbers,
    parse_times,
    read_text,
    read_text_table,
)

__all__ = ["TIME_FORMATS", "load_csv"]

TIME_FORMATS = (
    "epoch",
    "ISO8601",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%d.%m.%Y %H:%M:%S.%f",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y%m%d %H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y.%m.%d",
)
_TIME_NAMES = (
    "time",
    "timestamp",
    "datetime",
    "date_time",
    "ts",
    "ts_utc",
    "gmt_time",
    "time_utc",
    "utc_time",
    "open_time",
    "opentime",
    "local_time",
    "date",
)
_ALIASES = {
    "open": ("open", "o", "open_price", "openprice", "first"),
    "high": ("high", "h", "high_price", "highprice", "max"),
    "low": ("low", "l", "low_price", "lowprice", "min"),
    "close": ("close", "c", "close_price", "closeprice", "last"),
    "volume": (
        "tick_volume",
        "tickvol",
        "tick_vol",
        "tickvolume",
        "volume",
        "vol",
        "v",
        "real_volume",
    ),
}
_SEPARATORS = (",", ";", "\t")
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _sniff_sep(file: Path, text: str) -> str:
    header = text.lstrip("\r\n").splitlines()[0]
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        raise CandleDataError(
            f"{file}: line 1: header {header[:60]!r} has a single column; "
            "expected fields separated by commas, semicolons or tabs (wrong delimiter?)"
        )
    return sep


def load_csv(
    path: str | Path,
    *,
    timeframe: Timeframe | None = None,
    tz: str | None = None,
    repair: bool = False,
    text: str | None = None,
    skipped_lines: int = 0,
) -> pd.DataFrame:
    """Load a generic delimited candle file as a validated candle frame (times in UTC).

    Parameters
    ----------
    path
        The file.
    timeframe
        When given, the bar spacing must match it.
    tz
        Time zone of times written without an offset (IANA name; default UTC).
    repair
        Sort rows and drop duplicated timestamps (keeping the last) instead of failing.
    text, skipped_lines
        The file's text (or a chunk of it, :func:`~forex_diffusion.data.loaders.table.text_chunks`)
        when already read.
    """
    file = Path(path)
    body = read_text(file) if text is None else text
    table = read_text_table(
        file, body, sep=_sniff_sep(file, body), header=True, skipped_lines=skipped_lines
    )
    names: dict[str, str] = {}
    for col in table.frame.columns:
        names.setdefault(_norm(col), col)
    columns: dict[str, str] = {}
    for canonical, aliases in _ALIASES.items():
        found = next((names[a] for a in aliases if a in names), None)
        if found is not None:
            columns[canonical] = found
    missing = [c for c in ("open", "high", "low", "close") if c not in columns]
    time_col = next((names[n] for n in _TIME_NAMES if n in names), None)
    if time_col is None or missing:
        need = ", ".join((["a time column"] if time_col is None else []) + missing)
        raise CandleDataError(
            f"{file}: line 1: header {list(map(str, table.frame.columns))} lacks {need}"
        )
    stamps = table.frame[time_col]
    label = str(time_col)
    day, clock = names.get("date"), names.get("time")
    if day is not None and clock is not None and _CLOCK.match(table.frame[clock].iloc[0].strip()):
        stamps = table.frame[day].str.strip() + " " + table.frame[clock].str.strip()
        label = f"{day},{clock}"
    index = parse_times(table, stamps, formats=TIME_FORMATS, column=label, tz=tz)
    numbers = parse_numbers(table, columns)
    if "volume" not in numbers:
        numbers["volume"] = np.zeros(len(table.frame))
    return build_candles(table, index, numbers, timeframe=timeframe, repair=repair)
