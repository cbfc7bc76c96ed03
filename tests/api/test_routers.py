"""The API's layout: every endpoint lives in a router module of ``api.routers`` (``app.py``
only builds the app), the mutating ones need the bearer token, and paper runs started over the
API trade the server's ``[signals]`` as their gate."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute

from forex_diffusion.api.app import create_app
from forex_diffusion.api.routers import ROUTERS
from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, RunRepository, Store
from tests.api.http import call, serving

TOKEN = "routers-token"
GATE = SignalsConfig(threshold=0.5, max_per_regime=1)


def _endpoints() -> dict[tuple[str, str], APIRoute]:
    out = {}
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                out[(method, route.path)] = route
    return out


def test_every_endpoint_is_in_a_router_module(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'layout.sqlite'}")
    spec = create_app(store, token=TOKEN).openapi()
    store.dispose()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    endpoints = _endpoints()
    assert set(endpoints) == documented
    modules = {route.endpoint.__module__.rsplit(".", 1)[-1] for route in endpoints.values()}
    assert modules == {
        "meta",
        "candles",
        "indicators",
        "forecast",
        "signals",
        "patterns",
        "runs",
        "paper",
    }
    for (method, path), route in endpoints.items():
        assert route.endpoint.__module__.startswith("forex_diffusion.api.routers.")
        operation = spec["paths"][path][method.lower()]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        # every change needs the token, every read is open
        assert ("authorization" in headers) == (method == "POST" and path != "/forecast"), path


def test_a_paper_run_over_the_api_trades_the_server_gate(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'gate.sqlite'}")
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:300])
    config = RootConfig(signals=GATE)
    trading = TradingConfig(strategy="rsi_reversion")
    body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "api-gate"}
    with serving(create_app(store, token=TOKEN, config=config, trading=trading)) as url:
        code, started = call(f"{url}/paper", "POST", body, token=TOKEN)
        assert code == 201, started
        assert started["strategy"] == "rsi_reversion"  # trading= replaces config's [trading]
        code, err = call(f"{url}/paper", "POST", {**body, "params": {"nope": 1}}, token=TOKEN)
        assert code == 422 and "nope" in err["detail"], err  # checked by services.config
    row = RunRepository(store).get("api-gate")
    store.dispose()
    assert row is not None and row["config"]["signals"] == GATE.model_dump(mode="json")
    assert row["config"]["trading"]["strategy"] == "rsi_reversion"
