from __future__ import annotations

import pytest

from forex_diffusion.core.errors import StorageError
from forex_diffusion.storage import RunRepository, Store


def test_create_finish_latest(store: Store) -> None:
    runs = RunRepository(store)
    first = runs.create(kind="signals", config_hash="abc", symbol="EUR/USD", timeframe="1h")
    assert runs.latest(kind="signals") is None  # still running
    runs.finish(first, metrics={"signals": 3})
    second = runs.create(
        kind="signals", config_hash="abc", symbol="EURUSD", timeframe="H1", run_id="mine"
    )
    runs.finish(second, status="done")
    latest = runs.latest(kind="signals", symbol="EURUSD", timeframe="H1")
    assert latest is not None and latest["run_id"] in {first, "mine"}
    got = runs.get(first)
    assert got is not None
    assert (got["symbol"], got["timeframe"], got["metrics"]) == ("EURUSD", "H1", {"signals": 3})
    assert runs.latest(kind="backtest") is None
    with pytest.raises(StorageError, match="already exists"):
        runs.create(kind="signals", config_hash="x", run_id="mine")
    with pytest.raises(StorageError, match="no run"):
        runs.finish("missing")
