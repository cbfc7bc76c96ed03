from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core import CandleDataError, ConfigError, ConflictError
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, Store


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample("EURUSD", "H1")


def test_round_trip_is_exact(store: Store, sample: pd.DataFrame) -> None:
    repo = CandleRepository(store)
    result = repo.upsert("EUR/USD", "1h", sample)
    assert (result.inserted, result.updated, result.unchanged) == (len(sample), 0, 0)
    pd.testing.assert_frame_equal(repo.load("EURUSD", "H1"), sample)


def test_upsert_is_idempotent_and_updates_changed_bars(store: Store, sample: pd.DataFrame) -> None:
    repo = CandleRepository(store)
    part = sample.iloc[:500]
    repo.upsert("EURUSD", "H1", part)
    again = repo.upsert("EURUSD", "H1", part)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 500)
    changed = part.copy()
    changed.iloc[10, changed.columns.get_loc("close")] = changed["close"].iloc[10] + 1e-5
    grown = pd.concat([changed, sample.iloc[500:510]])
    result = repo.upsert("EURUSD", "H1", grown)
    assert (result.inserted, result.updated, result.unchanged) == (10, 1, 499)
    assert repo.load("EURUSD", "H1")["close"].iloc[10] == changed["close"].iloc[10]
    assert repo.series()[0].bars == 510


def test_failed_import_writes_nothing(store: Store, sample: pd.DataFrame) -> None:
    repo = CandleRepository(store)
    written: list[int] = []

    def crash_after_first_chunk(n: int) -> None:
        written.append(n)
        if len(written) == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        repo.upsert("EURUSD", "H1", sample, chunk_size=1000, on_progress=crash_after_first_chunk)
    assert written == [1000, 1000]  # two chunks were sent before the failure...
    assert repo.series() == []  # ...and rolled back with it

    bad = sample.iloc[:20].copy()
    bad.iloc[15, bad.columns.get_loc("low")] = -1.0
    with pytest.raises(CandleDataError, match="row 15"):
        repo.upsert("EURUSD", "H1", bad)
    assert repo.series() == []


def test_load_ranges_series_and_delete(store: Store, sample: pd.DataFrame) -> None:
    repo = CandleRepository(store)
    repo.upsert("EURUSD", "H1", sample.iloc[:300])
    repo.upsert("USDJPY", "H1", sample.iloc[:10] * [100, 100, 100, 100, 1])
    last = repo.load("EURUSD", "H1", last=5)
    pd.testing.assert_frame_equal(last, sample.iloc[295:300])
    window = repo.load("EURUSD", "H1", start=sample.index[10], end=sample.index[20])
    pd.testing.assert_frame_equal(window, sample.iloc[10:21])
    assert repo.load("GBPUSD", "H1").empty
    summary = {(s.symbol, s.timeframe): s for s in repo.series()}
    assert summary["EURUSD", "H1"].bars == 300
    assert summary["EURUSD", "H1"].first == sample.index[0]
    assert summary["EURUSD", "H1"].last == sample.index[299]
    assert summary["USDJPY", "H1"].bars == 10
    assert repo.timestamps("EURUSD", "H1").equals(sample.index[:300])
    assert repo.delete("USDJPY", "H1") == 10
    assert [(s.symbol, s.timeframe) for s in repo.series()] == [("EURUSD", "H1")]


def _traded(store: Store, run_id: str, last: pd.Timestamp) -> None:
    """A run on EURUSD H1 that has processed the bars up to ``last``."""
    from forex_diffusion.storage import RunRepository
    from forex_diffusion.storage.models import to_ms

    runs = RunRepository(store)
    runs.create(kind="paper", config_hash="h", symbol="EURUSD", timeframe="H1", run_id=run_id)
    runs.update(run_id, last_bar_ts=to_ms(last))


def test_write_checks_the_timeframe_spacing(store: Store, sample: pd.DataFrame) -> None:
    """The live feed's write refuses what ``fxd data import --timeframe`` refuses: one bar off
    the H1 grid, bars closer than one bar; nothing is written."""
    repo = CandleRepository(store)
    repo.write("EURUSD", "H1", sample.iloc[:10])
    off = sample.iloc[10:11].copy()
    off.index = off.index + pd.Timedelta(minutes=30)
    with pytest.raises(CandleDataError, match=r"row 0 \(.*:30 UTC\), column 'time': not on"):
        repo.write("EURUSD", "H1", off)
    with pytest.raises(CandleDataError, match="bars only 30min apart, less than one H1 bar"):
        repo.write("EURUSD", "H1", pd.concat([sample.iloc[10:11], off]))
    assert repo.series()[0].bars == 10


def test_write_refuses_to_change_what_a_run_traded(store: Store, sample: pd.DataFrame) -> None:
    repo = CandleRepository(store)
    repo.write("EURUSD", "H1", sample.iloc[:100])
    assert repo.traded_up_to("EURUSD", "H1") is None
    _traded(store, "p1", sample.index[79])
    traded = repo.traded_up_to("EURUSD", "H1")
    assert traded is not None and (traded.run_id, traded.ts) == ("p1", sample.index[79])

    # resending identical bars changes nothing, wherever they are
    same = repo.write("EURUSD", "H1", sample.iloc[70:100])
    assert (same.inserted, same.updated, same.unchanged, same.corrected) == (0, 0, 30, 0)
    # bars after the traded one may change; at or before it, only as a correction
    later = sample.iloc[80:81].copy()
    later["close"] = later["high"]
    assert repo.write("EURUSD", "H1", later).updated == 1
    changed = sample.iloc[78:82].copy()
    changed.iloc[1, changed.columns.get_loc("close")] = changed["high"].iloc[1]
    with pytest.raises(ConflictError, match=r"row 1 \(.*\), column 'time': run p1 has traded"):
        repo.write("EURUSD", "H1", changed)
    assert repo.load("EURUSD", "H1").loc[sample.index[79], "close"] == sample["close"].iloc[79]
    with pytest.raises(ConfigError, match="reason"):
        repo.write("EURUSD", "H1", changed, reason="typo")

    fixed = repo.write("EURUSD", "H1", changed, correction=True, reason="broker re-sent")
    assert (fixed.updated, fixed.unchanged, fixed.corrected) == (2, 2, 2)
    assert repo.load("EURUSD", "H1").loc[sample.index[79], "close"] == changed["close"].iloc[1]
    recorded = repo.corrections("EURUSD", "H1")
    assert [r["time"] for r in recorded] == [
        sample.index[79].isoformat(),
        later.index[0].isoformat(),
    ]
    assert recorded[0]["old"]["close"] == sample["close"].iloc[79]
    assert recorded[0]["new"]["close"] == changed["close"].iloc[1]
    assert recorded[1]["old"]["close"] == later["close"].iloc[0]  # replaced back: recorded too
    assert recorded[0]["reason"] == "broker re-sent"
    # a correction that changes nothing records nothing
    again = repo.write("EURUSD", "H1", changed, correction=True)
    assert (again.unchanged, again.corrected) == (4, 0)
    assert len(repo.corrections("EURUSD", "H1")) == 2
    assert len(repo.corrections("EURUSD", "H1", last=1)) == 1


def test_a_correction_can_fill_a_gap_a_run_traded_over(store: Store, sample: pd.DataFrame) -> None:
    """A bar missing before the traded bar is new history for the run: refused as an append,
    recorded with ``old`` None as a correction, written in the same transaction."""
    repo = CandleRepository(store)
    repo.write("EURUSD", "H1", sample.iloc[:50].drop(sample.index[20]))
    _traded(store, "p2", sample.index[49])
    gap = sample.iloc[20:21]
    with pytest.raises(ConflictError, match="run p2"):
        repo.write("EURUSD", "H1", gap)
    assert len(repo.load("EURUSD", "H1")) == 49 and repo.corrections("EURUSD", "H1") == []
    filled = repo.write("EURUSD", "H1", gap, correction=True, reason="missing bar")
    assert (filled.inserted, filled.corrected) == (1, 1)
    assert repo.corrections("EURUSD", "H1")[0]["old"] is None
    pd.testing.assert_frame_equal(repo.load("EURUSD", "H1"), sample.iloc[:50])
    # new bars after the traded one are plain appends, also within a correction
    grown = repo.write("EURUSD", "H1", sample.iloc[50:52], correction=True)
    assert (grown.inserted, grown.corrected) == (2, 0)


def test_write_many_is_one_write_of_its_frames(store: Store, sample: pd.DataFrame) -> None:
    """Frames in time order are one transaction: counted together, rows counted from the first
    frame, and a failing later frame (a conflict, or disorder across frames) writes nothing."""
    repo = CandleRepository(store)
    repo.write("EURUSD", "H1", sample.iloc[:100])
    _traded(store, "p1", sample.index[79])
    frames = [sample.iloc[50:90], sample.iloc[90:150], sample.iloc[150:200]]
    result = repo.write_many("EURUSD", "H1", iter(frames))
    assert (result.inserted, result.updated, result.unchanged) == (100, 0, 50)
    assert len(repo.load("EURUSD", "H1")) == 200

    changed = sample.iloc[200:260].copy()
    early = sample.iloc[60:80].copy()
    early.iloc[5, early.columns.get_loc("close")] = early["high"].iloc[5]
    with pytest.raises(ConflictError, match=r"row 65 \(.*\), column 'time': run p1"):
        repo.write_many("EURUSD", "H1", [changed.iloc[:0], sample.iloc[:60], early])
    with pytest.raises(CandleDataError, match=r"row 60, column 'time': .* is not after"):
        repo.write_many("EURUSD", "H1", [changed, sample.iloc[250:300]])
    off_grid = sample.iloc[300:310].copy()
    off_grid.index = off_grid.index.where(
        off_grid.index != off_grid.index[2], off_grid.index[2] + pd.Timedelta(minutes=30)
    )
    with pytest.raises(
        CandleDataError, match=r"frame 1: row 3 .*column .time.: bars only 30min apart"
    ):
        repo.write_many("EURUSD", "H1", [sample.iloc[290:300], off_grid])
    assert len(repo.load("EURUSD", "H1")) == 200  # none of them wrote its first frames
