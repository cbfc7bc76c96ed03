"""The reference strategies decide on closed bars only, with the rules their docstrings give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Position
from forex_diffusion.trading.broker import Account
from forex_diffusion.trading.strategies import STRATEGIES, BarView, make_strategy
from tests.trading.test_automated_trading_engine import frame

ACCOUNT = Account("USD", 1e5, 1e5, 0.0, 0.0)


def position(side: str) -> Position:
    return Position(
        position_key="p",
        symbol="EURUSD",
        side=side,
        units=1000.0,  # type: ignore[arg-type]
        entry_price=1.1,
        entry_ts=pd.Timestamp("2017-01-01", tz="UTC"),
    )


def decisions(
    name: str, closes: list[float], side: str | None = None, **params: object
) -> list[tuple[int, str]]:
    strategy = make_strategy(name, params)
    candles = frame(closes)
    held = [position(side)] if side else []
    out = []
    for i in range(strategy.warmup, len(candles) + 1):
        view = BarView("EURUSD", "H1", candles.iloc[:i], held, ACCOUNT)
        out += [(i - 1, intent.direction) for intent in strategy.on_bar(view).intents]
    return out


def test_all_three_are_registered() -> None:
    assert {"sma_cross", "rsi_reversion", "donchian_breakout"} <= set(STRATEGIES.keys())


def test_rsi_reversion_buys_the_cross_back_above_30_and_exits_at_50() -> None:
    down = list(np.linspace(1.2, 1.1, 20))
    up = list(np.linspace(1.1, 1.15, 15))
    got = decisions("rsi_reversion", down + up, units=1000, stop_atr=0)
    assert got and got[0][1] == "long" and got[0][0] >= 20
    exits = decisions("rsi_reversion", up + down, side="long", units=1000, stop_atr=0)
    assert "flat" in {d for _, d in exits}


def test_donchian_breaks_out_above_the_channel_and_exits_below_the_short_one() -> None:
    flat = [1.10 + 0.001 * ((i * 7) % 3) for i in range(25)]
    got = decisions("donchian_breakout", [*flat, 1.12], entry=20, exit=10)
    assert got == [(25, "long")]
    got = decisions("donchian_breakout", [*flat, 1.099], side="long", entry=20, exit=10)
    assert got == [(25, "short")]  # below the 20-bar low as well: reverse
    got = decisions(
        "donchian_breakout", [*flat, 1.106, 1.106, 1.106, 1.103], side="long", entry=20, exit=2
    )
    assert got == [(28, "flat")]


def test_the_atr_stop_is_below_a_long_entry() -> None:
    strategy = make_strategy("donchian_breakout", {"stop_atr": 2.0})
    candles = frame([1.10 + 0.001 * ((i * 7) % 3) for i in range(25)] + [1.12])
    (intent,) = strategy.on_bar(BarView("EURUSD", "H1", candles, [], ACCOUNT)).intents
    assert intent.stop is not None and 1.10 < intent.stop < 1.12 and intent.units is None


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sma_cross", {"fast": 30, "slow": 10}, "fast \\(30\\) must be shorter"),
        ("sma_cross", {"stop_atr": 0}, "a fixed 'units' is needed"),
        ("rsi_reversion", {"lower": 60}, "parameter 'lower'"),
        ("donchian_breakout", {"bogus": 1}, "parameter 'bogus'"),
    ],
)
def test_bad_parameters_are_named(name: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_strategy(name, params)
