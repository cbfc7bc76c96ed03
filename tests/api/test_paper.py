"""Engine control over HTTP: paper runs started, paused, resumed and stopped through the API
while bars arrive on the live feed (``POST /candles``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI

from forex_diffusion.api.app import create_app
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, Store, TradingRepository
from tests.api.http import call, serving, wait_for

TOKEN = "paper-control-token"
STORED = 1200


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, FastAPI]]:
    store = Store(f"sqlite:///{tmp_path / 'paper.sqlite'}")
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:STORED])
    app = create_app(store, token=TOKEN, poll_seconds=0.1)
    with serving(app) as url:
        yield url, store, app
    store.dispose()


def append(url: str, bars: pd.DataFrame) -> None:
    body = {
        "symbol": "EURUSD",
        "timeframe": "H1",
        "bars": [
            {"time": ts.isoformat(), **{k: float(row[k]) for k in row.index}}
            for ts, row in bars.iterrows()
        ],
    }
    assert call(f"{url}/candles", "POST", body, token=TOKEN)[0] == 200


def snapshot(url: str, run_id: str) -> dict[str, Any]:
    code, body = call(f"{url}/paper/{run_id}")
    assert code == 200, body
    return dict(body)


def at(url: str, run_id: str, ts: pd.Timestamp) -> dict[str, Any]:
    return dict(
        wait_for(
            lambda: (s := snapshot(url, run_id))["last_bar"] == ts.isoformat() and s,
            what=f"{run_id} to trade the bar of {ts}",
        )
    )


def test_start_pause_resume_stop_over_http(served: tuple[str, Store, FastAPI]) -> None:
    url, store, app = served
    sample = load_sample()
    orders = TradingRepository(store).client_order_ids
    body = {
        "symbol": "EURUSD",
        "timeframe": "H1",
        "run_id": "paper-http",
        "strategy": "sma_cross",
        "params": {"fast": 3, "slow": 8},
    }
    assert call(f"{url}/paper", "POST", body)[0] == 401
    assert call(f"{url}/paper", "POST", body, token="wrong")[0] == 403
    code, started = call(f"{url}/paper", "POST", body, token=TOKEN)
    assert code == 201 and started["run_id"] == "paper-http" and started["strategy"] == "sma_cross"

    # every stored bar, then the bars that arrive on the live feed
    first = at(url, "paper-http", sample.index[STORED - 1])
    assert first["bars"] == STORED and first["state"] == "running" and first["trading"]
    append(url, sample.iloc[STORED : STORED + 60])
    at(url, "paper-http", sample.index[STORED + 59])
    assert len(orders("paper-http")) > 0

    # paused: bars are still processed (positions managed) but no order is opened
    code, paused = call(f"{url}/paper/paper-http/pause", "POST", token=TOKEN)
    assert code == 200 and paused["state"] == "paused" and paused["reason"] == "paused by the user"
    assert call(f"{url}/runs/paper-http")[1]["status"] == "paused"
    before = len(orders("paper-http"))
    append(url, sample.iloc[STORED + 60 : STORED + 160])
    at(url, "paper-http", sample.index[STORED + 159])
    assert len(orders("paper-http")) == before
    assert call(f"{url}/paper/paper-http/pause", "POST", token=TOKEN)[0] == 409

    # resumed: it trades again
    code, resumed = call(f"{url}/paper/paper-http/resume", "POST", token=TOKEN)
    assert code == 200 and resumed["state"] == "running"
    append(url, sample.iloc[STORED + 160 : STORED + 260])
    at(url, "paper-http", sample.index[STORED + 259])
    assert len(orders("paper-http")) > before

    # stopped: the thread ends, the run stays resumable from the store
    code, stopped = call(f"{url}/paper/paper-http/stop", "POST", token=TOKEN)
    assert code == 200 and stopped["trading"] is False and stopped["state"] == "stopped"
    assert call(f"{url}/runs/paper-http")[1]["status"] == "stopped"
    assert call(f"{url}/paper/paper-http/stop", "POST", token=TOKEN)[0] == 409
    append(url, sample.iloc[STORED + 260 : STORED + 300])
    assert snapshot(url, "paper-http")["last_bar"] == sample.index[STORED + 259].isoformat()
    ids = orders("paper-http")
    code, again = call(f"{url}/paper/paper-http/resume", "POST", token=TOKEN)
    assert code == 200, again
    assert again["trading"] is True
    at(url, "paper-http", sample.index[STORED + 299])
    assert ids <= orders("paper-http")

    # the run as the dashboard reads it
    code, run = call(f"{url}/runs/paper-http")
    assert code == 200 and run["kind"] == "paper" and run["equity"]
    assert run["equity"][-1]["time"] == sample.index[STORED + 299].isoformat()
    live = snapshot(url, "paper-http")
    assert len(run["positions"]) == len(live["positions"])
    assert [p["position_key"] for p in run["positions"]] == [
        p["position_key"] for p in live["positions"]
    ]
    code, listed = call(f"{url}/paper")
    assert code == 200 and [p["run_id"] for p in listed] == ["paper-http"]

    # a second start with the same id is a conflict
    assert call(f"{url}/paper", "POST", body, token=TOKEN)[0] == 409
    supervisor = app.state.supervisor
    assert supervisor.list()[0]["trading"]


def test_bad_starts_name_what_is_wrong(served: tuple[str, Store, FastAPI]) -> None:
    url, _store, _app = served
    base = {"symbol": "EURUSD", "timeframe": "H1"}
    code, err = call(f"{url}/paper", "POST", {**base, "strategy": "nope"}, token=TOKEN)
    assert code == 422 and "nope" in str(err)
    code, err = call(f"{url}/paper", "POST", {**base, "timeframe": "H7"}, token=TOKEN)
    assert code == 422 and "H7" in str(err)
    code, err = call(f"{url}/paper", "POST", {**base, "symbol": "GBPUSD"}, token=TOKEN)
    assert code == 404 and "GBPUSD" in str(err)
    code, err = call(f"{url}/paper", "POST", {**base, "run_id": "x" * 30}, token=TOKEN)
    assert code == 422 and "run_id" in str(err)
    assert call(f"{url}/paper/unknown")[0] == 404
    assert call(f"{url}/paper/unknown/pause", "POST", token=TOKEN)[0] == 404
    code, err = call(f"{url}/paper/unknown/resume", "POST", token=TOKEN)
    assert code == 404 and "unknown" in str(err)


def test_the_server_stops_its_runs_on_shutdown(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'shutdown.sqlite'}")
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:300])
    app = create_app(store, token=TOKEN, poll_seconds=0.1)
    with serving(app) as url:
        body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "p-down"}
        assert call(f"{url}/paper", "POST", body, token=TOKEN)[0] == 201
        assert snapshot(url, "p-down")["trading"]
    assert app.state.supervisor.list()[0]["trading"] is False
    from forex_diffusion.storage import RunRepository

    assert (RunRepository(store).get("p-down") or {})["status"] == "stopped"
    store.dispose()
