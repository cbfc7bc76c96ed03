"""The API through real HTTP: uvicorn on a free loopback port, stdlib requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from forex_diffusion.api.app import create_app
from forex_diffusion.data import load_sample
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.storage import CandleRepository, PatternEventRepository, Store
from tests.api.http import call, serving

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("api") / "api.sqlite"
    store = Store(f"sqlite:///{path}")
    store.ensure_schema()
    sample = load_sample().iloc[:600]
    CandleRepository(store).upsert("EURUSD", "H1", sample)
    PatternEventRepository(store).replace("EURUSD", "H1", PatternRegistry().detect(sample))
    with serving(create_app(store, token=TOKEN)) as url:
        yield url
    store.dispose()


def test_service_and_docs(api: str) -> None:
    code, body = call(f"{api}/health")
    assert code == 200 and body["status"] == "ok"
    code, body = call(f"{api}/ready")
    assert code == 200 and body["status"] == "ready"
    code, spec = call(f"{api}/openapi.json")
    assert code == 200 and "/candles/{symbol}/{timeframe}" in spec["paths"]


def test_data_endpoints(api: str) -> None:
    code, series = call(f"{api}/symbols")
    assert code == 200 and series[0]["symbol"] == "EURUSD" and series[0]["bars"] == 600
    code, bars = call(f"{api}/candles/EURUSD/H1?last=3")
    assert code == 200 and len(bars) == 3
    assert bars[-1]["time"] == load_sample().index[599].isoformat()
    code, events = call(f"{api}/patterns/EURUSD/H1?kinds=chart&last=5")
    assert code == 200 and events and {e["kind"] for e in events} == {"chart"}
    assert call(f"{api}/candles/GBPUSD/H1")[0] == 404
    code, err = call(f"{api}/candles/EURUSD/H7")
    assert code == 422 and "H7" in json.dumps(err)
    code, err = call(f"{api}/candles/EURUSD/H1?last=0")
    assert code == 422 and "last" in json.dumps(err)
    assert call(f"{api}/runs/nope")[0] == 404
    assert call(f"{api}/runs") == (200, [])


def test_posting_bars_needs_the_token(api: str) -> None:
    bar = {"time": "2017-02-03T00:00:00Z", "open": 1.2, "high": 1.21, "low": 1.19, "close": 1.2}
    body = {"symbol": "EURUSD", "timeframe": "H1", "bars": [bar]}
    assert call(f"{api}/candles", "POST", body)[0] == 401
    assert call(f"{api}/candles", "POST", body, token="wrong")[0] == 403
    code, result = call(f"{api}/candles", "POST", body, token=TOKEN)
    assert code == 200 and result["inserted"] + result["updated"] == 1
    bad = {**body, "bars": [{**bar, "high": 1.0}]}
    code, err = call(f"{api}/candles", "POST", bad, token=TOKEN)
    assert code == 422 and "high" in json.dumps(err)
    code, err = call(f"{api}/candles", "POST", {**body, "bars": [{**bar, "open": -1}]}, token=TOKEN)
    assert code == 422 and "open" in json.dumps(err)


def test_indicators_forecast_and_signals(api: str) -> None:
    code, rows = call(f"{api}/indicators/EURUSD/H1?spec=rsi_14,atr_14&last=5")
    assert code == 200 and len(rows) == 5 and 0 < rows[-1]["rsi_14"] < 100
    code, err = call(f"{api}/indicators/EURUSD/H1?spec=nope_3")
    assert code == 422 and "nope" in json.dumps(err)
    request = {"symbol": "EURUSD", "timeframe": "H1", "model": "random_walk", "samples": 200}
    code, result = call(f"{api}/forecast", "POST", {**request, "horizons": [1, 24]})
    assert code == 200 and [q["horizon"] for q in result["quantiles"]] == [1, 24]
    for q in result["quantiles"]:
        assert q["q05"] < q["q25"] < q["q50"] < q["q75"] < q["q95"]
    wide = result["quantiles"][1]["q95"] - result["quantiles"][1]["q05"]
    assert wide > result["quantiles"][0]["q95"] - result["quantiles"][0]["q05"]
    code, err = call(f"{api}/forecast", "POST", {**request, "horizons": [5]})
    assert code == 422 and "5" in json.dumps(err)
    code, err = call(f"{api}/forecast", "POST", {**request, "model": "diffusion"})
    assert code == 409 and "fxd train" in json.dumps(err)
    auto_request = {**request, "model": "auto", "horizons": [1, 24]}
    code, auto = call(f"{api}/forecast", "POST", auto_request)
    assert code == 200 and auto["model"] == "random_walk"  # no diffusion model registered
    assert auto["quantiles"] == result["quantiles"]  # the same seed, the same model
    code, err = call(f"{api}/forecast", "POST", {**request, "samples": 3})
    assert code == 422 and "samples" in json.dumps(err)
    assert call(f"{api}/signals/EURUSD/H1") == (200, [])


def test_forecast_with_a_checkpoint_that_cannot_be_loaded(tmp_path: Path) -> None:
    """A registered model whose file is gone or of an older format: 409 naming the fix."""
    from forex_diffusion.storage import TrainedModelRepository

    store = Store(f"sqlite:///{tmp_path / 'stale.sqlite'}")
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:300])
    stale = tmp_path / "old.pt"
    stale.write_bytes(b"a checkpoint of another version")
    TrainedModelRepository(store).register(
        model_id="diffusion-old",
        kind="diffusion",
        symbol="EURUSD",
        timeframe="H1",
        path=str(stale),
        config={},
        horizons=[1, 4, 12, 24],
        data_start_ms=0,
        data_end_ms=1,
        data_hash="x",
        metrics={},
    )
    request = {"symbol": "EURUSD", "timeframe": "H1", "model": "auto"}
    with serving(create_app(store, token=TOKEN)) as url:
        code, err = call(f"{url}/forecast", "POST", request)
    store.dispose()
    assert code == 409, err
    assert "cannot be loaded" in json.dumps(err) and "fxd train" in json.dumps(err)
