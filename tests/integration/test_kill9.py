"""``kill -9`` of a real ``fxd paper start`` process at random bars, 20 seeds: each killed run,
resumed, makes exactly the trades of a run that was never killed, and the store stays
consistent (``consistency.check_store``)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, RunRepository, Store, TradingRepository
from forex_diffusion.trading.paper import resume_paper
from tests.cli.test_cli import FXD
from tests.integration.consistency import check_store

BARS = 1200
SEEDS = 20
START = ["--symbol", "EURUSD", "--timeframe", "H1", "--strategy", "sma_cross"]
START += ["--param", "fast=5", "--param", "slow=20", "--until-idle"]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[dict[str, str], Store]:
    config = tmp_path / "fxd.toml"
    config.write_text("[trading.risk]\nmax_drawdown = 0.9\ndaily_loss_limit = 0.5\n")
    url = f"sqlite:///{tmp_path / 'kill.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXD_")}
    env.update(FXD_DATABASE_URL=url, FXD_CONFIG=str(config))
    store = Store(url)
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:BARS])
    return env, store


def _last(store: Store, run_id: str) -> int | None:
    row = RunRepository(store).get(run_id)
    return None if row is None else row["last_bar_ts"]


@pytest.mark.slow
def test_kill_9_at_random_bars_then_resume(setup: tuple[dict[str, str], Store]) -> None:
    env, store = setup
    whole = subprocess.run(
        [FXD, "paper", "start", "--run-id", "whole", *START],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert whole.returncode == 0, whole.stderr
    reference = TradingRepository(store).trades("whole")
    assert len(reference) > 30
    times = load_sample().index[:BARS]
    targets = sorted(random.Random(9).sample(range(100, BARS - 100, 10), SEEDS))
    killed_at = []
    for seed, at in enumerate(targets):
        run_id = f"kill-{seed}"
        target = times[at]
        target_ms = int(target.value // 1_000_000)
        proc = subprocess.Popen(
            [FXD, "paper", "start", "--run-id", run_id, *START],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            last = _last(store, run_id)
            if last is not None and last >= target_ms:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"seed {seed}: the run ended before the kill"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stopped = _last(store, run_id)
        assert stopped is not None and stopped < int(times[-1].value // 1_000_000)
        killed_at.append(pd.Timestamp(stopped, unit="ms", tz="UTC"))
        assert killed_at[-1] >= target
        check_store(store, run_id)  # consistent even right after the kill

        resumed = resume_paper(store, run_id)
        resumed.loop(until_idle=True, poll_seconds=0.0)
        pd.testing.assert_frame_equal(
            TradingRepository(store).trades(run_id), reference, check_exact=True
        )
        assert check_store(store, run_id) == check_store(store, "whole")
    assert len(set(killed_at)) >= SEEDS - 2  # (nearly) all at different bars
    store.dispose()
