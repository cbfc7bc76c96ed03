"""Paper runs on the store: every bar persisted, new bars picked up, resume after a crash."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from forex_diffusion.core.errors import ConflictError, DataError, RiskLimitError, StorageError
from forex_diffusion.core.trading_config import RiskConfig, TradingConfig
from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import CandleRepository, RunRepository, Store, TradingRepository
from forex_diffusion.trading.paper import resume_paper, start_paper

CONFIG = TradingConfig(
    strategy="sma_cross",
    strategy_params={"fast": 5, "slow": 20},
    risk=RiskConfig(max_drawdown=0.9, daily_loss_limit=0.5),
)
START = pd.Timestamp("2017-09-01", tz="UTC")


@pytest.fixture
def candles() -> pd.DataFrame:
    return load_sample().loc["2017-08-01":"2017-10-31"]


def test_a_paper_run_persists_every_bar(store: Store, candles: pd.DataFrame) -> None:
    CandleRepository(store).upsert("EURUSD", "H1", candles)
    run = start_paper(
        store, run_id="pp1", symbol="EURUSD", timeframe="H1", config=CONFIG, start=START
    )
    bars = run.loop(until_idle=True, poll_seconds=0.1)
    assert bars == int((candles.index > START).sum())
    repo = TradingRepository(store)
    trades = repo.trades("pp1")
    assert len(trades) == run.engine.trade_count == len(run.engine.recent_trades) > 5
    assert trades["pnl"].to_numpy() == pytest.approx([t.pnl for t in run.engine.recent_trades])
    assert set(trades["source"]) == {"sma_cross"}
    counts = repo.counts("pp1")
    assert counts["equity_snapshots"] == bars
    assert counts["fills"] == 2 * len(trades) + len(run.engine.broker.positions())
    orders = repo.orders("pp1")
    assert len({o["client_order_id"] for o in orders}) == len(orders) == counts["orders"]
    equity = repo.equity("pp1")["equity"]
    assert equity.iloc[-1] == pytest.approx(run.engine.broker.account().equity)
    row = RunRepository(store).get("pp1")
    assert row is not None and row["last_bar_ts"] == int(candles.index[-1].value // 10**6)


def test_new_bars_in_the_store_are_traded_as_they_arrive(
    sqlite_store: Store, candles: pd.DataFrame
) -> None:
    repo = CandleRepository(sqlite_store)
    repo.upsert("EURUSD", "H1", candles.loc[:"2017-09-30"])
    run = start_paper(
        sqlite_store, run_id="pp2", symbol="EURUSD", timeframe="H1", config=CONFIG, start=START
    )
    first = run.loop(until_idle=True, poll_seconds=0.1)
    repo.upsert("EURUSD", "H1", candles.loc["2017-10-01":])
    second = run.loop(until_idle=True, poll_seconds=0.1)
    assert second == len(candles.loc["2017-10-01":]) and first > 0
    assert run.last == candles.index[-1]


def test_resume_after_a_crash_gives_the_same_trades(store: Store, candles: pd.DataFrame) -> None:
    CandleRepository(store).upsert("EURUSD", "H1", candles)
    whole = start_paper(
        store, run_id="whole", symbol="EURUSD", timeframe="H1", config=CONFIG, start=START
    )
    whole.loop(until_idle=True, poll_seconds=0.1)
    crashed = start_paper(
        store, run_id="crash", symbol="EURUSD", timeframe="H1", config=CONFIG, start=START
    )
    bars = candles[candles.index > START]
    crashed.feed(bars.iloc[:700], None)  # then the process dies: the object is dropped
    del crashed
    resumed = resume_paper(store, "crash")
    assert resumed.last == bars.index[699]
    resumed.loop(until_idle=True, poll_seconds=0.1)
    repo = TradingRepository(store)
    a, b = repo.trades("whole"), repo.trades("crash")
    assert len(a) > 5
    pd.testing.assert_frame_equal(a, b)
    assert repo.counts("whole") == repo.counts("crash")


def test_resume_refuses_a_run_whose_replay_diverges(
    sqlite_store: Store, candles: pd.DataFrame
) -> None:
    CandleRepository(sqlite_store).upsert("EURUSD", "H1", candles)
    run = start_paper(
        sqlite_store, run_id="div", symbol="EURUSD", timeframe="H1", config=CONFIG, start=START
    )
    run.loop(until_idle=True, poll_seconds=0.1)
    with sqlite_store.session() as session:  # the stored history no longer matches the replay
        session.execute(text("DELETE FROM fills WHERE run_id = 'div'"))
        session.execute(text("DELETE FROM orders WHERE run_id = 'div'"))
    with pytest.raises(ConflictError, match="which the store does not hold"):
        resume_paper(sqlite_store, "div")


def test_bad_runs_are_named(sqlite_store: Store, candles: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="no EURUSD H1 candles"):
        start_paper(sqlite_store, run_id="x", symbol="EURUSD", timeframe="H1", config=CONFIG)
    with pytest.raises(StorageError, match="no run 'nope'"):
        resume_paper(sqlite_store, "nope")
    CandleRepository(sqlite_store).upsert("EURUSD", "H1", candles)
    start_paper(sqlite_store, run_id="dup", symbol="EURUSD", timeframe="H1", config=CONFIG)
    with pytest.raises(ConflictError, match="already exists"):
        start_paper(sqlite_store, run_id="dup", symbol="EURUSD", timeframe="H1", config=CONFIG)


def test_a_kill_switched_run_is_stopped_with_the_reason_and_cannot_be_resumed(
    sqlite_store: Store, candles: pd.DataFrame
) -> None:
    CandleRepository(sqlite_store).upsert("EURUSD", "H1", candles)
    config = CONFIG.model_copy(update={"risk": RiskConfig(max_drawdown=0.002)})
    run = start_paper(
        sqlite_store, run_id="kill", symbol="EURUSD", timeframe="H1", config=config, start=START
    )
    run.loop(until_idle=True, poll_seconds=0.1)
    assert run.engine.risk.killed is not None
    row = RunRepository(sqlite_store).get("kill")
    assert row is not None and row["status"] == "stopped"
    assert row["error"] == run.engine.risk.killed and "kill-switch" in row["error"]
    with pytest.raises(RiskLimitError, match="run kill cannot be resumed: drawdown kill-switch"):
        resume_paper(sqlite_store, "kill")
