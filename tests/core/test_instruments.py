from __future__ import annotations

import pytest

from forex_diffusion.core import ConfigError, convert_amount, get_instrument, pip_value


@pytest.mark.parametrize(
    ("symbol", "pip", "digits"),
    [("EURUSD", 0.0001, 5), ("USDJPY", 0.01, 3), ("EUR/JPY", 0.01, 3), ("GBP_CHF", 0.0001, 5)],
)
def test_pip_size_and_digits(symbol: str, pip: float, digits: int) -> None:
    inst = get_instrument(symbol)
    assert inst.pip_size == pip
    assert inst.price_digits == digits
    assert inst.lot_size == 100_000
    assert inst.to_pips(3 * pip) == pytest.approx(3.0)
    assert inst.from_pips(2.5) == pytest.approx(2.5 * pip)


def test_pip_value_quote_is_account_currency() -> None:
    # 100,000 EUR x 0.0001 USD per pip = 10 USD per pip, whatever the price
    assert pip_value("EURUSD", price=1.1, account_currency="USD") == pytest.approx(10.0)
    assert pip_value("EURUSD", units=25_000, price=1.3, account_currency="USD") == pytest.approx(
        2.5
    )


def test_pip_value_base_is_account_currency() -> None:
    # USDJPY at 150: one pip = 100,000 x 0.01 JPY = 1,000 JPY = 1000 / 150 USD
    assert pip_value("USDJPY", price=150.0, account_currency="USD") == pytest.approx(1000 / 150)
    # EURUSD for a EUR account at 1.25: 10 USD = 8 EUR
    assert pip_value("EURUSD", price=1.25, account_currency="EUR") == pytest.approx(8.0)


def test_pip_value_third_currency_needs_a_rate() -> None:
    # EURGBP for a USD account: 10 GBP per pip, GBPUSD 1.30 -> 13 USD
    assert pip_value(
        "EURGBP", price=0.85, account_currency="USD", rates={"GBPUSD": 1.30}
    ) == pytest.approx(13.0)
    # EURJPY for a USD account via USDJPY (inverse direction): 1000 JPY / 125 = 8 USD
    assert pip_value(
        "EURJPY", price=140.0, account_currency="USD", rates={"USDJPY": 125.0}
    ) == pytest.approx(8.0)
    with pytest.raises(ConfigError, match="need GBPUSD or USDGBP"):
        pip_value("EURGBP", price=0.85, account_currency="USD")


def test_convert_amount_rejects_bad_rates() -> None:
    assert convert_amount(5.0, from_ccy="usd", to_ccy="USD", rates={}) == 5.0
    with pytest.raises(ConfigError, match="must be positive"):
        convert_amount(1.0, from_ccy="EUR", to_ccy="USD", rates={"EURUSD": 0.0})
