from __future__ import annotations

import json

import pandas as pd

from forex_diffusion.data import load_sample
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.storage import PatternEventRepository, Store


def test_replace_is_idempotent_and_round_trips(store: Store) -> None:
    candles = load_sample().iloc[:400]
    events = PatternRegistry().detect(candles)
    repo = PatternEventRepository(store)
    assert repo.replace("EURUSD", "H1", events) == len(events)
    assert repo.replace("EURUSD", "H1", events) == len(events)  # a re-scan replaces, no dupes
    stored = repo.load("EURUSD", "H1")
    assert len(stored) == len(events)
    first = min(events, key=lambda e: (e.confirm_ts, e.pattern_key))
    row = stored.iloc[0]
    assert (row["pattern_key"], row["direction"], row["confirm_ts"]) == (
        first.pattern_key,
        first.direction,
        first.confirm_ts,
    )
    assert row["score"] == first.score
    newest = repo.load("EURUSD", "H1", last=3)
    assert len(newest) == 3
    assert newest["confirm_ts"].is_monotonic_increasing
    assert newest["confirm_ts"].iloc[-1] == max(e.confirm_ts for e in events)
    charts = repo.load("EURUSD", "H1", kinds=["chart"])
    assert len(charts) == sum(e.kind == "chart" for e in events) > 0
    assert set(charts["kind"]) == {"chart"}
    with store.engine.connect() as conn:  # the geometry is stored as JSON
        overlay = conn.exec_driver_sql(
            "SELECT overlay FROM pattern_events WHERE kind = 'chart' LIMIT 1"
        ).scalar_one()
    overlay = json.loads(overlay) if isinstance(overlay, str) else overlay
    assert overlay["points"] and overlay["lines"]
    neutral = stored[stored["direction"] == "neutral"]
    assert neutral["target_price"].isna().all()


def test_runs_are_kept_apart(store: Store) -> None:
    from forex_diffusion.storage.models import RunRow

    events = PatternRegistry().detect(load_sample().iloc[:200])
    with store.session() as session:
        session.add(RunRow(run_id="bt-1", kind="backtest", status="done", config_hash="0" * 64))
    repo = PatternEventRepository(store)
    repo.replace("EURUSD", "H1", events)
    repo.replace("EURUSD", "H1", events[:5], run_id="bt-1")
    assert len(repo.load("EURUSD", "H1")) == len(events)
    assert len(repo.load("EURUSD", "H1", run_id="bt-1")) == 5
    assert isinstance(repo.load("EURUSD", "H1")["confirm_ts"].iloc[0], pd.Timestamp)


def test_trained_model_registry(store: Store) -> None:
    from forex_diffusion.storage import TrainedModelRepository

    repo = TrainedModelRepository(store)
    assert repo.latest("EURUSD", "H1") is None
    for i, end in enumerate((1000, 2000)):
        repo.register(
            model_id=f"m{i}",
            kind="diffusion",
            symbol="EUR/USD",
            timeframe="1h",
            path=f"/tmp/m{i}.pt",
            config={"epochs": 3},
            horizons=[1, 4],
            data_start_ms=0,
            data_end_ms=end,
            data_hash="ab" * 32,
            metrics={"val_crps": 1.5},
        )
    latest = repo.latest("EURUSD", "H1")
    assert latest is not None
    assert latest["model_id"] in {"m0", "m1"}
    assert latest["metrics"] == {"val_crps": 1.5}
    repo.register(
        model_id="m1",
        kind="diffusion",
        symbol="EURUSD",
        timeframe="H1",
        path="/tmp/new.pt",
        config={},
        horizons=[1],
        data_start_ms=0,
        data_end_ms=3,
        data_hash="cd" * 32,
        metrics={},
    )
    assert repo.latest("EURUSD", "H4") is None
