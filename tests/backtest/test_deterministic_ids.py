"""The same backtest twice stores the same signal ids (they derive from run, series, bar,
source and key, not from a random uuid)."""

from __future__ import annotations

from pathlib import Path

from forex_diffusion.backtest.runner import run_backtest
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import FusedSignalRepository, RunRepository, Store
from forex_diffusion.trading.recording import BufferedRecorder


def _signal_ids(path: Path, run_id: str) -> list[str]:
    candles = load_sample().iloc[:1200]
    store = Store(f"sqlite:///{path}")
    store.ensure_schema()
    try:
        config = TradingConfig(
            strategy="fused", strategy_params={"forecaster": "bootstrap", "samples": 50}
        )
        with RunRepository(store).recording(kind="backtest", config_hash="h", run_id=run_id):
            recorder = BufferedRecorder(store, run_id)
            result = run_backtest(
                candles.iloc[1100:],
                symbol="EURUSD",
                timeframe="H1",
                config=config,
                run_id=run_id,
                recorder=recorder,
                warmup=candles.iloc[:1100],
            )
            recorder.flush()
        assert not result.failed
        return list(FusedSignalRepository(store).load("EURUSD", "H1", run_id=run_id)["signal_id"])
    finally:
        store.dispose()


def test_the_same_backtest_twice_stores_the_same_signal_ids(tmp_path: Path) -> None:
    first = _signal_ids(tmp_path / "a.sqlite", "same")
    assert len(first) > 10 and len(set(first)) == len(first)
    assert _signal_ids(tmp_path / "b.sqlite", "same") == first
    assert set(_signal_ids(tmp_path / "c.sqlite", "other")).isdisjoint(first)
