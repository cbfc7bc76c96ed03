"""The anchor strategy of the backtest benchmarks: SMA 10/30 reversals in backtesting.py, with
fixed 10,000 units (the rules of ``sma_cross`` with ``stop_atr=0``)."""

from __future__ import annotations

import numpy as np
from backtesting import Strategy
from backtesting.lib import crossover

UNITS = 10_000


def _sma(values: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    out = np.full(len(x), np.nan)
    out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n).mean(axis=1)
    return out


class SmaCross(Strategy):  # type: ignore[misc]
    def init(self) -> None:
        self.f = self.I(_sma, self.data.Close, 10)
        self.s = self.I(_sma, self.data.Close, 30)

    def next(self) -> None:
        if crossover(self.f, self.s) and not self.position.is_long:
            self.position.close()
            self.buy(size=UNITS)
        elif crossover(self.s, self.f) and not self.position.is_short:
            self.position.close()
            self.sell(size=UNITS)
