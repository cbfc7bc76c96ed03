"""Candle file loaders and format detection.

``load_candles(path, format="auto")`` picks the loader: HistData ASCII, MetaTrader history
export, Dukascopy-style export, or the generic CSV loader for anything else with a header.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.loaders.dukascopy import HEADERS as DUKASCOPY_HEADERS
from forex_diffusion.data.loaders.dukascopy import load_dukascopy
from forex_diffusion.data.loaders.generic_csv import load_csv
from forex_diffusion.data.loaders.histdata import load_histdata
from forex_diffusion.data.loaders.metatrader import load_metatrader
from forex_diffusion.data.loaders.table import read_text

__all__ = [
    "FORMATS",
    "FileFormat",
    "detect_format",
    "load_candles",
    "load_csv",
    "load_dukascopy",
    "load_histdata",
    "load_metatrader",
]

FileFormat = Literal["auto", "csv", "histdata", "mt4", "dukascopy"]
FORMATS: tuple[str, ...] = ("auto", "csv", "histdata", "mt4", "dukascopy")

_HISTDATA = re.compile(r"^\d{8} \d{6};")
_MT4 = re.compile(r"^\d{4}\.\d{2}\.\d{2},\d{2}:\d{2},")
_DUKASCOPY_ROW = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}")


def detect_format(text: str) -> str:
    """The format of a candle file's text: ``histdata``, ``mt4``, ``dukascopy`` or ``csv``."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:2]
    first = lines[0].strip() if lines else ""
    if _HISTDATA.match(first):
        return "histdata"
    if _MT4.match(first):
        return "mt4"
    head = first.split(",")[0].strip().lower()
    if head in DUKASCOPY_HEADERS and len(lines) > 1 and _DUKASCOPY_ROW.match(lines[1].strip()):
        return "dukascopy"
    return "csv"


def load_candles(
    path: str | Path,
    *,
    format: str = "auto",
    timeframe: Timeframe | str | None = None,
    tz: str | None = None,
    repair: bool = False,
) -> pd.DataFrame:
    """Load a candle file of any supported format as a validated candle frame in UTC.

    Parameters
    ----------
    path
        The file.
    format
        One of :data:`FORMATS`; ``auto`` detects it from the first lines.
    timeframe
        When given, the bar spacing must match it (a contradiction is an error).
    tz
        Time zone of naive times for ``csv`` and ``mt4`` (IANA name, default UTC). HistData
        is always EST (UTC-5) and Dukascopy always UTC or offset-stamped.
    repair
        Sort rows and drop duplicated timestamps (keeping the last) instead of failing.

    Raises
    ------
    CandleDataError
        One line naming the file, the line and the column.
    """
    file = Path(path)
    if format not in FORMATS:
        raise CandleDataError(f"unknown format {format!r} (known: {', '.join(FORMATS)})")
    tf = Timeframe.parse(timeframe) if timeframe is not None else None
    text = read_text(file)
    kind = detect_format(text) if format == "auto" else format
    if tz is not None and kind in ("histdata", "dukascopy"):
        raise CandleDataError(f"{file}: --tz does not apply to {kind} files (their zone is fixed)")
    loaders: dict[str, Callable[[], pd.DataFrame]] = {
        "csv": lambda: load_csv(file, timeframe=tf, tz=tz, repair=repair, text=text),
        "histdata": lambda: load_histdata(
            file, timeframe=tf or Timeframe.M1, repair=repair, text=text
        ),
        "mt4": lambda: load_metatrader(file, timeframe=tf, tz=tz, repair=repair, text=text),
        "dukascopy": lambda: load_dukascopy(file, timeframe=tf, repair=repair, text=text),
    }
    return loaders[kind]()
