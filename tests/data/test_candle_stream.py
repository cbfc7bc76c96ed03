"""``open_candles`` reads a file chunk by chunk into exactly what ``load_candles`` reads at once,
with the same errors naming the same file lines, and catches disorder across chunks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.core import CandleDataError, Timeframe
from forex_diffusion.data import load_candles, load_sample
from forex_diffusion.data.loaders import open_candles

FIXTURES = [
    ("dukascopy_eurusd_h1.csv", Timeframe.H1),
    ("histdata_eurusd_m1_dst.csv", Timeframe.M1),
    ("mt4_eurusd_h1.csv", Timeframe.H1),
    ("generic_usdjpy_m15_epoch_ms.csv", Timeframe.M15),
    ("generic_gbpusd_h4_iso_semicolon.csv", Timeframe.H4),
    ("mt5_eurusd_d1_tab.csv", Timeframe.D1),
]


@pytest.mark.parametrize(("name", "tf"), FIXTURES)
def test_chunks_of_every_format_equal_the_whole_file(
    fixtures_dir: Path, name: str, tf: Timeframe
) -> None:
    path = fixtures_dir / name
    stream = open_candles(path, rows=4)
    assert stream.timeframe is tf
    frames = list(stream)
    assert len(frames) >= 2
    pd.testing.assert_frame_equal(pd.concat(frames), load_candles(path))


def _sample_csv(path: Path, bars: int = 500) -> pd.DataFrame:
    candles = load_sample().iloc[:bars]
    frame = candles.copy()
    frame.index.name = "time"
    frame.to_csv(path)
    return candles


def test_a_long_file_streams_in_bounded_chunks_and_a_short_tail_joins_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h1.csv"
    candles = _sample_csv(path, 523)  # 524 lines: 5 chunks of 100 and 24 joined to the last
    frames = list(open_candles(path, rows=100))
    assert [len(f) for f in frames] == [99, 100, 100, 100, 124]
    pd.testing.assert_frame_equal(pd.concat(frames), candles, check_freq=False)


def test_an_error_in_a_later_chunk_names_the_same_line_as_reading_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    _sample_csv(path, 300)
    lines = path.read_text().splitlines()
    lines[250] = lines[250].rsplit(",", 1)[0] + ",oops"  # line 251: the volume
    lines.insert(120, "")  # a blank line before it: line numbers still count it
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CandleDataError) as whole:
        load_candles(path)
    with pytest.raises(CandleDataError) as chunked:
        list(open_candles(path, rows=50))
    assert str(chunked.value) == str(whole.value)
    assert "bad.csv: line 252, column 'volume': 'oops' is not a number" in str(whole.value)


def test_disorder_across_chunks_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "unsorted.csv"
    _sample_csv(path, 200)
    lines = path.read_text().splitlines()
    lines.insert(101, lines[100])  # line 102 repeats line 101's bar: the next chunk's first
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CandleDataError, match=r"unsorted.csv: line 102, column 'time'"):
        load_candles(path)
    with pytest.raises(CandleDataError, match=r"unsorted.csv: line 102, column 'time': .*--repair"):
        list(open_candles(path, rows=101))
    repaired = pd.concat(open_candles(path, rows=101, repair=True))
    assert repaired.index.is_monotonic_increasing and len(repaired) == 200


def test_an_unknown_timeframe_and_an_empty_file_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(CandleDataError, match=r"empty.csv: empty file"):
        open_candles(empty)
    one = tmp_path / "one.csv"
    one.write_text("time,open,high,low,close\n2017-01-03 00:00,1,2,1,1.5\n")
    with pytest.raises(CandleDataError, match=r"one.csv: cannot infer the timeframe"):
        open_candles(one)
    assert len(pd.concat(open_candles(one, timeframe="H1"))) == 1


@pytest.mark.parametrize("line", [10, 160])
def test_the_inferred_timeframe_checks_the_first_chunk_as_the_others(
    tmp_path: Path, line: int
) -> None:
    """An H1 bar moved to 30 past is refused in the first chunk as in the third, with the
    message of the whole file read at once (the bar after it is the one too close)."""
    path = tmp_path / "offgrid.csv"
    _sample_csv(path, 200)
    lines = path.read_text().splitlines()
    stamp, rest = lines[line - 1].split(",", 1)
    lines[line - 1] = stamp.replace(":00:00", ":30:00") + "," + rest
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CandleDataError) as whole:
        load_candles(path, timeframe="H1")
    with pytest.raises(
        CandleDataError, match=rf"offgrid.csv: line {line + 1}, column 'time'"
    ) as got:
        list(open_candles(path, rows=70))
    assert str(got.value) == str(whole.value)
