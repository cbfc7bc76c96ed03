"""The ``talib`` backend (default): TA-Lib computes what it has; composites are built from it.

Donchian channels come from TA-Lib MAX/MIN, Keltner channels from its EMA and ATR; TA-Lib has
no Hurst exponent, so the shared NumPy kernel serves both backends.
"""

from __future__ import annotations

import talib

from forex_diffusion.features.hurst import hurst_exponent
from forex_diffusion.features.kernels import Array

__all__ = [
    "adx",
    "atr",
    "bb",
    "cci",
    "donchian",
    "ema_",
    "hurst",
    "keltner",
    "macd",
    "roc",
    "rsi",
    "sma",
    "stoch",
    "willr",
]


SMA = talib.MA_Type.SMA  # type: ignore[attr-defined]  # not re-exported by talib's stubs


def sma(close: Array, period: int) -> tuple[Array]:
    return (talib.SMA(close, timeperiod=period),)


def ema_(close: Array, period: int) -> tuple[Array]:
    return (talib.EMA(close, timeperiod=period),)


def rsi(close: Array, period: int) -> tuple[Array]:
    return (talib.RSI(close, timeperiod=period),)


def atr(high: Array, low: Array, close: Array, period: int) -> tuple[Array]:
    return (talib.ATR(high, low, close, timeperiod=period),)


def macd(close: Array, fast: int, slow: int, signal: int) -> tuple[Array, Array, Array]:
    line, sig, hist = talib.MACD(close, fastperiod=fast, slowperiod=slow, signalperiod=signal)
    return line, sig, hist


def bb(close: Array, period: int, nbdev: float) -> tuple[Array, Array, Array]:
    upper, middle, lower = talib.BBANDS(
        close, timeperiod=period, nbdevup=nbdev, nbdevdn=nbdev, matype=SMA
    )
    return upper, middle, lower


def stoch(
    high: Array, low: Array, close: Array, fastk: int, slowk: int, slowd: int
) -> tuple[Array, Array]:
    k, d = talib.STOCH(
        high,
        low,
        close,
        fastk_period=fastk,
        slowk_period=slowk,
        slowk_matype=SMA,
        slowd_period=slowd,
        slowd_matype=SMA,
    )
    return k, d


def adx(high: Array, low: Array, close: Array, period: int) -> tuple[Array, Array, Array]:
    return (
        talib.ADX(high, low, close, timeperiod=period),
        talib.PLUS_DI(high, low, close, timeperiod=period),
        talib.MINUS_DI(high, low, close, timeperiod=period),
    )


def donchian(high: Array, low: Array, period: int) -> tuple[Array, Array, Array]:
    upper = talib.MAX(high, timeperiod=period)
    lower = talib.MIN(low, timeperiod=period)
    return upper, (upper + lower) / 2.0, lower


def keltner(
    high: Array, low: Array, close: Array, period: int, atr_period: int, mult: float
) -> tuple[Array, Array, Array]:
    middle = talib.EMA(close, timeperiod=period)
    band = talib.ATR(high, low, close, timeperiod=atr_period)
    return middle + mult * band, middle, middle - mult * band


def willr(high: Array, low: Array, close: Array, period: int) -> tuple[Array]:
    return (talib.WILLR(high, low, close, timeperiod=period),)


def cci(high: Array, low: Array, close: Array, period: int) -> tuple[Array]:
    return (talib.CCI(high, low, close, timeperiod=period),)


def roc(close: Array, period: int) -> tuple[Array]:
    return (talib.ROC(close, timeperiod=period),)


def hurst(close: Array, window: int) -> tuple[Array]:
    return (hurst_exponent(close, window),)
