from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core import CandleDataError
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
