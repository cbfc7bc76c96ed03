"""The full chain on the bundled sample through the real ``fxd`` console script: a candle file
imported, indicators, patterns, a trained and registered forecaster, fusion and the engine in a
backtest of the ``fused`` strategy, the store and the report. Every signal source reaches
trades, and the stored run reproduces the metrics the backtest printed."""

from __future__ import annotations

import json
import math
import re
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from forex_diffusion.data import load_sample
from tests.cli.test_cli import fxd


def _json(env: dict[str, str], *args: str, timeout: float = 120) -> Any:
    result = fxd(env, *args, "--json", timeout=timeout)
    assert result.code == 0, f"fxd {' '.join(args)}: {result.err[-2000:]}"
    return json.loads(result.out)


def _close(a: Any, b: Any, where: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) <= set(b), where
        for key, value in a.items():
            _close(value, b[key], f"{where}.{key}")
    elif isinstance(a, float) and isinstance(b, float) and not (math.isnan(a) and math.isnan(b)):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), where
    elif not (isinstance(a, float) and math.isnan(a)):
        assert a == b, where


@pytest.mark.slow
def test_data_to_report_through_the_cli(env: dict[str, str], tmp_path: Path) -> None:
    # data: a plain CSV file through the loader, format and timeframe detected
    csv = tmp_path / "eurusd_h1.csv"
    load_sample().rename_axis("time").to_csv(csv)
    imported = fxd(env, "data", "import", str(csv), "--symbol", "EURUSD")
    assert imported.code == 0, imported.err
    [series] = _json(env, "data", "list")
    assert series["symbol"] == "EURUSD" and series["timeframe"] == "H1" and series["bars"] == 6225

    # indicators and patterns on the stored bars
    rows = _json(env, "indicators", "EURUSD", "H1", "--spec", "rsi_14,atr_14", "--last", "5")
    assert len(rows) == 5 and all(0 < r["rsi_14"] < 100 for r in rows)
    events = _json(env, "patterns", "EURUSD", "H1", "--last", "50")
    assert len(events) == 50 and {"candle"} <= {e["kind"] for e in events}

    # the forecaster: trained, registered, used
    # fitted up to October: the backtest from 2017-11-20 forecasts with it (its fit bars end
    # after it), instead of training one on its fit bars
    trained = fxd(
        env, "train", "EURUSD", "H1", "--epochs", "2", "--to", "2017-10-31",
        "--out", str(tmp_path / "m.pt"),
    )  # fmt: skip
    assert trained.code == 0, trained.err
    assert "bars up to 2017-10-31" in trained.out, trained.out
    forecast = _json(env, "forecast", "EURUSD", "H1", "--samples", "50")
    assert forecast

    # fusion -> quality gate -> risk -> broker -> store -> report, in one backtest
    report = tmp_path / "report.html"
    # the gate's selection is traded here ([signals] decision = gate): every source reaches
    # trades; the default edge decision waits for a skilful meta-model (tests/services)
    summary = _json(
        {**env, "FXD_SIGNALS__DECISION": "gate"},
        "backtest",
        "EURUSD",
        "H1",
        "--strategy",
        "fused",
        "--param",
        "samples=50",
        "--from",
        "2017-11-20",
        "--report",
        str(report),
        timeout=400,  # forecasts every bar with the diffusion model
    )
    forecaster = summary["decisions"]["forecaster"]
    assert forecaster.startswith("diffusion checkpoint diffusion-"), forecaster
    assert "fitted up to 2017-10-31" in forecaster, forecaster
    sources = summary["pnl_by_source"]
    assert {"forecast", "pattern"} <= set(sources), sources  # every source reaches trades
    assert summary["trade_count"] > 0 and summary["engine"] == "event"

    # the store reproduces what was printed
    stored = _json(env, "runs", "show", summary["run_id"])
    assert stored["kind"] == "backtest" and stored["status"] == "done"
    assert len(stored["trades"]) == summary["trade_count"]
    assert sum(stored["metrics"]["trades_by_source"].values()) == summary["trade_count"]
    _close(summary["metrics"], stored["metrics"], "metrics")
    net_pips = sum(t["pnl_pips"] for t in stored["trades"])
    assert net_pips == pytest.approx(summary["net_pips"], abs=1e-6)
    orders = {o["client_order_id"] for o in stored["orders"]}
    assert len(orders) == len(stored["orders"]) >= summary["trade_count"]

    # the report: self-contained, with the run's figures
    html = report.read_text(encoding="utf-8")
    assert re.search(r"<script[^>]*\bsrc=", html) is None and "Plotly.newPlot" in html
    assert summary["run_id"] in html
    assert f"forecaster: {html_escape(forecaster)}" in html
