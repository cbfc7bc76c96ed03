"""The reference sma_cross against backtesting.py on the EURUSD sample, costs off, through
both loops of ``run_backtest``."""

from __future__ import annotations

import numpy as np
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

from forex_diffusion.backtest.runner import run_backtest
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data.sample import load_sample

UNITS = 10_000


def _sma(values: np.ndarray, n: int) -> np.ndarray:
    """Each bar's mean over its own n-bar window, as the engine's sma_cross computes it (a
    running-sum SMA differs in the last bit, which flips exact ties on this sample)."""
    x = np.asarray(values, dtype=float)
    out = np.full(len(x), np.nan)
    out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n).mean(axis=1)
    return out


class SmaCross(Strategy):  # type: ignore[misc]
    fast, slow = 10, 30

    def init(self) -> None:
        self.f = self.I(_sma, self.data.Close, self.fast)
        self.s = self.I(_sma, self.data.Close, self.slow)

    def next(self) -> None:  # a cross to the side already held changes nothing (as ours)
        if crossover(self.f, self.s) and not self.position.is_long:
            self.position.close()
            self.buy(size=UNITS)
        elif crossover(self.s, self.f) and not self.position.is_short:
            self.position.close()
            self.sell(size=UNITS)


# backtesting.py 0.6.6 still calls DatetimeIndex.dayofweek (deprecated in pandas 3)
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.parametrize("engine", ["event", "compiled"])
@pytest.mark.parametrize(("fast", "slow"), [(10, 30), (5, 20)])
def test_sma_cross_matches_backtesting_py(fast: int, slow: int, engine: str) -> None:
    candles = load_sample()
    frame = candles.rename(columns=str.capitalize)
    frame.index = frame.index.tz_localize(None)
    stats = Backtest(
        frame, SmaCross, cash=100_000, commission=0, margin=1 / 30, finalize_trades=True
    ).run(fast=fast, slow=slow)
    theirs = stats["_trades"].reset_index(drop=True)
    config = TradingConfig(
        strategy="sma_cross",
        strategy_params={"fast": fast, "slow": slow, "stop_atr": 0, "units": UNITS},
    )
    ours = run_backtest(
        candles,
        symbol="EURUSD",
        timeframe="H1",
        config=config,
        costs=False,
        engine=engine,  # type: ignore[arg-type]
    )
    assert ours.engine == engine
    t = ours.trades
    assert len(t) == len(theirs) > 100
    assert (t["entry_time"].dt.tz_localize(None) == theirs["EntryTime"]).all()
    assert (t["exit_time"].dt.tz_localize(None) == theirs["ExitTime"]).all()
    assert (np.where(t["direction"] == "long", 1, -1) * UNITS == theirs["Size"]).all()
    assert t["entry_price"].to_numpy() == pytest.approx(theirs["EntryPrice"].to_numpy())
    # every exit but the last is the same fill; backtesting.py closes the last trade at the
    # last bar's open, we close at its close (the convention)
    assert t["exit_price"].to_numpy()[:-1] == pytest.approx(theirs["ExitPrice"].to_numpy()[:-1])
    assert t["pnl"].to_numpy()[:-1] == pytest.approx(theirs["PnL"].to_numpy()[:-1])
    last = candles.iloc[-1]
    side = 1 if t["direction"].iloc[-1] == "long" else -1
    gap = side * UNITS * (last["close"] - last["open"])
    assert ours.metrics["final_equity"] == pytest.approx(stats["Equity Final [$]"] + gap)
