"""Fault injection on paper runs: a crash in the middle of a bar's transaction at random bars
(20 seeds), broker errors and timeouts at random calls, the SQLite store locked by another
process mid-run, and a forecaster that hangs. The engine recovers or pauses with a reason;
afterwards the store is consistent (``consistency.check_store``) and a recovered run made
exactly the trades of a run without faults."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forex_diffusion.core.errors import BrokerError, RetryableBrokerError
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, RunRepository, Store, TradingRepository
from forex_diffusion.storage.repositories import bar_writer
from forex_diffusion.trading.automated_trading_engine import EngineState
from forex_diffusion.trading.paper import resume_paper, start_paper
from forex_diffusion.trading.strategies import STRATEGIES
from forex_diffusion.trading.strategies.fusion import FusionStrategy
from tests.inference.fakes import Sleeper
from tests.integration.consistency import check_store

BARS = 700
CONFIG = TradingConfig.model_validate(
    {
        "strategy": "sma_cross",
        "strategy_params": {"fast": 5, "slow": 20},
        "risk": {"max_drawdown": 0.9, "daily_loss_limit": 0.5},
        "engine": {"backoff_seconds": 0.0},
    }
)


class Crash(BaseException):
    """Stands for kill -9: not an ``Exception``, so nothing in the engine can catch it."""


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_sample().iloc[:BARS]


@pytest.fixture
def sqlite(tmp_path: Path, candles: pd.DataFrame) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'faults.sqlite'}")
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", candles)
    return store


def _run(store: Store, run_id: str) -> Any:
    run = start_paper(store, run_id=run_id, symbol="EURUSD", timeframe="H1", config=CONFIG)
    run.engine.sleep = lambda _s: None
    return run


def _trades(store: Store, run_id: str) -> pd.DataFrame:
    return TradingRepository(store).trades(run_id)


def test_a_crash_inside_a_bar_at_random_bars_loses_and_duplicates_nothing(
    sqlite: Store, candles: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(sqlite, "whole").loop(until_idle=True, poll_seconds=0.0)
    reference = _trades(sqlite, "whole")
    assert len(reference) > 10
    original = bar_writer._Plan.write
    rng = random.Random(2026)
    for seed in range(20):
        crash_at = rng.randint(30, BARS - 5)  # the bar whose transaction dies
        calls = 0

        def dying(self: Any, *args: Any, at: int = crash_at, **kwargs: Any) -> None:
            nonlocal calls
            original(self, *args, **kwargs)  # the rows are in the transaction...
            calls += 1
            if calls == at:
                raise Crash  # ...and the process dies before the commit

        run_id = f"crash-{seed}"
        run = _run(sqlite, run_id)
        monkeypatch.setattr(bar_writer._Plan, "write", dying)
        with pytest.raises(Crash):
            run.loop(until_idle=True, poll_seconds=0.0)
        monkeypatch.setattr(bar_writer._Plan, "write", original)
        row = RunRepository(sqlite).get(run_id)
        assert row is not None
        committed = pd.Timestamp(row["last_bar_ts"], unit="ms", tz="UTC")
        assert committed == candles.index[crash_at - 2], seed  # bar crash_at - 1 rolled back
        check_store(sqlite, run_id)

        resumed = resume_paper(sqlite, run_id)
        resumed.engine.sleep = lambda _s: None
        resumed.loop(until_idle=True, poll_seconds=0.0)
        pd.testing.assert_frame_equal(_trades(sqlite, run_id), reference, check_exact=True)
        counts = check_store(sqlite, run_id)
        assert counts == check_store(sqlite, "whole")


class FlakyBroker:
    """The paper broker, failing at random calls: transient errors (timeouts) that a retry
    may fix, and hard rejections. It fails before it acts, as a remote broker that never got
    the request."""

    def __init__(self, inner: Any, *, seed: int, transient: float, hard: float) -> None:
        self.inner, self.rng = inner, random.Random(seed)
        self.transient, self.hard = transient, hard
        self.injected = {"transient": 0, "hard": 0}

    def _maybe_fail(self, what: str) -> None:
        draw = self.rng.random()
        if draw < self.hard:
            self.injected["hard"] += 1
            raise BrokerError(f"{what}: rejected by the broker (injected)")
        if draw < self.hard + self.transient:
            self.injected["transient"] += 1
            raise RetryableBrokerError(f"{what}: timed out (injected)")

    def submit(self, order: Any) -> Any:
        self._maybe_fail("submit")
        return self.inner.submit(order)

    def on_bar(self, symbol: str, bar: Any) -> Any:
        self._maybe_fail("on_bar")
        return self.inner.on_bar(symbol, bar)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("seed", range(5))
def test_broker_errors_and_timeouts_at_random_calls(sqlite: Store, seed: int) -> None:
    run = _run(sqlite, f"flaky-{seed}")
    broker = FlakyBroker(run.engine.broker, seed=seed, transient=0.2, hard=0.03)
    run.engine.broker = broker
    run.loop(until_idle=True, poll_seconds=0.0)
    engine = run.engine
    assert broker.injected["transient"] > 20 and broker.injected["hard"] > 0
    assert engine.state in (EngineState.RUNNING, EngineState.PAUSED), engine.reason
    if engine.state is EngineState.PAUSED:
        assert engine.reason and "failed bars in a row" in engine.reason
    assert run.last == sqlite_last(sqlite)  # every bar was processed (managed or skipped)
    check_store(sqlite, f"flaky-{seed}")


def sqlite_last(store: Store) -> pd.Timestamp:
    return pd.Timestamp(CandleRepository(store).load("EURUSD", "H1", last=1).index[-1])


def test_a_locked_sqlite_store_delays_the_run_and_loses_nothing(
    sqlite: Store, tmp_path: Path, candles: pd.DataFrame
) -> None:
    _run(sqlite, "free").loop(until_idle=True, poll_seconds=0.0)
    reference = _trades(sqlite, "free")
    locked = threading.Event()

    def another_writer() -> None:  # holds the database for 1.5 s
        holder = sqlite3.connect(tmp_path / "faults.sqlite", timeout=30, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(1.5)
        holder.execute("COMMIT")
        holder.close()

    thread = threading.Thread(target=another_writer)
    waited: list[float] = []

    def on_bar(ts: pd.Timestamp) -> None:
        if ts == candles.index[400]:
            thread.start()
            assert locked.wait(10)
            waited.append(time.monotonic())

    run = _run(sqlite, "locked")
    run.loop(until_idle=True, poll_seconds=0.0, on_bar=on_bar)
    thread.join(timeout=30)
    assert waited and time.monotonic() - waited[0] >= 1.5  # the next bar waited for the lock
    pd.testing.assert_frame_equal(_trades(sqlite, "locked"), reference, check_exact=True)
    assert check_store(sqlite, "locked") == check_store(sqlite, "free")


class HungForecaster(FusionStrategy):
    """The fused strategy with a forecaster that never answers."""

    name = "fused_hung"

    def _fit(self, symbol: str, timeframe: str, candles: pd.DataFrame) -> Any:
        series = super()._fit(symbol, timeframe, candles)
        series.predictor = Sleeper()
        return series


def test_a_hung_forecaster_is_cut_and_the_run_trades_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # registered for this test only: other tests list every shipped strategy
    monkeypatch.setitem(STRATEGIES._items, "fused_hung", HungForecaster)
    sqlite = Store(f"sqlite:///{tmp_path / 'hung.sqlite'}")
    sqlite.ensure_schema()
    bars = 915  # 900 to fit on, then 15 decisions
    CandleRepository(sqlite).upsert("EURUSD", "H1", load_sample().iloc[:bars])
    config = CONFIG.model_copy(
        update={
            "strategy": "fused_hung",
            "strategy_params": {"forecaster": "none", "fit_bars": 900, "forecast_timeout_s": 0.5},
        }
    )
    run = start_paper(sqlite, run_id="hung", symbol="EURUSD", timeframe="H1", config=config)
    run.loop(until_idle=True, poll_seconds=0.0)
    strategy = run.engine.strategy
    assert isinstance(strategy, HungForecaster)
    decided = bars - strategy.warmup + 1  # the bars the strategy decided on
    assert decided == 15
    assert run.last == sqlite_last(sqlite)  # every bar processed
    assert run.engine.state is EngineState.RUNNING and run.engine.reason is None
    assert len(strategy.forecast_failures) == decided
    assert all("forecast timeout" in f for f in strategy.forecast_failures)  # cut, each bar
    run.engine.stop()  # the strategy's forecast worker goes with the engine
    assert strategy._inference is None
    check_store(sqlite, "hung")
    sqlite.dispose()
