"""Each malformed-file case of the foundation issue: one line naming file, line and column."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from forex_diffusion.core import CandleDataError
from forex_diffusion.data import load_candles

GOOD = [
    "Time,Open,High,Low,Close,Volume",
    "02.01.2017 00:00:00.000,1.05283,1.05283,1.05268,1.05281,131",
    "02.01.2017 01:00:00.000,1.05282,1.05286,1.05225,1.05240,273",
    "02.01.2017 02:00:00.000,1.05239,1.05244,1.05198,1.05218,214",
    "02.01.2017 03:00:00.000,1.05219,1.05222,1.05164,1.05183,150",
]


def write(tmp_path: Path, lines: list[str] | bytes, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text("\n".join(lines) + "\n")
    return path


def edit(line: int, field: int, value: str) -> list[str]:
    """GOOD with one field of file line ``line`` (1-based) replaced."""
    rows = [r.split(",") for r in GOOD]
    rows[line - 1][field] = value
    return [",".join(r) for r in rows]


CASES = [
    ("text in numbers", edit(4, 4, "abc"), r"line 4, column 'close': 'abc' is not a number"),
    ("NaN", edit(3, 4, "NaN"), r"line 3, column 'close': value is not finite"),
    ("inf", edit(2, 2, "inf"), r"line 2, column 'high': value is not finite"),
    ("negative price", edit(5, 3, "-1.05"), r"line 5, column 'low': price must be > 0"),
    ("zero price", edit(3, 1, "0"), r"line 3, column 'open': price must be > 0"),
    ("high < low", edit(4, 2, "1.05000"), r"line 4, column 'high': high is below low"),
    ("empty field", edit(2, 5, ""), r"line 2, column 'volume': empty value"),
    (
        "duplicated time",
        edit(4, 0, "02.01.2017 01:00:00.000"),
        r"line 4, column 'time': timestamp duplicated",
    ),
    (
        "unsorted time",
        edit(3, 0, "02.01.2017 05:00:00.000"),
        r"line 4, column 'time': timestamp out of order",
    ),
    (
        "bad time",
        edit(3, 0, "45.13.2017 00:00:00.000"),
        r"line 3, column 'Time': '45.13.2017 00:00:00.000' is not a time",
    ),
    (
        "missing column",
        [",".join(r.split(",")[:4] + r.split(",")[5:]) for r in GOOD],
        r"line 1: header .* lacks close",
    ),
    ("ragged row", [*GOOD[:3], GOOD[3] + ",99", GOOD[4]], r"Expected 6 fields in line 4, saw 7"),
    (
        "wrong delimiter",
        [r.replace(",", "|") for r in GOOD],
        r"line 1: header .* single column; .*wrong delimiter",
    ),
    ("header only", GOOD[:1], r"no data rows after the header"),
    ("empty file", b"", r"empty file"),
    ("blank file", b"\n \n\n", r"empty file"),
    ("binary garbage", b"\x89PNG\r\n\x1a\n\x00\x00" + os.urandom(64), r"not a text file"),
    ("undecodable text", b"Time,Open\n\xe9\xe8,1\n", r"not a text file \(undecodable byte"),
]


@pytest.mark.parametrize(("case", "content", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_gives_one_line_error_naming_file_line_column(
    tmp_path: Path, case: str, content: list[str] | bytes, pattern: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(CandleDataError) as info:
        load_candles(path)
    message = str(info.value)
    assert "\n" not in message, case
    assert message.startswith(str(path)), message
    assert re.search(pattern, message), message


def test_wrong_format_for_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, ["2017.01.02;00:00;1.1;1.2;1.0;1.15;10"])
    with pytest.raises(CandleDataError, match=r"line 1: expected 7 fields separated by commas"):
        load_candles(path, format="mt4")
    with pytest.raises(CandleDataError, match=r"lacks a Time/Gmt time/Local time column"):
        load_candles(write(tmp_path, ["a,b,c,d,e,f", "1,2,3,4,5,6"], "x.csv"), format="dukascopy")


def test_timeframe_that_contradicts_the_spacing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(
        CandleDataError,
        match=r"line 3, column 'time': bars only 1h "
        r"apart, less than one H4 bar; the data looks like H1",
    ):
        load_candles(path, timeframe="H4")
    with pytest.raises(CandleDataError, match=r"most common spacing is 1h, not one M1 bar"):
        load_candles(path, timeframe="M1")
    off_grid = [GOOD[0]] + [r.replace(":00:00.000", ":30:00.000") for r in GOOD[1:]]
    with pytest.raises(CandleDataError, match=r"line 2, column 'time': not on the H1 grid"):
        load_candles(write(tmp_path, off_grid, "grid.csv"), timeframe="H1")


def test_missing_file_unknown_format_and_bad_zone(tmp_path: Path) -> None:
    with pytest.raises(CandleDataError, match="file not found"):
        load_candles(tmp_path / "nope.csv")
    with pytest.raises(CandleDataError, match="unknown format 'xls'"):
        load_candles(write(tmp_path, GOOD), format="xls")
    with pytest.raises(CandleDataError, match="unknown time zone 'Mars/Olympus'"):
        load_candles(write(tmp_path, GOOD), format="csv", tz="Mars/Olympus")
    with pytest.raises(CandleDataError, match="--tz does not apply to dukascopy"):
        load_candles(write(tmp_path, GOOD), tz="Europe/Helsinki")
