"""The bulk writer stores exactly what the one-bar-at-a-time ORM writer stored, row for row and
id for id, whether the bars come in one call, one by one, in chunks, or with a bar recorded
again (a resumed paper run)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from forex_diffusion.backtest.runner import run_backtest
from forex_diffusion.core.config import TradingConfig
from forex_diffusion.data import load_sample
from forex_diffusion.storage import RunRepository, Store, TradingRepository
from forex_diffusion.storage.models import (
    EquitySnapshotRow,
    FillRow,
    FusedSignalRow,
    OrderRow,
    PositionRow,
    RunRow,
    TradeRow,
)
from forex_diffusion.storage.repositories import bar_writer
from forex_diffusion.trading.recording import CollectingRecorder
from tests.storage.per_bar_writer import write_bar

TABLES = (OrderRow, FillRow, PositionRow, TradeRow, EquitySnapshotRow, FusedSignalRow)


@pytest.fixture(scope="module")
def bars() -> list[dict[str, Any]]:
    """Every bar's changes of an event backtest with ATR stops (entries, stop-loss exits the
    broker makes on its own, reversals) over 1,500 bars."""
    params = {"fast": 5, "slow": 20, "stop_atr": 1.0, "units": 10_000}
    cfg = TradingConfig(strategy="sma_cross", strategy_params=params)
    recorder = CollectingRecorder()
    result = run_backtest(
        load_sample().iloc[:1500],
        symbol="EURUSD",
        timeframe="H1",
        config=cfg,
        run_id="r",
        recorder=recorder,
        engine="event",
    )
    reasons = set(result.trades["exit_reason"])
    assert len(result.trades) > 30 and {"stop_loss", "reverse"} <= reasons, reasons
    return recorder.pending


def _dump(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of the trading tables and the run (ids included, creation times not)."""
    out = {}
    with store.session() as session:
        for model in (*TABLES, RunRow):
            columns = [c for c in model.__table__.columns if c.name != "created_at"]
            order = model.__table__.primary_key.columns.values()
            rows = session.execute(select(*columns).order_by(*order)).mappings()
            out[model.__tablename__] = [dict(r) for r in rows]
    for run in out["runs"]:
        for key in ("heartbeat_at", "owner", "started_at"):
            run.pop(key, None)
    return out


def _ranked(dump: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``dump`` with every id, and every reference to one, replaced by its row's rank (a
    second write into the same database gets other ids)."""
    rank = {
        name: {r["id"]: i for i, r in enumerate(rows)}
        for name, rows in dump.items()
        if name != "runs"
    }
    refs = {"id": None, "order_id": "orders", "position_id": "positions"}
    out = {}
    for name, rows in dump.items():
        out[name] = [
            {
                k: rank[refs[k] or name].get(v) if k in refs and name != "runs" else v
                for k, v in row.items()
            }
            for row in rows
        ]
    return out


def _fresh(store: Store) -> Store:
    RunRepository(store).create(kind="backtest", config_hash="h", run_id="r")
    return store


def _oracle(store: Store, bars: list[dict[str, Any]]) -> None:
    for bar in bars:
        with store.session() as session:
            run = session.get(RunRow, "r")
            assert run is not None
            write_bar(session, run, **bar)


def test_one_call_one_by_one_and_in_chunks_equal_the_orm_writer(
    bars: list[dict[str, Any]], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def store(name: str) -> Store:
        s = Store(f"sqlite:///{tmp_path / name}.sqlite")
        s.ensure_schema()
        return _fresh(s)

    oracle = store("oracle")
    _oracle(oracle, bars)
    expected = _dump(oracle)
    assert len(expected["orders"]) > 60 and len(expected["fills"]) > 60
    assert any(o["order_type"] == "stop" for o in expected["orders"])  # the broker's own exits
    assert all(t["position_id"] is not None for t in expected["trades"])

    whole = store("whole")
    TradingRepository(whole).record_bars("r", bars)
    assert _dump(whole) == expected

    single = store("single")
    repo = TradingRepository(single)
    for bar in bars:
        repo.record_bar("r", **bar)
    assert _dump(single) == expected

    monkeypatch.setattr(bar_writer, "CHUNK_BARS", 7)  # chunks that split open positions
    chunked = store("chunked")
    repo = TradingRepository(chunked)
    repo.record_bars("r", bars[:500])
    repo.record_bars("r", bars[500:])
    assert _dump(chunked) == expected
    for s in (oracle, whole, single, chunked):
        s.dispose()


def test_a_bar_recorded_again_upserts_like_the_orm_writer(
    bars: list[dict[str, Any]], store: Store
) -> None:
    """Bars 0-299 then 299-599 (bar 299 twice): the snapshot, orders and positions of that
    bar are updated, not duplicated, on both backends, as the ORM writer did."""
    _fresh(store)
    first, again = bars[:300], bars[299:600]
    _oracle(store, first)
    _oracle(store, again)
    expected = _dump(store)
    with store.session() as session:
        for model in (FillRow, TradeRow, OrderRow, PositionRow, EquitySnapshotRow, RunRow):
            session.execute(delete(model))
    _fresh(store)
    repo = TradingRepository(store)
    repo.record_bars("r", first)
    repo.record_bars("r", again)
    assert _ranked(_dump(store)) == _ranked(expected)
    assert len(expected["equity_snapshots"]) == 600
