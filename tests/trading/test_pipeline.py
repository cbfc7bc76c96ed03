"""The whole pipeline on the sample: candles -> patterns and forecasts -> fusion and the gate ->
risk and sizing -> paper broker -> store, with trades from both source types."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import text

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.trading_config import RiskConfig, TradingConfig
from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import (
    CandleRepository,
    FusedSignalRepository,
    Store,
    TradingRepository,
)
from forex_diffusion.trading.paper import start_paper
from forex_diffusion.trading.strategies.fusion import FusionStrategy


def test_patterns_and_forecasts_reach_trades_and_everything_is_stored(
    sqlite_store: Store, tmp_path: Path
) -> None:
    candles = load_sample().iloc[:1500]
    CandleRepository(sqlite_store).upsert("EURUSD", "H1", candles)
    config = TradingConfig(
        strategy="fused",
        strategy_params={"forecaster": "bootstrap", "fit_bars": 1000, "samples": 100},
        risk=RiskConfig(max_drawdown=0.9, daily_loss_limit=0.5),
    )
    start = pd.Timestamp(candles.index[999])
    run = start_paper(
        sqlite_store,
        run_id="pipe",
        symbol="EURUSD",
        timeframe="H1",
        config=config,
        start=start,
        signals=SignalsConfig(decision="gate"),  # what reaches trades: the gate's selection
    )
    bars = run.loop(until_idle=True, poll_seconds=0.1)
    assert bars == 500 and run.engine.state.value == "running", run.engine.reason
    trades = TradingRepository(sqlite_store).trades("pipe")
    assert {"pattern", "forecast"} <= set(trades["source"]), trades["source"].value_counts()
    # the first decision is made on the first traded bar, after fitting on the 1000 before it
    assert trades["entry_time"].min() > start
    signals = FusedSignalRepository(sqlite_store).load("EURUSD", "H1", run_id="pipe")
    assert signals["passed"].any() and (~signals["passed"]).any()
    assert set(signals["source"]) == {"pattern", "forecast"}
    assert signals["ts"].min() >= start
    # every opening order carries the signal it came from, and that signal passed the gate
    with sqlite_store.session() as session:
        with_signal = session.execute(
            text("SELECT COUNT(*) FROM orders WHERE run_id = 'pipe' AND signal_id IS NOT NULL")
        ).scalar()
        linked = session.execute(
            text(
                "SELECT COUNT(*) FROM orders o JOIN fused_signals s ON s.signal_id = o.signal_id "
                "WHERE o.run_id = 'pipe' AND s.passed"
            )
        ).scalar()
    assert with_signal and with_signal >= len(trades) // 2 and linked == with_signal

    # the report draws the gate's statistics and the passed patterns from what was stored
    from forex_diffusion.backtest.report import pattern_marks, write_report

    strategy = run.engine.strategy
    assert isinstance(strategy, FusionStrategy)
    fans = strategy.forecasts_at("EURUSD", "H1", candles, [1100, 1300])
    assert [f.origin_ts for f in fans] == [candles.index[1100], candles.index[1300]]
    equity = TradingRepository(sqlite_store).equity("pipe")["equity"]
    html = write_report(
        tmp_path / "pipe.html",
        title="pipeline",
        symbol="EURUSD",
        timeframe_delta=pd.Timedelta(hours=1),
        candles=candles.iloc[1000:],
        trades=trades,  # the run's trades are in the store (the engine keeps a window)
        equity=equity,
        metrics={"trade_count": 1},
        pnl_by_source={"pattern": 1.0, "forecast": -1.0},
        patterns=pattern_marks(signals),
        forecasts=fans,
        signals=signals,
    ).read_text(encoding="utf-8")
    assert "signals scored, pass rate" in html and "regime_confidence" in html
    assert "bull patterns" in html or "bear patterns" in html
