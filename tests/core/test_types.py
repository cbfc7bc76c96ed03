from __future__ import annotations

from datetime import timedelta

import pytest

from forex_diffusion.core import ConfigError, Direction, Symbol, Timeframe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H1", Timeframe.H1),
        ("h1", Timeframe.H1),
        ("1h", Timeframe.H1),
        ("4h", Timeframe.H4),
        ("1m", Timeframe.M1),
        ("15m", Timeframe.M15),
        ("1d", Timeframe.D1),
        ("1W", Timeframe.W1),
        (" M30 ", Timeframe.M30),
    ],
)
def test_timeframe_parse_accepts_names_and_aliases(text: str, expected: Timeframe) -> None:
    assert Timeframe.parse(text) is expected


def test_timeframe_lengths() -> None:
    assert Timeframe.M15.minutes == 15
    assert Timeframe.H4.delta == timedelta(hours=4)
    assert Timeframe.W1.nanos == 7 * 24 * 3600 * 10**9
    assert [tf.minutes for tf in Timeframe] == sorted(tf.minutes for tf in Timeframe)


def test_timeframe_parse_rejects_unknown_with_known_list() -> None:
    with pytest.raises(ConfigError, match=r"unknown timeframe 'H2' \(known: M1"):
        Timeframe.parse("H2")


@pytest.mark.parametrize("text", ["EURUSD", "EUR/USD", "EUR_USD", "eur-usd", " eurusd "])
def test_symbol_parse_spellings(text: str) -> None:
    sym = Symbol.parse(text)
    assert (sym.base, sym.quote, sym.name, str(sym)) == ("EUR", "USD", "EURUSD", "EURUSD")


@pytest.mark.parametrize("text", ["EURUS", "EUR/USDX", "", "EUREUR", "12/34"])
def test_symbol_parse_rejects_bad_names(text: str) -> None:
    with pytest.raises(ConfigError, match="invalid symbol"):
        Symbol.parse(text)


def test_direction_sign_round_trip() -> None:
    assert [d.sign for d in Direction] == [1, -1, 0]
    assert Direction.from_sign(0.3) is Direction.BULL
    assert Direction.from_sign(-2) is Direction.BEAR
    assert Direction.from_sign(0.0) is Direction.NEUTRAL
    assert Direction("bull") is Direction.BULL
