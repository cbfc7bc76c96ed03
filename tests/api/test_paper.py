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
    assert paused["trading"] is False and paused["active"] and paused["resumable"]
    assert call(f"{url}/runs/paper-http")[1]["status"] == "paused"
    before = len(orders("paper-http"))
    append(url, sample.iloc[STORED + 60 : STORED + 160])
    at(url, "paper-http", sample.index[STORED + 159])
    assert len(orders("paper-http")) == before
    assert call(f"{url}/paper/paper-http/pause", "POST", token=TOKEN)[0] == 409

    # resumed: it trades again
    code, resumed = call(f"{url}/paper/paper-http/resume", "POST", token=TOKEN)
    assert code == 200 and resumed["state"] == "running" and resumed["trading"]
    assert resumed["resumable"] is False and resumed["resume_blocked"] is None
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


def test_from_is_where_trading_starts_and_start_is_unknown(
    served: tuple[str, Store, FastAPI],
) -> None:
    """The API's field is ``from``, as the CLI's ``--from`` (``start`` was the API's name;
    ``from`` was ignored and the run traded every stored bar)."""
    url, store, _app = served
    sample = load_sample()
    since = sample.index[STORED - 100]
    body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "p-from", "from": since.isoformat()}
    code, err = call(f"{url}/paper", "POST", {**body, "start": since.isoformat()}, token=TOKEN)
    assert code == 422 and err["detail"][0]["loc"] == ["body", "start"], err
    code, err = call(f"{url}/paper", "POST", {**body, "from": "2017-13-01"}, token=TOKEN)
    assert code == 422 and err["detail"][0]["loc"] == ["body", "from"], err
    naive = {**body, "from": since.strftime("%Y-%m-%d %H:%M")}  # no offset: UTC, as the CLI
    assert call(f"{url}/paper", "POST", naive, token=TOKEN)[0] == 201
    done = at(url, "p-from", sample.index[STORED - 1])
    assert done["bars"] == 99  # the bars after `from`; the earlier ones only warm up
    from forex_diffusion.storage import RunRepository

    stored = (RunRepository(store).get("p-from") or {})["config"]
    assert stored["start"] == since.isoformat()


def test_runs_not_in_this_server_are_read_from_the_store(tmp_path: Path) -> None:
    """``GET /paper/{id}`` finds a paper run another server (or ``fxd paper``) left in the
    store: its stored state, last bar, newest equity snapshot and open positions (it was a
    404)."""
    store = Store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    store.ensure_schema()
    sample = load_sample()
    CandleRepository(store).upsert("EURUSD", "H1", sample.iloc[:STORED])
    body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "p-old", "strategy": "sma_cross"}
    body |= {"params": {"fast": 3, "slow": 8}}
    with serving(create_app(store, token=TOKEN, poll_seconds=0.1)) as url:
        assert call(f"{url}/paper", "POST", body, token=TOKEN)[0] == 201
        live = at(url, "p-old", sample.index[STORED - 1])
        assert call(f"{url}/paper/p-old/stop", "POST", token=TOKEN)[0] == 200
    from forex_diffusion.storage import RunRepository

    RunRepository(store).create(kind="backtest", config_hash="h", run_id="bt-1")
    with serving(create_app(store, token=TOKEN, poll_seconds=0.1)) as url:
        code, snap = call(f"{url}/paper/p-old")
        assert code == 200, snap
        assert snap["in_server"] is False and snap["trading"] is False and not snap["active"]
        assert snap["state"] == "stopped" and snap["resumable"] and snap["bars"] == 0
        assert snap["last_bar"] == sample.index[STORED - 1].isoformat()
        newest = TradingRepository(store).latest_equity("p-old")
        assert newest is not None and newest["time"] == snap["last_bar"]
        assert (snap["equity"], snap["balance"]) == (newest["equity"], newest["balance"])
        assert snap["equity"] == live["equity"] and snap["trades"] == live["trades"] > 0
        assert [p["position_key"] for p in snap["positions"]] == [
            p["position_key"] for p in live["positions"]
        ]
        assert call(f"{url}/paper") == (200, [])  # the list: runs of this server
        code, err = call(f"{url}/paper/p-old/pause", "POST", token=TOKEN)
        assert code == 409 and "not in this server" in err["detail"]
        code, err = call(f"{url}/paper/bt-1")
        assert code == 404 and "not a paper run" in err["detail"]
        code, resumed = call(f"{url}/paper/p-old/resume", "POST", token=TOKEN)
        assert code == 200 and resumed["in_server"] and resumed["trading"]
    store.dispose()


def test_a_kill_switched_run_says_it_cannot_be_resumed(tmp_path: Path) -> None:
    """After the drawdown kill-switch: paused, not trading, not resumable and why; resuming is
    a 409 naming the kill-switch (it was a 500), in this server and after a restart."""
    from forex_diffusion.core.trading_config import RiskConfig, TradingConfig

    store = Store(f"sqlite:///{tmp_path / 'killed.sqlite'}")
    store.ensure_schema()
    sample = load_sample()
    CandleRepository(store).upsert("EURUSD", "H1", sample.iloc[:STORED])
    config = TradingConfig(risk=RiskConfig(max_drawdown=0.001))
    body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "p-kill", "strategy": "sma_cross"}
    body |= {"params": {"fast": 3, "slow": 8}}
    with serving(create_app(store, token=TOKEN, trading=config, poll_seconds=0.1)) as url:
        assert call(f"{url}/paper", "POST", body, token=TOKEN)[0] == 201
        snap = at(url, "p-kill", sample.index[STORED - 1])
        assert snap["state"] == "paused" and snap["trading"] is False and snap["active"]
        assert snap["resumable"] is False
        assert snap["resume_blocked"].startswith("drawdown kill-switch")
        assert snap["reason"] == snap["resume_blocked"]
        code, err = call(f"{url}/paper/p-kill/resume", "POST", token=TOKEN)
        assert code == 409 and "drawdown kill-switch" in err["detail"], err
        assert err["error"] == "RiskLimitError"
        assert call(f"{url}/paper/p-kill/stop", "POST", token=TOKEN)[0] == 200
        code, err = call(f"{url}/paper/p-kill/resume", "POST", token=TOKEN)
        assert code == 409 and "drawdown kill-switch" in err["detail"], err
    with serving(create_app(store, token=TOKEN, trading=config, poll_seconds=0.1)) as url:
        code, snap = call(f"{url}/paper/p-kill")  # stored stopped with the kill-switch's reason
        assert code == 200 and snap["in_server"] is False and snap["state"] == "stopped"
        assert snap["resumable"] is False and snap["resume_blocked"].startswith("drawdown kill")
        code, err = call(f"{url}/paper/p-kill/resume", "POST", token=TOKEN)  # rebuilt: refused
        assert code == 409 and "drawdown kill-switch" in err["detail"], err
        code, snap = call(f"{url}/paper/p-kill")
        assert code == 200 and snap["resumable"] is False and snap["in_server"] is False
        assert snap["resume_blocked"].startswith("drawdown kill-switch")
    store.dispose()
