"""Misbehaving predictors for the inference tests (importable by the worker processes)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.events import Forecast


@dataclass
class Sleeper:
    model_id: str = "sleeper"
    horizons: tuple[int, ...] = (1, 4, 12, 24)

    def predict(self, candles: pd.DataFrame, **_: object) -> Forecast:
        time.sleep(3600)
        raise AssertionError("unreachable")


@dataclass
class Raiser:
    model_id: str = "raiser"
    horizons: tuple[int, ...] = (1, 4, 12, 24)

    def predict(self, candles: pd.DataFrame, **_: object) -> Forecast:
        raise ValueError("boom")


@dataclass
class Killer:
    model_id: str = "killer"
    horizons: tuple[int, ...] = (1, 4, 12, 24)

    def predict(self, candles: pd.DataFrame, **_: object) -> Forecast:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


@dataclass
class Garbage:
    model_id: str = "garbage"
    horizons: tuple[int, ...] = (1, 4, 12, 24)
    kind: str = "array"

    def predict(self, candles: pd.DataFrame, **_: object) -> object:
        if self.kind == "array":
            return np.full((3, 3), np.nan)
        return "not a forecast"


@dataclass
class Counter:
    """Counts how often it was unpickled (loaded) in a worker, via a file."""

    path: str
    model_id: str = "counter"
    horizons: tuple[int, ...] = (1,)

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        with open(self.path, "a") as fh:
            fh.write("load\n")

    def predict(self, candles: pd.DataFrame, **_: object) -> Forecast:
        price = float(candles["close"].iloc[-1])
        return Forecast(
            symbol="EURUSD",
            timeframe="H1",
            origin_ts=candles.index[-1],
            origin_price=price,
            horizons=(1,),
            quantile_levels=(0.1, 0.5, 0.9),
            quantiles=np.array([[price * 0.99, price, price * 1.01]]),
            model_id=self.model_id,
        )
