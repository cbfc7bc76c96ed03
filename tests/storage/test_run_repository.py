from __future__ import annotations

import os
import subprocess
import sys

import pytest

from forex_diffusion.core.errors import (
    ConflictError,
    NotFoundError,
    RunFailedError,
    StorageError,
)
from forex_diffusion.storage import RunHandle, RunRepository, Store
from forex_diffusion.storage.models import now_ms
from forex_diffusion.storage.repositories.runs import STALE_AFTER_MS


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
    with pytest.raises(ConflictError, match="already exists"):
        runs.create(kind="signals", config_hash="x", run_id="mine")
    with pytest.raises(NotFoundError, match="no run"):
        runs.finish("missing")
    assert issubclass(NotFoundError, StorageError)


def test_recording_finishes_the_run_whatever_happens(store: Store) -> None:
    runs = RunRepository(store)
    with runs.recording(kind="backtest", config_hash="h", run_id="ok") as run:
        assert runs.get("ok")["status"] == "running"  # type: ignore[index]
        run.metrics = {"trades": 2}
    ok = runs.get("ok")
    assert ok is not None and (ok["status"], ok["metrics"], ok["error"]) == (
        "done",
        {"trades": 2},
        None,
    )
    assert ok["finished_at"] is not None and ok["owner"].endswith(f":{os.getpid()}")

    with (
        pytest.raises(RunFailedError),
        runs.recording(kind="backtest", config_hash="h", run_id="bad") as run,
    ):
        _fail_with(run, {"trades": 1})
    bad = runs.get("bad")
    assert bad is not None and bad["status"] == "failed"
    assert bad["error"] == "KeyError: 'x' (EURUSD H1 bar 2017-01-02T05:00:00+00:00)"
    assert bad["metrics"] == {"trades": 1}  # what it did up to there

    with (
        pytest.raises(ZeroDivisionError),
        runs.recording(kind="sweep", config_hash="h", run_id="bug"),
    ):
        _ = 1 / 0
    bug = runs.get("bug")
    assert bug is not None and bug["status"] == "failed"
    assert bug["error"] == "ZeroDivisionError: division by zero"

    with runs.recording(kind="walkforward", config_hash="h", run_id="kept") as run:
        run.fail("2 of 4 folds failed")
    kept = runs.get("kept")
    assert kept is not None and (kept["status"], kept["error"]) == ("failed", "2 of 4 folds failed")

    with (
        pytest.raises(KeyboardInterrupt),
        runs.recording(kind="paper", config_hash="h", run_id="cc"),
    ):
        raise KeyboardInterrupt
    assert runs.get("cc")["status"] == "stopped"  # type: ignore[index]


def test_a_run_whose_process_died_reads_as_interrupted(store: Store) -> None:
    runs = RunRepository(store)
    runs.create(kind="paper", config_hash="h", run_id="dead")
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = runs.get("dead")["owner"].rpartition(":")[0]  # type: ignore[index]
    runs.update("dead", owner=f"{host}:{child.stdout.strip()}")  # that process has exited
    assert runs.get("dead")["status"] == "interrupted"  # type: ignore[index]
    assert [r["status"] for r in runs.list(kind="paper")] == ["interrupted"]

    runs.create(kind="paper", config_hash="h", run_id="alive")
    assert runs.get("alive")["status"] == "running"  # type: ignore[index]  # this process

    runs.create(kind="paper", config_hash="h", run_id="remote")
    runs.update("remote", owner="another-host:1")
    assert runs.get("remote")["status"] == "running"  # type: ignore[index]  # it beat just now
    runs.update("remote", heartbeat_at=now_ms() - STALE_AFTER_MS - 1)
    assert runs.get("remote")["status"] == "interrupted"  # type: ignore[index]
    runs.finish("remote", status="stopped")
    assert runs.get("remote")["status"] == "stopped"  # type: ignore[index]


def test_running_refuses_a_run_another_live_process_owns(store: Store) -> None:
    runs = RunRepository(store)
    runs.create(kind="paper", config_hash="h", run_id="busy")
    runs.update("busy", owner="another-host:1")
    with (
        pytest.raises(ConflictError, match="running in process another-host:1"),
        runs.running("busy"),
    ):
        pass
    with pytest.raises(NotFoundError), runs.running("nope"):
        pass
    runs.update("busy", heartbeat_at=now_ms() - STALE_AFTER_MS - 1)  # that process is gone
    with runs.running("busy", status="stopped") as run:
        assert runs.get("busy")["status"] == "running"  # type: ignore[index]
        run.beat(force=True)
    assert runs.get("busy")["status"] == "stopped"  # type: ignore[index]


def _fail_with(run: RunHandle, metrics: dict[str, int]) -> None:
    run.metrics = metrics
    raise RunFailedError("bad", "KeyError: 'x' (EURUSD H1 bar 2017-01-02T05:00:00+00:00)")
