"""One bar's changes are written together or not at all; broker exits get their own orders."""

from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core.errors import StorageError
from forex_diffusion.core.events import Fill, FusedSignal, Order, Position, Trade
from forex_diffusion.storage import RunRepository, Store, TradingRepository

T0 = pd.Timestamp("2017-03-06 10:00", tz="UTC")
T1 = T0 + pd.Timedelta(hours=1)


def _order(status: str = "pending") -> Order:
    return Order(
        client_order_id="r-1",
        symbol="EURUSD",
        side="buy",
        units=1000.0,
        created_ts=T0,
        stop_loss=1.09,
        status=status,
    )  # type: ignore[arg-type]


def _position(status: str = "open") -> Position:
    return Position(
        position_key="P-r-1",
        symbol="EURUSD",
        side="long",
        units=1000.0,
        entry_price=1.1,
        entry_ts=T1,
        stop_loss=1.09,
        status=status,
    )  # type: ignore[arg-type]


def _bar(repo: TradingRepository, ts: pd.Timestamp, **changes: object) -> None:
    base: dict[str, object] = {
        "orders": [],
        "fills": [],
        "positions": [],
        "trades": [],
        "balance": 1e5,
        "equity": 1e5,
        "margin_used": 0.0,
        "open_pnl": 0.0,
        "status": "running",
    }
    repo.record_bar("r", ts=ts, **{**base, **changes})  # type: ignore[arg-type]


def test_a_round_trip_is_stored_with_a_stop_order_for_the_broker_exit(store: Store) -> None:
    RunRepository(store).create(kind="paper", config_hash="h", run_id="r")
    repo = TradingRepository(store)
    _bar(repo, T0, orders=[_order()])
    entry = Fill(
        client_order_id="r-1",
        position_key="P-r-1",
        symbol="EURUSD",
        ts=T1,
        price=1.1,
        units=1000.0,
        reason="entry",
        commission=0.035,
    )
    _bar(repo, T1, orders=[_order("filled")], fills=[entry], positions=[_position()])
    exit_ = Fill(
        client_order_id="X1-P-r-1",
        position_key="P-r-1",
        symbol="EURUSD",
        ts=T1 + pd.Timedelta(hours=1),
        price=1.09,
        units=-1000.0,
        reason="stop_loss",
    )
    trade = Trade(
        position_key="P-r-1",
        symbol="EURUSD",
        side="long",
        units=1000.0,
        entry_ts=T1,
        entry_price=1.1,
        exit_ts=exit_.ts,
        exit_price=1.09,
        pnl=-10.07,
        pnl_pips=-100.0,
        commission=0.07,
        swap=0.0,
        spread_cost=0.0,
        slippage_cost=0.0,
        exit_reason="stop_loss",
        source="sma_cross",
    )
    _bar(repo, exit_.ts, fills=[exit_], positions=[_position("closed")], trades=[trade])
    orders = repo.orders("r")
    assert [(o["client_order_id"], o["order_type"], o["status"]) for o in orders] == [
        ("r-1", "market", "filled"),
        ("X1-P-r-1", "stop", "filled"),
    ]
    assert repo.counts("r") == {
        "orders": 2,
        "fills": 2,
        "positions": 1,
        "trades": 1,
        "equity_snapshots": 3,
    }
    (row,) = repo.trades("r").to_dict("records")
    assert row["pnl"] == pytest.approx(-10.07) and row["exit_reason"] == "stop_loss"
    run = RunRepository(store).get("r")
    assert run is not None and run["last_bar_ts"] == int(exit_.ts.value // 10**6)


def test_a_failing_bar_writes_nothing(store: Store) -> None:
    RunRepository(store).create(kind="paper", config_hash="h", run_id="r")
    repo = TradingRepository(store)
    _bar(repo, T0)
    bad = FusedSignal(
        signal_id="s",
        source="pattern",
        symbol="EURUSD",
        timeframe="H1",
        direction="bull",
        strength=0.6,
        quality={"composite": 0.7},
        regime=None,
        entry_price=1.1,
        target_price=1.11,
        stop_price=1.09,
        timestamp=T1,
        valid_until=T1 + pd.Timedelta(hours=5),
    )
    with pytest.raises(ValueError, match="quality lacks"):
        _bar(repo, T1, orders=[_order()], positions=[_position()], signals=[(bad, True)])
    assert repo.counts("r") == {
        "orders": 0,
        "fills": 0,
        "positions": 0,
        "trades": 0,
        "equity_snapshots": 1,
    }
    run = RunRepository(store).get("r")
    assert run is not None and run["last_bar_ts"] == int(T0.value // 10**6)


def test_unknown_runs_and_foreign_orders_are_refused(store: Store) -> None:
    repo = TradingRepository(store)
    with pytest.raises(StorageError, match="no run 'r'"):
        _bar(repo, T0)
    runs = RunRepository(store)
    runs.create(kind="paper", config_hash="h", run_id="r")
    runs.create(kind="paper", config_hash="h", run_id="other")
    _bar(repo, T0, orders=[_order()])
    with pytest.raises(StorageError, match="belongs to run r"):
        repo.record_bar(
            "other",
            ts=T1,
            orders=[_order("filled")],
            fills=[],
            positions=[],
            trades=[],
            balance=1.0,
            equity=1.0,
            margin_used=0.0,
            open_pnl=0.0,
            status="running",
        )
