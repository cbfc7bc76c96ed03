"""Paper trading as a service: a run started with a root config trades that config's
``[signals]`` as its gate and stores it; a resume rebuilds the strategy with the stored gate;
the same in a server's threads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.errors import ConfigError, ConflictError, DataError, NotFoundError
from forex_diffusion.core.trading_config import RiskConfig, TradingConfig
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data.sample import load_sample
from forex_diffusion.services.config import run_settings
from forex_diffusion.services.paper import (
    PaperStartRequest,
    PaperStatus,
    PaperSupervisor,
    pause_in_server,
    resume_in_server,
    resume_paper_run,
    server_runs,
    server_status,
    start_in_server,
    start_paper_run,
    stop_in_server,
    trade,
)
from forex_diffusion.storage import CandleRepository, RunRepository, Store

EURUSD, H1 = Symbol.parse("EURUSD"), Timeframe.parse("H1")
STORED = 600
GATE = SignalsConfig(threshold=0.42, max_per_regime=2, spread_pips=0.4, agreement_weight=0.3)
CONFIG = RootConfig(
    signals=GATE,
    trading=TradingConfig(
        strategy="sma_cross",
        strategy_params={"fast": 5, "slow": 20},
        risk=RiskConfig(max_drawdown=0.9, daily_loss_limit=0.5),
    ),
)


@pytest.fixture
def sample() -> pd.DataFrame:
    return load_sample().iloc[: STORED + 100]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'paper-service.sqlite'}")
    s.ensure_schema()
    yield s
    s.dispose()


def test_the_gate_is_the_configured_one_stored_and_rebuilt_on_resume(
    store: Store, sample: pd.DataFrame
) -> None:
    assert SignalsConfig() != GATE  # the test means a gate other than the default
    CandleRepository(store).upsert("EURUSD", "H1", sample.iloc[:STORED])
    request = PaperStartRequest(symbol=EURUSD, timeframe=H1, run_id="svc-gate", params={"fast": 3})
    session = start_paper_run(store, CONFIG, request)
    assert session.signals == GATE and session.run.engine.strategy.gate == GATE
    assert session.trading.strategy_params == {"fast": 3, "slow": 20}  # over the configured
    ticks: list[int] = []
    outcome = trade(
        session, until_idle=True, poll_seconds=0.05, on_bar=lambda n, _ts: ticks.append(n)
    )
    assert outcome.bars == STORED and ticks == list(range(1, STORED + 1))
    assert outcome.last == sample.index[STORED - 1] and not outcome.interrupted
    assert outcome.state == "running" and outcome.trades > 0  # the engine; the run: stopped

    row = RunRepository(store).get("svc-gate")
    assert row is not None and row["kind"] == "paper" and row["status"] == "stopped"
    assert row["config"]["signals"] == GATE.model_dump(mode="json")
    assert row["config"]["signals"] != SignalsConfig().model_dump(mode="json")
    assert row["config"]["trading"] == session.trading.model_dump(mode="json")
    assert row["config_hash"] == run_settings(session.trading, GATE)[0]  # both sections

    resumed = resume_paper_run(store, "svc-gate")  # from the store only: no config given
    assert resumed.run.engine.strategy.gate == GATE and resumed.signals == GATE
    assert resumed.trading == session.trading
    assert resumed.resumed_after == sample.index[STORED - 1]
    CandleRepository(store).upsert("EURUSD", "H1", sample.iloc[STORED:])
    more = trade(resumed, until_idle=True, poll_seconds=0.05)
    assert more.bars == 100 and more.last == sample.index[-1]


def test_bad_starts_are_named_and_store_nothing(sqlite_store: Store, sample: pd.DataFrame) -> None:
    request = PaperStartRequest(symbol=EURUSD, timeframe=H1, run_id="svc-bad")
    with pytest.raises(DataError, match="no EURUSD H1 candles"):
        start_paper_run(sqlite_store, CONFIG, request)
    CandleRepository(sqlite_store).upsert("EURUSD", "H1", sample)
    with pytest.raises(ConfigError, match="sma_cros"):
        start_paper_run(
            sqlite_store,
            CONFIG,
            PaperStartRequest(symbol=EURUSD, timeframe=H1, run_id="svc-bad", strategy="sma_cros"),
        )
    assert RunRepository(sqlite_store).get("svc-bad") is None
    with pytest.raises(NotFoundError, match="no run 'svc-none'"):
        resume_paper_run(sqlite_store, "svc-none")


def _wait_for_bar(supervisor: PaperSupervisor, run_id: str, ts: pd.Timestamp) -> PaperStatus:
    import time

    deadline = time.monotonic() + 60
    while (status := server_status(supervisor, run_id)).last_bar != ts.isoformat():
        assert time.monotonic() < deadline, f"{run_id} did not trade {ts}"
        time.sleep(0.05)
    return status


def test_a_server_run_trades_the_configured_gate(sqlite_store: Store, sample: pd.DataFrame) -> None:
    CandleRepository(sqlite_store).upsert("EURUSD", "H1", sample.iloc[:STORED])
    supervisor = PaperSupervisor(sqlite_store, poll_seconds=0.05)
    try:
        request = PaperStartRequest(
            symbol=EURUSD, timeframe=H1, strategy="sma_cross", params={"fast": 3, "slow": 8}
        )
        started = start_in_server(supervisor, CONFIG, request)
        run_id = started.run_id
        assert run_id.startswith("paper-") and started.in_server and started.strategy == "sma_cross"
        stored = RunRepository(sqlite_store).get(run_id)
        assert stored is not None and stored["config"]["signals"] == GATE.model_dump(mode="json")
        assert stored["config"]["trading"]["strategy_params"] == {"fast": 3, "slow": 8}

        done = _wait_for_bar(supervisor, run_id, sample.index[STORED - 1])
        assert done.bars == STORED and done.trading and done.trades > 0
        assert all(p.symbol == "EURUSD" for p in done.positions)
        assert [s.run_id for s in server_runs(supervisor)] == [run_id]
        paused = pause_in_server(supervisor, run_id)
        assert paused.state == "paused" and not paused.trading and paused.resumable
        stopped = stop_in_server(supervisor, run_id)
        assert stopped.state == "stopped" and not stopped.active
        with pytest.raises(ConflictError, match="not trading"):
            pause_in_server(supervisor, run_id)
        with pytest.raises(ConflictError, match="already in this server"):
            start_in_server(
                supervisor, CONFIG, PaperStartRequest(symbol=EURUSD, timeframe=H1, run_id=run_id)
            )

        again = resume_in_server(supervisor, run_id)  # rebuilt from the store, its gate too
        assert again.trading and again.state == "running"
        CandleRepository(sqlite_store).upsert("EURUSD", "H1", sample.iloc[STORED:])
        _wait_for_bar(supervisor, run_id, sample.index[-1])
    finally:
        supervisor.shutdown()
    row = RunRepository(sqlite_store).get(run_id)
    assert row is not None and row["status"] == "stopped"
    assert row["config"]["signals"] == GATE.model_dump(mode="json")  # not replaced on resume
