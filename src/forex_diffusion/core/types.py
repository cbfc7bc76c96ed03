"""Basic value types: trade direction, bar timeframe and currency-pair symbol."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from forex_diffusion.core.errors import ConfigError

__all__ = ["Direction", "Symbol", "Timeframe"]


class Direction(StrEnum):
    """Direction of a pattern, forecast or signal."""

    BULL = "bull"
    BEAR = "bear"
    NEUTRAL = "neutral"

    @property
    def sign(self) -> int:
        """+1 for bull, -1 for bear, 0 for neutral."""
        return {"bull": 1, "bear": -1, "neutral": 0}[self.value]

    @classmethod
    def from_sign(cls, value: float) -> Direction:
        """The direction of a signed number (0 is neutral)."""
        if value > 0:
            return cls.BULL
        if value < 0:
            return cls.BEAR
        return cls.NEUTRAL


_TF_MINUTES = {"M1": 1, "M5": 5, "M15": 15, "M30": 30, "H1": 60, "H4": 240, "D1": 1440, "W1": 10080}
_TF_ALIASES = {
    "1m": "M1",
    "5m": "M5",
    "15m": "M15",
    "30m": "M30",
    "1h": "H1",
    "4h": "H4",
    "1d": "D1",
    "1w": "W1",
}


class Timeframe(StrEnum):
    """A bar timeframe. ``Timeframe.parse`` accepts the canonical names and the aliases."""

    M1 = "M1"
    M5 = "M5"
    M15 = "M15"
    M30 = "M30"
    H1 = "H1"
    H4 = "H4"
    D1 = "D1"
    W1 = "W1"

    @classmethod
    def parse(cls, value: str | Timeframe) -> Timeframe:
        """Parse ``"H1"``, ``"h1"`` or an alias such as ``"1h"``; else raise ``ConfigError``."""
        if isinstance(value, Timeframe):
            return value
        text = str(value).strip()
        canonical = _TF_ALIASES.get(text.lower(), text.upper())
        try:
            return cls(canonical)
        except ValueError:
            known = ", ".join(list(_TF_MINUTES) + list(_TF_ALIASES))
            raise ConfigError(f"unknown timeframe {value!r} (known: {known})") from None

    @property
    def minutes(self) -> int:
        """Length of one bar in minutes."""
        return _TF_MINUTES[self.value]

    @property
    def delta(self) -> timedelta:
        """Length of one bar."""
        return timedelta(minutes=self.minutes)

    @property
    def nanos(self) -> int:
        """Length of one bar in nanoseconds (for integer time arithmetic)."""
        return self.minutes * 60_000_000_000


_PAIR_RE = re.compile(r"^([A-Za-z]{3})[/_\-. ]?([A-Za-z]{3})$")


@dataclass(frozen=True, slots=True)
class Symbol:
    """A currency pair such as EURUSD: ``base`` priced in ``quote``.

    ``Symbol.parse`` accepts ``EURUSD``, ``EUR/USD``, ``EUR_USD`` and ``eur-usd``.
    """

    base: str
    quote: str

    @classmethod
    def parse(cls, value: str | Symbol) -> Symbol:
        """Parse a pair name; an unparseable name is a ``ConfigError``."""
        if isinstance(value, Symbol):
            return value
        match = _PAIR_RE.match(str(value).strip())
        if match is None:
            raise ConfigError(
                f"invalid symbol {value!r}: expected a currency pair such as EURUSD or EUR/USD"
            )
        base, quote = match.group(1).upper(), match.group(2).upper()
        if base == quote:
            raise ConfigError(f"invalid symbol {value!r}: base and quote currency are the same")
        return cls(base=base, quote=quote)

    @property
    def name(self) -> str:
        """Canonical name, e.g. ``EURUSD``."""
        return f"{self.base}{self.quote}"

    def __str__(self) -> str:
        return self.name
