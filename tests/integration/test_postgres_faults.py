"""Database connection loss mid-run on a real PostgreSQL server of its own (so that it can be
stopped): a restart between two bars is invisible (stale connections are replaced), and a
server that is down when a bar is written stops the run with a clear error; once the server is
back, the run resumes from its last committed bar and makes exactly the trades of a run
without the outage."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.core.errors import StorageError
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, Store
from forex_diffusion.trading.paper import resume_paper
from tests.conftest import private_postgres
from tests.integration.consistency import check_store
from tests.integration.test_faults import BARS, _run, _trades

pytestmark = pytest.mark.postgres


def _pg_ctl(folder: str, *args: str) -> None:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    command = [str(binaries[-1]), "-D", f"{folder}/data", "-l", f"{folder}/server.log"]
    command += ["-w", "-t", "60", *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    # the server it starts inherits no pipe of ours (its output goes to the log file)
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90
    )


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[str, str]]:
    """A private server (URL, folder) that this module may stop and start."""
    with private_postgres("fxd-pg-faults.") as server:
        yield server


@pytest.fixture(scope="module")
def pg_store(own_server: tuple[str, str]) -> Iterator[Store]:
    store = Store(own_server[0])
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:BARS])
    _run(store, "pg-whole").loop(until_idle=True, poll_seconds=0.0)
    yield store
    store.dispose()


def test_a_restart_between_bars_is_invisible(own_server: tuple[str, str], pg_store: Store) -> None:
    candles = load_sample().iloc[:BARS]

    def restart_once(ts: pd.Timestamp) -> None:
        if ts == candles.index[300]:
            _pg_ctl(own_server[1], "-m", "fast", "restart")

    _run(pg_store, "pg-restart").loop(until_idle=True, poll_seconds=0.0, on_bar=restart_once)
    pd.testing.assert_frame_equal(
        _trades(pg_store, "pg-restart"), _trades(pg_store, "pg-whole"), check_exact=True
    )
    assert check_store(pg_store, "pg-restart") == check_store(pg_store, "pg-whole")


def test_a_server_down_mid_run_stops_it_cleanly_and_it_resumes(
    own_server: tuple[str, str], pg_store: Store
) -> None:
    candles = load_sample().iloc[:BARS]

    def go_down(ts: pd.Timestamp) -> None:
        if ts == candles.index[400]:
            _pg_ctl(own_server[1], "-m", "fast", "stop")

    run = _run(pg_store, "pg-down")
    try:
        with pytest.raises(StorageError, match="database postgresql"):
            run.loop(until_idle=True, poll_seconds=0.0, on_bar=go_down)
    finally:
        _pg_ctl(own_server[1], "restart")  # back up, with the options it was started with
    resumed = resume_paper(pg_store, "pg-down")
    resumed.engine.sleep = lambda _s: None
    resumed.loop(until_idle=True, poll_seconds=0.0)
    pd.testing.assert_frame_equal(
        _trades(pg_store, "pg-down"), _trades(pg_store, "pg-whole"), check_exact=True
    )
    assert check_store(pg_store, "pg-down") == check_store(pg_store, "pg-whole")
