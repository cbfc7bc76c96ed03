"""The API under concurrent requests from a local client while a paper run trades and bars
arrive on the live feed: no error, every bar traded, latency percentiles recorded (in
``.work/artifacts/load.json``; not asserted, the machines are shared)."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from forex_diffusion.api.app import create_app
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, Store
from tests.api.http import artifacts_dir, call, serving, wait_for

TOKEN = "load-token"
STORED = 3000
ARRIVING = 48
REQUESTS = 400
CLIENTS = 8


def _get(url: str) -> tuple[int, float]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        return response.status, time.perf_counter() - start


def test_concurrent_reads_while_a_paper_run_trades(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'load.sqlite'}")
    store.ensure_schema()
    sample = load_sample()
    CandleRepository(store).upsert("EURUSD", "H1", sample.iloc[:STORED])
    with serving(create_app(store, token=TOKEN, poll_seconds=0.1)) as url:
        body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "load", "strategy": "sma_cross"}
        assert call(f"{url}/paper", "POST", body, token=TOKEN)[0] == 201
        paths = [
            "/symbols",
            "/candles/EURUSD/H1?last=300",
            "/paper/load",
            "/runs/load",
            "/indicators/EURUSD/H1?spec=rsi_14&last=50",
            "/paper",
            "/runs",
        ]
        urls = [f"{url}{paths[i % len(paths)]}" for i in range(REQUESTS)]
        began = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            reads = pool.map(_get, urls)
            for i in range(ARRIVING):  # the live feed, one bar at a time, meanwhile
                ts = sample.index[STORED + i]
                bar = {"time": ts.isoformat(), **sample.iloc[STORED + i].to_dict()}
                new = {"symbol": "EURUSD", "timeframe": "H1", "bars": [bar]}
                assert call(f"{url}/candles", "POST", new, token=TOKEN)[0] == 200
            results = list(reads)
        elapsed = time.perf_counter() - began
        last = sample.index[STORED + ARRIVING - 1].isoformat()
        wait_for(
            lambda: call(f"{url}/paper/load")[1]["last_bar"] == last,
            what="the run to trade every arriving bar",
        )
        code, snapshot = call(f"{url}/paper/load")
        assert code == 200 and snapshot["state"] in ("running", "paused")
        assert snapshot["bars"] == STORED + ARRIVING
    store.dispose()
    assert [code for code, _ in results] == [200] * REQUESTS
    latency = np.array([s for _, s in results]) * 1000
    figures = {
        "requests": REQUESTS,
        "clients": CLIENTS,
        "bars_arriving": ARRIVING,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(REQUESTS / elapsed, 1),
        "latency_ms": {f"p{q}": round(float(np.percentile(latency, q)), 1) for q in (50, 95, 99)},
    }
    (artifacts_dir() / "load.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
