"""The dashboard in a real headless Chromium (Debian ``chromium`` and ``chromium-driver``,
installed by ``.ci/run``): it loads without console errors, its chart and tables show what the
store holds, it follows a paper run as bars arrive, and a screenshot is kept as an artifact
(``FXD_TEST_ARTIFACTS``, default ``.work/artifacts``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from forex_diffusion.api.app import create_app
from forex_diffusion.backtest.runner import run_backtest
from forex_diffusion.core.events import FusedSignal
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data import load_sample
from forex_diffusion.intelligence.signal_quality_scorer import DIMENSIONS
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.storage import (
    CandleRepository,
    FusedSignalRepository,
    PatternEventRepository,
    RunRepository,
    Store,
)
from forex_diffusion.trading.recording import BufferedRecorder
from tests.api.http import artifacts_dir, call, serving, wait_for

TOKEN = "dashboard-token"
STORED = 1500


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = "the dashboard test needs Debian's chromium and chromium-driver (see .ci/run)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1500,2200",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _signals(run_id: str, candles: pd.DataFrame) -> list[tuple[FusedSignal, bool]]:
    out = []
    for k, ts in enumerate(candles.index[-40::4]):
        price = float(candles.loc[ts, "close"])
        quality = {d: 0.3 + 0.05 * ((k + i) % 10) for i, d in enumerate(DIMENSIONS)}
        quality["composite"] = sum(quality.values()) / 6
        sign = 1 if k % 2 else -1
        signal = FusedSignal(
            signal_id=f"{run_id}-s{k}",
            source="pattern",
            symbol="EURUSD",
            timeframe="H1",
            direction="bull" if sign > 0 else "bear",
            strength=0.5,
            quality=quality,
            regime="trend",
            entry_price=price,
            target_price=price * (1 + sign * 0.002),
            stop_price=price * (1 - sign * 0.001),
            timestamp=ts,
            valid_until=ts + pd.Timedelta(hours=6),
        )
        out.append((signal, quality["composite"] > 0.5))
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, dict[str, Any]]]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('dash') / 'dash.sqlite'}")
    store.ensure_schema()
    candles = load_sample().iloc[:STORED]
    CandleRepository(store).upsert("EURUSD", "H1", candles)
    PatternEventRepository(store).replace("EURUSD", "H1", PatternRegistry().detect(candles))
    config = TradingConfig(strategy="sma_cross", strategy_params={"fast": 5, "slow": 20})
    RunRepository(store).create(
        kind="backtest", config_hash="h", symbol="EURUSD", timeframe="H1", run_id="bt-dash"
    )
    recorder = BufferedRecorder(store, "bt-dash")
    result = run_backtest(
        candles, symbol="EURUSD", timeframe="H1", config=config, run_id="bt-dash", recorder=recorder
    )
    recorder.flush()
    RunRepository(store).finish("bt-dash", metrics=result.summary())
    FusedSignalRepository(store).save(_signals("bt-dash", candles), run_id="bt-dash")
    with serving(create_app(store, token=TOKEN, poll_seconds=0.1)) as url:
        yield url, store, {"trades": len(result.trades)}
    store.dispose()


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _rows(driver: Any, table: str) -> list[list[str]]:
    rows = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map("
        "tr => [...tr.cells].map(td => td.textContent));",
        f"#{table} tbody tr",
    )
    return [list(r) for r in rows]


def _refreshes(driver: Any) -> int:
    return int(driver.execute_script("return Number(document.body.dataset.refreshes || 0);"))


def test_the_dashboard_shows_the_store(
    browser: Any, site: tuple[str, Store, dict[str, Any]]
) -> None:
    url, _store, facts = site
    browser.get(f"{url}/dashboard?run=bt-dash&interval=1")
    wait_for(lambda: _refreshes(browser) >= 1, what="the first refresh")
    assert _errors(browser) == []
    assert "refresh failed" not in browser.find_element("id", "status").text

    traces = browser.execute_script(
        "return document.getElementById('price-chart').data.map("
        "t => ({type: t.type, name: t.name || '', n: (t.x || []).length}));"
    )
    candles = next(t for t in traces if t["type"] == "candlestick")
    assert candles["n"] == 400  # the default window
    last = load_sample().index[STORED - 1].isoformat()
    assert (
        browser.execute_script("return document.getElementById('price-chart').dataset.lastBar")
        == last
    )
    marks = sum(t["n"] for t in traces if t["name"].endswith("patterns"))
    assert marks > 0, traces
    assert any(t["name"].startswith("forecast median") for t in traces), traces

    trades = _rows(browser, "trades")
    assert len(trades) == min(facts["trades"], 200) and facts["trades"] > 0
    signals = _rows(browser, "signals")
    assert len(signals) == 10 and {r[-1] for r in signals} <= {"pass", "reject"}
    assert all(len(r) == 12 for r in signals)
    equity = browser.execute_script(
        "return document.getElementById('equity-chart').data[0].x.length"
    )
    assert equity == STORED
    metrics = {r[0]: r[1] for r in _rows(browser, "metrics")}
    assert metrics["trades"] == str(facts["trades"]) and metrics["kind"] == "backtest"

    shot = artifacts_dir() / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_the_dashboard_follows_a_paper_run(
    browser: Any, site: tuple[str, Store, dict[str, Any]]
) -> None:
    url, _store, _facts = site
    sample = load_sample()
    body = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "paper-dash"}
    body |= {"strategy": "sma_cross", "params": {"fast": 10, "slow": 40}}
    assert call(f"{url}/paper", "POST", body, token=TOKEN)[0] == 201
    browser.get(f"{url}/dashboard?run=paper-dash&interval=1")
    wait_for(
        lambda: any(r[0] == "paper-dash" for r in _rows(browser, "paper")), what="the paper table"
    )
    new = sample.iloc[STORED : STORED + 24]
    bars = [
        {"time": ts.isoformat(), **{k: float(row[k]) for k in row.index}}
        for ts, row in new.iterrows()
    ]
    code, _ = call(
        f"{url}/candles", "POST", {"symbol": "EURUSD", "timeframe": "H1", "bars": bars}, token=TOKEN
    )
    assert code == 200
    last = new.index[-1].isoformat()
    wait_for(
        lambda: (
            browser.execute_script("return document.getElementById('price-chart').dataset.lastBar")
            == last
        ),
        what="the chart to show the new bars",
    )
    row = wait_for(
        lambda: next(
            (
                r
                for r in _rows(browser, "paper")
                if r[0] == "paper-dash" and r[4] == last[:16].replace("T", " ")
            ),
            None,
        ),
        what="the paper table to show the run's last bar",
    )
    assert row[3] == "running"
    equity = wait_for(
        lambda: (
            browser.execute_script(
                "return document.getElementById('equity-chart').data[0].x.length"
            )
            == STORED + 24
        ),
        what="the equity curve to grow",
    )
    assert equity
    assert _errors(browser) == []
    browser.save_screenshot(str(artifacts_dir() / "dashboard-paper.png"))
