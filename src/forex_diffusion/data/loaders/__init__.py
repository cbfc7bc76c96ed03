"""Candle file loaders and format detection.

``load_candles(path, format="auto")`` picks the loader: HistData ASCII, MetaTrader history
export, Dukascopy-style export, or the generic CSV loader for anything else with a header.
``open_candles`` reads the same files chunk by chunk (``fxd data import``: memory bounded by a
chunk, whatever the file's size), with the same checks and the same errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import format_ts
from forex_diffusion.data.loaders.dukascopy import HEADERS as DUKASCOPY_HEADERS
from forex_diffusion.data.loaders.dukascopy import load_dukascopy
from forex_diffusion.data.loaders.generic_csv import load_csv
from forex_diffusion.data.loaders.histdata import load_histdata
from forex_diffusion.data.loaders.metatrader import load_metatrader
from forex_diffusion.data.loaders.table import (
    CHUNK_ROWS,
    first_data_line,
    read_text,
    text_chunks,
)
from forex_diffusion.data.spacing import infer_timeframe

__all__ = [
    "FORMATS",
    "CandleStream",
    "FileFormat",
    "detect_format",
    "load_candles",
    "load_csv",
    "load_dukascopy",
    "load_histdata",
    "load_metatrader",
    "open_candles",
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
    tf = Timeframe.parse(timeframe) if timeframe is not None else None
    text = read_text(file)
    kind = _kind(file, format, text, tz)
    return _loader(file, kind, tf, tz, repair)(text, 0)


Loader = Callable[[str, int], pd.DataFrame]
"""A format's loader of one text (the file, or a chunk with its skipped lines)."""


def _kind(file: Path, format: str, text: str, tz: str | None) -> str:
    if format not in FORMATS:
        raise CandleDataError(f"unknown format {format!r} (known: {', '.join(FORMATS)})")
    kind = detect_format(text) if format == "auto" else format
    if tz is not None and kind in ("histdata", "dukascopy"):
        raise CandleDataError(f"{file}: --tz does not apply to {kind} files (their zone is fixed)")
    return kind


def _loader(file: Path, kind: str, tf: Timeframe | None, tz: str | None, repair: bool) -> Loader:
    loaders: dict[str, Loader] = {
        "csv": lambda text, skip: load_csv(
            file, timeframe=tf, tz=tz, repair=repair, text=text, skipped_lines=skip
        ),
        "histdata": lambda text, skip: load_histdata(
            file, timeframe=tf or Timeframe.M1, repair=repair, text=text, skipped_lines=skip
        ),
        "mt4": lambda text, skip: load_metatrader(
            file, timeframe=tf, tz=tz, repair=repair, text=text, skipped_lines=skip
        ),
        "dukascopy": lambda text, skip: load_dukascopy(
            file, timeframe=tf, repair=repair, text=text, skipped_lines=skip
        ),
    }
    return loaders[kind]


class CandleStream:
    """A candle file read chunk by chunk: iterate for validated candle frames of at most
    ``rows`` bars, in file order. The first chunk is read on opening, so :attr:`timeframe`
    (given, or inferred from the first chunk's spacing) and :attr:`format` are known at once.
    Across chunks the times must keep increasing and keep at least one bar apart (the error
    names the file line). ``repair`` sorts the whole file, so it reads the file at once."""

    def __init__(
        self,
        path: str | Path,
        *,
        format: str = "auto",
        timeframe: Timeframe | str | None = None,
        tz: str | None = None,
        repair: bool = False,
        rows: int = CHUNK_ROWS,
    ) -> None:
        self.path = Path(path)
        given = Timeframe.parse(timeframe) if timeframe is not None else None
        header = True
        if repair:
            self._texts: Iterator[tuple[str, int]] = iter([(read_text(self.path), 0)])
        else:
            self._texts = text_chunks(self.path, header=True, rows=rows)
        first_text, first_skip = next(self._texts)
        self.format = _kind(self.path, format, first_text, tz)
        if self.format in ("histdata", "mt4"):  # no header line: chunk without one
            header = False
            if not repair:
                self._texts = text_chunks(self.path, header=header, rows=rows)
                first_text, first_skip = next(self._texts)
        first = _loader(self.path, self.format, given, tz, repair)(first_text, first_skip)
        inferred = given or infer_timeframe(pd.DatetimeIndex(first.index))
        if inferred is None:
            raise CandleDataError(
                f"{self.path}: cannot infer the timeframe from the bar spacing; pass --timeframe"
            )
        self.timeframe: Timeframe = inferred
        self._load = _loader(self.path, self.format, self.timeframe, tz, repair)
        if given is None:  # the first chunk's spacing checked as every other chunk's
            first = self._load(first_text, first_skip)
        self._first: pd.DataFrame | None = first
        self._header = header

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self._first is None:
            raise RuntimeError("a CandleStream is read once")
        frame, self._first = self._first, None
        step = pd.Timedelta(self.timeframe.delta)
        previous = frame.index[-1]
        yield frame
        for text, skipped in self._texts:
            frame = self._load(text, skipped)
            begin = frame.index[0]
            if begin - previous < step:
                line = first_data_line(text, skipped, header=self._header)
                self._boundary_error(line, begin, previous)
            previous = frame.index[-1]
            yield frame

    def _boundary_error(self, line: int, begin: pd.Timestamp, previous: pd.Timestamp) -> None:
        what = (
            "not after the bar before it (the file is not in time order or repeats a time; "
            "--repair sorts it and drops duplicates)"
            if begin <= previous
            else f"less than one {self.timeframe.value} bar after the bar before it"
        )
        raise CandleDataError(
            f"{self.path}: line {line}, column 'time': {format_ts(begin)} is {what} "
            f"({format_ts(previous)})"
        )


def open_candles(
    path: str | Path,
    *,
    format: str = "auto",
    timeframe: Timeframe | str | None = None,
    tz: str | None = None,
    repair: bool = False,
    rows: int = CHUNK_ROWS,
) -> CandleStream:
    """A :class:`CandleStream` of the file (the arguments of :func:`load_candles`)."""
    return CandleStream(path, format=format, timeframe=timeframe, tz=tz, repair=repair, rows=rows)
