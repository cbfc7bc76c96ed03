"""The HTML report: self-contained, every section present, the data drawn."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forex_diffusion.backtest.report import scanned_marks, write_report
from forex_diffusion.backtest.runner import run_backtest
from forex_diffusion.core.events import Forecast
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data.sample import load_sample


def test_report_is_self_contained_with_every_section(tmp_path: Path) -> None:
    candles = load_sample().iloc[:1500]
    result = run_backtest(
        candles, symbol="EURUSD", timeframe="H1", config=TradingConfig(strategy="sma_cross")
    )
    origin = candles.index[1000]
    fan = Forecast(
        symbol="EURUSD",
        timeframe="H1",
        origin_ts=origin,
        origin_price=float(candles["close"].iloc[1000]),
        horizons=(1, 4, 12, 24),
        quantile_levels=(0.1, 0.25, 0.5, 0.75, 0.9),
        quantiles=float(candles["close"].iloc[1000])
        + np.outer([1, 2, 3, 4], [-4, -2, 0, 2, 4]) * 1e-4,
        model_id="test",
    )
    marks = scanned_marks(candles)
    path = write_report(
        tmp_path / "out" / "report.html",
        title="sma_cross test",
        symbol="EURUSD",
        timeframe_delta=pd.Timedelta(hours=1),
        candles=candles,
        trades=result.trades,
        equity=result.equity,
        metrics=result.metrics,
        pnl_by_source=result.pnl_by_source,
        patterns=marks,
        forecasts=[fan],
    )
    text = path.read_text(encoding="utf-8")
    assert re.search(r"<script[^>]*\bsrc=", text) is None  # nothing fetched from a CDN
    assert "Plotly.newPlot" in text and len(text) > 3_000_000  # plotly.js is inlined
    for section in (
        "Price, patterns, forecasts, entries and exits",
        "Equity and drawdown",
        "Metrics",
        "P&amp;L by signal source",
        "Quality gate",
    ):
        assert f"<h2>{section}</h2>" in text
    assert "forecast median" in text and "long entries" in text and "exits" in text
    assert "bull patterns" in text and len(marks) > 10
    assert "sharpe" in text and "max_drawdown" in text and "sma_cross" in text
    assert "scores no signals through the quality gate" in text
