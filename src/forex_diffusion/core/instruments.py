"""Instrument facts: pip size, lot size, pip value and currency conversion."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.types import Symbol

__all__ = ["STANDARD_LOT", "Instrument", "convert_amount", "get_instrument", "pip_value"]

STANDARD_LOT = 100_000.0
"""Units of the base currency in one standard lot."""


@dataclass(frozen=True, slots=True)
class Instrument:
    """Trading facts of one currency pair.

    Attributes
    ----------
    symbol
        The pair.
    pip_size
        Price change of one pip: 0.0001, or 0.01 for pairs quoted in JPY.
    lot_size
        Units of the base currency in one standard lot.
    min_lot, lot_step
        Smallest order and order granularity, in lots.
    price_digits
        Decimals quoted (one more than the pip: fractional pips).
    """

    symbol: Symbol
    pip_size: float
    lot_size: float = STANDARD_LOT
    min_lot: float = 0.01
    lot_step: float = 0.01
    price_digits: int = 5

    @property
    def name(self) -> str:
        """Canonical symbol name."""
        return self.symbol.name

    def to_pips(self, price_move: float) -> float:
        """A price difference expressed in pips."""
        return price_move / self.pip_size

    def from_pips(self, pips: float) -> float:
        """A number of pips expressed as a price difference."""
        return pips * self.pip_size


@functools.lru_cache(maxsize=512)
def get_instrument(symbol: str | Symbol) -> Instrument:
    """Facts for a currency pair; the pip is 0.01 for pairs quoted in JPY, else 0.0001
    (cached: the trading loop asks on every bar)."""
    sym = Symbol.parse(symbol)
    if sym.quote == "JPY":
        return Instrument(symbol=sym, pip_size=0.01, price_digits=3)
    return Instrument(symbol=sym, pip_size=0.0001, price_digits=5)


def convert_amount(
    amount: float, *, from_ccy: str, to_ccy: str, rates: Mapping[str, float]
) -> float:
    """Convert ``amount`` between currencies with the rates at hand.

    Parameters
    ----------
    amount
        Amount in ``from_ccy``.
    from_ccy, to_ccy
        Three-letter currency codes.
    rates
        Current prices keyed by pair name (``{"USDJPY": 150.2, "EURUSD": 1.08}``): a pair quoted
        either way works; a missing pair is a ``ConfigError`` naming it.
    """
    src, dst = from_ccy.upper(), to_ccy.upper()
    if src == dst:
        return amount
    direct, inverse = f"{src}{dst}", f"{dst}{src}"
    if direct in rates:
        return amount * _positive_rate(direct, rates[direct])
    if inverse in rates:
        return amount / _positive_rate(inverse, rates[inverse])
    raise ConfigError(f"no rate to convert {src} to {dst}: need {direct} or {inverse}")


def _positive_rate(pair: str, rate: float) -> float:
    if not rate > 0:
        raise ConfigError(f"rate for {pair} must be positive, got {rate!r}")
    return float(rate)


def pip_value(
    symbol: str | Symbol,
    *,
    units: float = STANDARD_LOT,
    price: float,
    account_currency: str,
    rates: Mapping[str, float] | None = None,
) -> float:
    """Value of one pip on a position of ``units`` base units, in the account currency.

    One pip on ``units`` is worth ``units * pip_size`` in the quote currency; that amount is
    converted to the account currency with ``price`` (this pair's rate, enough when the account
    currency is the base or the quote) or, for a third currency, with ``rates``.

    Examples
    --------
    >>> round(pip_value("EURUSD", price=1.10, account_currency="USD"), 6)
    10.0
    >>> round(pip_value("USDJPY", price=150.0, account_currency="USD"), 6)
    6.666667
    """
    inst = get_instrument(symbol)
    quote_amount = units * inst.pip_size
    known = {inst.name: price, **(rates or {})}
    return convert_amount(
        quote_amount, from_ccy=inst.symbol.quote, to_ccy=account_currency, rates=known
    )
