"""Walk-forward folds, purge and embargo, retraining per fold, and a leakage check that fails."""

from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.backtest.walkforward import (
    LeakageError,
    check_leakage,
    make_folds,
    run_walkforward,
)
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.errors import DataError
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data.sample import load_sample
from forex_diffusion.trading.strategies import NOTHING, STRATEGIES, BarView, Decision, Strategy

H1 = pd.Timedelta(hours=1)


def test_rolling_folds_tile_the_test_period_with_a_gap() -> None:
    folds = make_folds(1000, folds=3, train_bars=400, purge=24, embargo=6)
    assert [(f.train_start, f.train_end, f.test_start, f.test_end) for f in folds] == [
        (0, 400, 430, 620),
        (190, 590, 620, 810),
        (380, 780, 810, 1000),
    ]
    assert all(f.gap == 30 and f.train_end - f.train_start == 400 for f in folds)


def test_anchored_folds_train_from_the_first_bar() -> None:
    folds = make_folds(1000, folds=2, train_bars=500, purge=10, anchored=True)
    assert [(f.train_start, f.train_end, f.test_start) for f in folds] == [
        (0, 500, 510),
        (0, 745, 755),
    ]
    with pytest.raises(DataError, match="cannot hold 10 test folds"):
        make_folds(100, folds=10, train_bars=95, purge=2)


def test_check_leakage_fails_on_overlap_and_on_short_purges() -> None:
    start = pd.Timestamp("2017-06-01 00:00", tz="UTC")
    check_leakage(trained_until=start - 25 * H1, test_start=start, horizon=24, bar=H1)
    with pytest.raises(LeakageError, match="at or after the test start"):
        check_leakage(trained_until=start, test_start=start, horizon=0, bar=H1)
    with pytest.raises(LeakageError, match="purge at least 24 bars"):
        check_leakage(trained_until=start - 10 * H1, test_start=start, horizon=24, bar=H1)


class Peeking(Strategy):
    """Claims to have been fitted on the bar it decides on: the check must catch it."""

    name = "peeking_test"
    trained_until: pd.Timestamp | None = None

    def on_bar(self, view: BarView) -> Decision:
        self.trained_until = pd.Timestamp(view.candles.index[-1])
        return NOTHING


def test_a_fold_whose_model_saw_its_test_period_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # registered for this test only: other tests list every shipped strategy
    monkeypatch.setitem(STRATEGIES._items, "peeking_test", Peeking)
    candles = load_sample().iloc[:600]
    folds = make_folds(len(candles), folds=2, train_bars=200, purge=24)
    with pytest.raises(LeakageError, match="at or after the test start"):
        run_walkforward(
            candles,
            symbol="EURUSD",
            timeframe="H1",
            config=TradingConfig(strategy="peeking_test"),
            folds=folds,
            horizon=24,
        )


def test_fused_walkforward_retrains_per_fold_and_purges() -> None:
    candles = load_sample().iloc[:2400]
    folds = make_folds(len(candles), folds=2, train_bars=1000, purge=24, embargo=0)
    config = TradingConfig(
        strategy="fused", strategy_params={"forecaster": "bootstrap", "samples": 50}
    )
    wf = run_walkforward(  # the gate's selection is traded: trades to check (the edge may wait)
        candles,
        symbol="EURUSD",
        timeframe="H1",
        config=config,
        signals=SignalsConfig(decision="gate"),
        folds=folds,
        horizon=24,
    )
    trained = [f.trained_until for f in wf.folds]
    assert trained == [candles.index[f.train_end - 1] for f in folds]  # each fold its own fit
    for f in wf.folds:
        assert f.trained_until is not None and f.trained_until + 24 * H1 < f.test[0]
        assert f.result.trades.empty or f.result.trades["entry_time"].min() > f.test[0]
    assert len(wf.trades) == sum(len(f.result.trades) for f in wf.folds) > 0
    assert wf.metrics["trade_count"] == len(wf.trades)
    # a purge shorter than the label horizon is refused
    short = make_folds(len(candles), folds=2, train_bars=1000, purge=5)
    with pytest.raises(LeakageError, match="purge at least 24 bars"):
        run_walkforward(
            candles.iloc[:1400],
            symbol="EURUSD",
            timeframe="H1",
            config=config,
            folds=[short[0]],
            horizon=24,
        )
