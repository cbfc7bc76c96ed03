"""Reading candle files as text tables, with every error naming the file, line and column.

Each loader turns a file into a :class:`TextTable` (all fields as strings, plus the file line of
each row), converts its fields with :func:`parse_numbers` and :func:`parse_times`, and finishes
with :func:`build_candles`, which validates the candle contract and maps any failing row back to
its line in the file.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import CandleDataError
from forex_diffusion.core.types import Timeframe
from forex_diffusion.data.candles import format_ts, index_ns, validate_candles
from forex_diffusion.data.spacing import check_spacing

__all__ = [
    "CHUNK_ROWS",
    "TextTable",
    "build_candles",
    "first_data_line",
    "parse_numbers",
    "parse_times",
    "read_text",
    "read_text_table",
    "resolve_tz",
    "text_chunks",
]

_NAN_SPELLINGS = {"nan", "+nan", "-nan"}


CHUNK_ROWS = 50_000
"""Lines per chunk of :func:`text_chunks` (about 5 MB of text for M1 bars)."""


def _open_checked(path: Path) -> tuple[bytes, str]:
    """The file's first 64 KiB and its encoding; missing, unreadable, binary and empty files
    are one-line errors."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except FileNotFoundError:
        raise CandleDataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CandleDataError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise CandleDataError(f"{path}: cannot read file: {exc.strerror}") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # MetaTrader 5 exports UTF-16
        return head, "utf-16"
    if b"\x00" in head:
        raise CandleDataError(f"{path}: not a text file (binary data at byte {head.index(0)})")
    return head, "utf-8-sig"


def _line_chunks(path: Path, encoding: str, rows: int) -> Iterator[tuple[int, list[str]]]:
    """(lines before, lines) of about ``rows`` lines each; a short last chunk joins the one
    before it, so no chunk's spacing is judged on a handful of bars."""
    with path.open(encoding=encoding, newline="") as handle:
        start, pending = 0, None
        while True:
            try:
                lines = list(itertools.islice(handle, rows))
            except UnicodeDecodeError:
                raise CandleDataError(
                    f"{path}: not a text file (undecodable byte at or after line {start + 1})"
                ) from None
            if pending is not None and (not lines or len(lines) < rows // 2):
                yield pending[0], pending[1] + lines
                return
            if pending is not None:
                yield pending
            if not lines:
                return
            pending = (start, lines)
            start += len(lines)


def text_chunks(path: Path, *, header: bool, rows: int = CHUNK_ROWS) -> Iterator[tuple[str, int]]:
    """The file as texts of about ``rows`` lines, read as it goes (bounded memory), each with
    the ``skipped_lines`` of :func:`read_text_table`: the first chunk is the file's start;
    with a ``header`` every later one starts with the header line. Chunks holding only blank
    lines are left out; errors as :func:`read_text`."""
    _, encoding = _open_checked(path)
    head_line: str | None = None
    yielded = False
    for start, lines in _line_chunks(path, encoding, rows):
        if not any(ln.strip() for ln in lines):
            continue  # blank lines only (before the header, or between bars)
        if not yielded:
            yielded = True
            if header:
                head_line = next(ln for ln in lines if ln.strip()).rstrip("\r\n")
            yield "".join(lines), start
        elif head_line is not None:
            yield head_line + "\n" + "".join(lines), start - 1
        else:
            yield "".join(lines), start
    if not yielded:
        raise CandleDataError(f"{path}: empty file")


def first_data_line(text: str, skipped: int, *, header: bool) -> int:
    """The file line of the first data row of a :func:`text_chunks` chunk."""
    lines = text.splitlines()
    body = 0
    if header:
        body = next(i for i, ln in enumerate(lines) if ln.strip()) + 1
    while body < len(lines) and not lines[body].strip():
        body += 1
    return skipped + body + 1


def read_text(path: Path) -> str:
    """The file's text; empty, unreadable and binary files are one-line errors."""
    _, encoding = _open_checked(path)
    try:
        text = path.read_bytes().decode(encoding)
    except OSError as exc:
        raise CandleDataError(f"{path}: cannot read file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise CandleDataError(
            f"{path}: not a text file (undecodable byte at offset {exc.start})"
        ) from None
    if not text.strip():
        raise CandleDataError(f"{path}: empty file")
    return text


@dataclass(frozen=True, slots=True)
class TextTable:
    """A delimited file read as strings.

    Attributes
    ----------
    path
        The file, for messages.
    frame
        One string column per field (header names, or 0, 1, ... without a header).
    lines
        1-based line number in the file of each row of ``frame``.
    """

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray

    def error(self, row: int | None, column: str | None, reason: str) -> CandleDataError:
        """A ``CandleDataError`` for row position ``row`` (in ``frame``) and ``column``."""
        parts = [str(self.path)]
        if row is not None:
            parts.append(f"line {int(self.lines[row])}")
        if column is not None:
            parts.append(f"column '{column}'")
        head = parts[0] + (": " + ", ".join(parts[1:]) if len(parts) > 1 else "")
        return CandleDataError(f"{head}: {reason}", position=row, column=column, reason=reason)


def read_text_table(
    path: Path,
    text: str,
    *,
    sep: str,
    header: bool,
    expected_fields: int | None = None,
    skipped_lines: int = 0,
) -> TextTable:
    """Parse ``text`` into a :class:`TextTable`; blank lines are skipped, ragged rows are errors.
    ``skipped_lines``: file lines between ``text``'s header (or start) and its first data line,
    for a chunk of :func:`text_chunks` (the line numbers name the file's lines)."""
    header_lines = 1 if header else 0
    first = text.lstrip("\r\n").splitlines()[0]
    leading_blank = len(text) - len(text.lstrip("\r\n"))
    offset = text[:leading_blank].count("\n") + skipped_lines
    try:
        frame = pd.read_csv(
            io.StringIO(text.lstrip("\r\n")),
            sep=sep,
            header=0 if header else None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as exc:
        raise CandleDataError(f"{path}: {_parser_message(str(exc), offset)}") from None
    except pd.errors.EmptyDataError:
        raise CandleDataError(f"{path}: empty file") from None
    frame = frame.fillna("")
    lines = np.arange(len(frame)) + 1 + header_lines + offset
    blank = (frame == "").all(axis=1).to_numpy()
    frame = frame.loc[~blank].reset_index(drop=True)
    lines = lines[~blank]
    if frame.empty:
        raise CandleDataError(f"{path}: no data rows after the header")
    if expected_fields is not None and frame.shape[1] != expected_fields:
        seen = len(first.split(sep))
        raise CandleDataError(
            f"{path}: line {offset + 1}: expected {expected_fields} fields separated by "
            f"{_sep_name(sep)}, found {seen} (wrong delimiter or wrong --format?)"
        )
    return TextTable(path=path, frame=frame, lines=lines)


def _sep_name(sep: str) -> str:
    return {"\t": "tabs", ",": "commas", ";": "semicolons"}.get(sep, repr(sep))


def _parser_message(message: str, offset: int) -> str:
    # pandas: "Error tokenizing data. C error: Expected 6 fields in line 5, saw 7"
    text = message.strip().split("C error: ")[-1]
    if offset and " line " in text:
        head, _, tail = text.partition(" line ")
        num, _, rest = tail.partition(",")
        if num.strip().isdigit():
            text = f"{head} line {int(num) + offset},{rest}"
    return text


def parse_numbers(table: TextTable, columns: Mapping[str, str | int]) -> dict[str, np.ndarray]:
    """Convert fields to float64: ``{canonical_name: field}``; text in a number is an error."""
    out: dict[str, np.ndarray] = {}
    for name, field in columns.items():
        series = table.frame[field].str.strip()
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
        bad = np.isnan(values) & ~series.str.lower().isin(_NAN_SPELLINGS).to_numpy()
        if bad.any():
            pos = int(np.argmax(bad))
            raw = series.iloc[pos]
            reason = "empty value" if raw == "" else f"{raw!r} is not a number"
            raise table.error(pos, name, reason)
        out[name] = values
    return out


def resolve_tz(tz: str | None) -> ZoneInfo | None:
    """A time zone by IANA name (``None`` or ``UTC`` mean UTC); unknown names are errors."""
    if tz is None or tz.upper() in {"UTC", "Z", "GMT"}:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CandleDataError(
            f"unknown time zone {tz!r} (use an IANA name such as 'Europe/Helsinki')"
        ) from None


def parse_times(
    table: TextTable,
    values: pd.Series,
    *,
    formats: Sequence[str],
    column: str,
    tz: str | None = None,
    shift: pd.Timedelta | None = None,
) -> pd.DatetimeIndex:
    """Parse bar times with the first of ``formats`` that fits the first row.

    Naive times are taken in ``tz`` (UTC by default) and ``shift`` is added before conversion
    (HistData's fixed EST is ``tz=None, shift=+5h``). Epoch numbers are recognised by
    ``formats`` entries ``"epoch"`` (s, ms, us or ns chosen by magnitude).
    """
    text = values.str.strip()
    sample = text.iloc[0]
    zone = resolve_tz(tz)
    for fmt in formats:
        parsed = _try_format(text, sample, fmt, utc=zone is None)
        if parsed is None:
            continue
        bad = parsed.isna().to_numpy()
        if bad.any():
            pos = int(np.argmax(bad))
            raise table.error(pos, column, f"{text.iloc[pos]!r} is not a time in {_fmt_name(fmt)}")
        index = pd.DatetimeIndex(parsed)
        if shift is not None:
            index = index + shift
        if index.tz is None:
            try:
                index = index.tz_localize(zone or "UTC", ambiguous="raise", nonexistent="raise")
            except (ValueError, TypeError) as exc:  # pytz/zoneinfo DST errors
                raise table.error(None, column, f"time not valid in {tz}: {exc}") from None
        return index.tz_convert("UTC")
    raise table.error(
        0,
        column,
        f"{sample!r} is not a time in any known format "
        f"({', '.join(_fmt_name(f) for f in formats)})",
    )


def _fmt_name(fmt: str) -> str:
    return {"epoch": "epoch seconds/milliseconds", "ISO8601": "ISO 8601"}.get(fmt, fmt)


def _try_format(text: pd.Series, sample: str, fmt: str, *, utc: bool) -> pd.Series | None:
    if fmt == "epoch":
        numbers = pd.to_numeric(text, errors="coerce")
        first = float(numbers.iloc[0])
        if not np.isfinite(first) or abs(first) < 1e8:  # 1e8 s is 1973; 20170102 is a date
            return None
        magnitude = float(np.nanmax(np.abs(numbers.to_numpy(dtype=float))))
        unit: Literal["ns", "us", "ms", "s"] = "s"
        for name, above in (("ns", 1e17), ("us", 1e14), ("ms", 1e11)):
            if magnitude > above:
                unit = name  # type: ignore[assignment]
                break
        return pd.Series(pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce"))
    try:
        pd.to_datetime(pd.Series([sample]), format=fmt, utc=utc)
    except (ValueError, TypeError):
        return None
    parsed: pd.Series = pd.to_datetime(text, format=fmt, utc=utc, errors="coerce")
    return parsed


def build_candles(
    table: TextTable,
    index: pd.DatetimeIndex,
    numbers: Mapping[str, np.ndarray],
    *,
    timeframe: Timeframe | None = None,
    repair: bool = False,
) -> pd.DataFrame:
    """Assemble, optionally repair, and validate candles; errors name the file line."""
    frame = pd.DataFrame(dict(numbers), index=index)
    lines = table.lines
    if repair:
        order = np.argsort(index_ns(index), kind="stable")
        frame, lines = frame.iloc[order], lines[order]
        keep = ~frame.index.duplicated(keep="last")
        frame, lines = frame.loc[keep], lines[keep]
    located = TextTable(path=table.path, frame=table.frame, lines=lines)
    try:
        candles = validate_candles(frame)
        if timeframe is not None:
            check_spacing(pd.DatetimeIndex(candles.index), timeframe)
    except CandleDataError as exc:
        if exc.position is None:
            raise CandleDataError(f"{table.path}: {exc}") from None
        stamp = format_ts(frame.index[exc.position])
        raise located.error(exc.position, exc.column, f"{exc.reason} (time {stamp})") from None
    return candles
