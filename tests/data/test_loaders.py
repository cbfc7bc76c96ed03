from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import Timeframe
from forex_diffusion.data import (
    detect_format,
    infer_timeframe,
    load_candles,
    load_csv,
    load_dukascopy,
    load_histdata,
    load_metatrader,
    load_sample,
)
from forex_diffusion.data.loaders.table import read_text


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("name", "fmt", "rows", "tf", "first"),
    [
        ("dukascopy_eurusd_h1.csv", "dukascopy", 48, Timeframe.H1, "2017-01-01 22:00"),
        ("histdata_eurusd_m1_dst.csv", "histdata", 12, Timeframe.M1, "2017-03-10 21:50"),
        ("mt4_eurusd_h1.csv", "mt4", 24, Timeframe.H1, "2017-01-02 00:00"),
        ("generic_usdjpy_m15_epoch_ms.csv", "csv", 16, Timeframe.M15, "2017-01-03 08:00"),
        ("generic_gbpusd_h4_iso_semicolon.csv", "csv", 12, Timeframe.H4, "2017-01-03 00:00"),
        ("mt5_eurusd_d1_tab.csv", "csv", 10, Timeframe.D1, "2017-01-02 00:00"),
    ],
)
def test_each_fixture_loads_with_auto_detection(
    fixtures_dir: Path, name: str, fmt: str, rows: int, tf: Timeframe, first: str
) -> None:
    path = fixtures_dir / name
    assert detect_format(read_text(path)) == fmt
    candles = load_candles(path)
    assert len(candles) == rows
    assert candles.index[0] == utc(first)
    assert infer_timeframe(candles.index) is tf
    explicit = load_candles(path, format=fmt, timeframe=tf)
    pd.testing.assert_frame_equal(candles, explicit)


def test_dukascopy_fixture_equals_the_bundled_sample(fixtures_dir: Path) -> None:
    head = load_dukascopy(fixtures_dir / "dukascopy_eurusd_h1.csv")
    pd.testing.assert_frame_equal(head, load_sample("EURUSD", "H1").iloc[:48])


def test_histdata_is_est_all_year_across_the_dst_change(fixtures_dir: Path) -> None:
    candles = load_histdata(fixtures_dir / "histdata_eurusd_m1_dst.csv")
    raw = pd.read_csv(fixtures_dir / "histdata_eurusd_m1_dst.csv", sep=";", header=None)
    est = pd.to_datetime(raw[0], format="%Y%m%d %H%M%S")
    # 16:50 EST on Friday 10 March and 17:00 EST on Sunday 12 March (after the US switch to
    # EDT): both are exactly 5 hours behind UTC
    assert candles.index[0] == utc("2017-03-10 21:50")
    assert candles.index[6] == utc("2017-03-12 22:00")
    assert (
        (candles.index.tz_localize(None) - pd.DatetimeIndex(est)) == pd.Timedelta(hours=5)
    ).all()
    assert candles["close"].iloc[0] == pytest.approx(raw[4].iloc[0])


def test_metatrader_server_time_zone(fixtures_dir: Path) -> None:
    path = fixtures_dir / "mt4_eurusd_h1.csv"
    utc_bars = load_metatrader(path)
    helsinki = load_metatrader(path, tz="Europe/Helsinki")  # UTC+2 in January
    assert helsinki.index[0] == utc("2017-01-01 22:00")
    assert (utc_bars.index - helsinki.index == pd.Timedelta(hours=2)).all()
    assert utc_bars["volume"].iloc[0] == 2498.0


def test_generic_csv_offsets_volume_and_mt5_columns(fixtures_dir: Path) -> None:
    iso = load_csv(fixtures_dir / "generic_gbpusd_h4_iso_semicolon.csv")
    assert (iso["volume"] == 0).all()
    mt5 = load_csv(fixtures_dir / "mt5_eurusd_d1_tab.csv")
    assert mt5["volume"].iloc[0] == 67174.0  # <TICKVOL>, not the empty <VOL>
    jpy = load_csv(fixtures_dir / "generic_usdjpy_m15_epoch_ms.csv")
    assert jpy["open"].iloc[0] == 117.5


@pytest.mark.parametrize(
    ("header", "stamp", "expected"),
    [
        ("time", "1483401600", "2017-01-03 00:00"),  # epoch seconds
        ("ts_utc", "1483401600000", "2017-01-03 00:00"),  # epoch milliseconds
        ("Timestamp", "1483401600000000", "2017-01-03 00:00"),  # epoch microseconds
        ("datetime", "2017-01-03 00:00:00", "2017-01-03 00:00"),  # ISO, naive = UTC
        ("time", "2017-01-03T01:00:00+01:00", "2017-01-03 00:00"),  # ISO with offset
        ("Gmt time", "03.01.2017 00:00:00.000", "2017-01-03 00:00"),
        ("Date", "2017.01.03 00:00", "2017-01-03 00:00"),
        ("date", "20170103 000000", "2017-01-03 00:00"),
    ],
)
def test_generic_time_layouts(tmp_path: Path, header: str, stamp: str, expected: str) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(f"{header},o,h,l,c,v\n{stamp},1.1,1.2,1.0,1.15,7\n")
    candles = load_candles(path, format="csv")
    assert candles.index[0] == utc(expected)
    assert candles["volume"].iloc[0] == 7.0


def test_naive_times_in_a_named_zone(tmp_path: Path) -> None:
    path = tmp_path / "ny.csv"
    path.write_text("time,open,high,low,close\n2017-07-03 09:00,1.1,1.2,1.0,1.15\n")
    candles = load_candles(path, tz="America/New_York")
    assert candles.index[0] == utc("2017-07-03 13:00")


def test_repair_sorts_and_deduplicates(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(
        "time,open,high,low,close\n"
        "2017-01-03 02:00,1.1,1.2,1.0,1.15\n"
        "2017-01-03 00:00,1.1,1.2,1.0,1.15\n"
        "2017-01-03 01:00,1.1,1.2,1.0,1.15\n"
        "2017-01-03 01:00,1.1,1.3,1.0,1.25\n"
    )
    candles = load_candles(path, repair=True, timeframe="H1")
    assert list(candles.index.hour) == [0, 1, 2]
    assert candles["close"].iloc[1] == 1.25  # the last duplicate wins
    assert np.isfinite(candles.to_numpy()).all()


def test_blank_lines_keep_line_numbers_right(tmp_path: Path) -> None:
    path = tmp_path / "gappy.csv"
    path.write_text(
        "\ntime,open,high,low,close\n2017-01-03 00:00,1,2,1,1.5\n\n2017-01-03 01:00,1,2,1,oops\n"
    )
    with pytest.raises(Exception, match=r"gappy.csv: line 5, column 'close': 'oops'"):
        load_candles(path)
