"""Trading configuration (``[trading]``): the paper broker's cost tables, risk limits and the
engine's recovery settings. One config drives backtests and paper trading.

Spreads are in pips per pair and *spread bucket*; the bucket of a time is decided in
:mod:`forex_diffusion.trading.costs` (London/New York overlap, London, New York, Asia, the
hour after the 17:00 New York rollover, the Sunday open). Swaps are in pips per night of
the position's own pip value: a long EURUSD swap of -0.6 costs 0.6 pips on the position's size
each night, three nights' worth at the Wednesday rollover.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from forex_diffusion.core.base_config import FrozenModel

__all__ = [
    "SPREAD_BUCKETS",
    "BrokerConfig",
    "EngineConfig",
    "RiskConfig",
    "SwapRates",
    "TradingConfig",
]

SPREAD_BUCKETS = ("overlap", "london", "new_york", "asia", "rollover", "sunday_open")
"""Spread buckets from tightest to widest in a typical market."""


def _table(major: float) -> dict[str, float]:
    widen = (1.0, 1.3, 1.5, 2.0, 5.0, 10.0)
    return {b: round(major * w, 2) for b, w in zip(SPREAD_BUCKETS, widen, strict=True)}


_DEFAULT_SPREADS = {
    "EURUSD": _table(0.6),
    "USDJPY": _table(0.7),
    "GBPUSD": _table(0.9),
    "AUDUSD": _table(0.8),
    "USDCHF": _table(1.0),
    "USDCAD": _table(1.1),
    "EURGBP": _table(1.0),
    "EURJPY": _table(1.1),
    "default": _table(1.5),
}


class SwapRates(FrozenModel):
    """Swap in pips per night for a long and a short position (negative: a cost)."""

    long: float
    short: float


_DEFAULT_SWAPS = {
    "EURUSD": SwapRates(long=-0.6, short=0.1),
    "USDJPY": SwapRates(long=0.3, short=-0.8),
    "GBPUSD": SwapRates(long=-0.4, short=-0.1),
    "EURGBP": SwapRates(long=-0.5, short=0.0),
    "default": SwapRates(long=-0.5, short=-0.5),
}


class BrokerConfig(FrozenModel):
    """The paper broker: prices, costs, leverage and fills (``[trading.broker]``)."""

    account_currency: str = Field(default="USD", min_length=3, max_length=3)
    initial_balance: float = Field(default=100_000.0, gt=0)
    price_basis: Literal["mid", "bid", "ask"] = Field(
        default="mid", description="which side the candles quote; the other side adds the spread"
    )
    spreads: dict[str, dict[str, float]] = Field(
        default_factory=lambda: dict(_DEFAULT_SPREADS),
        description="pips per pair and bucket, over the defaults; 'default' for unlisted pairs",
    )
    swaps: dict[str, SwapRates] = Field(default_factory=lambda: dict(_DEFAULT_SWAPS))
    commission_per_lot: float = Field(
        default=3.5, ge=0, description="per standard lot and side, account currency"
    )
    slippage_pips: float = Field(default=0.2, ge=0, description="on market and stop fills")
    leverage: float = Field(default=30.0, gt=0)
    margin_call_level: float = Field(
        default=0.5, gt=0, description="equity / used margin below which positions are closed"
    )
    intrabar: Literal["worst", "best"] = Field(
        default="worst", description="which exit to assume when stop and target share a bar"
    )
    fx_rates: dict[str, float] = Field(
        default_factory=dict,
        description="fallback conversion rates for pairs not traded (e.g. GBPUSD for EURGBP)",
    )

    @field_validator("account_currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("spreads", mode="before")
    @classmethod
    def _over_default_spreads(cls, value: object) -> object:
        return {**_DEFAULT_SPREADS, **value} if isinstance(value, dict) else value

    @field_validator("swaps", mode="before")
    @classmethod
    def _over_default_swaps(cls, value: object) -> object:
        return {**_DEFAULT_SWAPS, **value} if isinstance(value, dict) else value

    @field_validator("spreads")
    @classmethod
    def _buckets(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for pair, table in value.items():
            missing = [b for b in SPREAD_BUCKETS if b not in table]
            unknown = [b for b in table if b not in SPREAD_BUCKETS]
            if missing or unknown:
                raise ValueError(f"spreads.{pair}: missing {missing}, unknown {unknown}")
            if any(v < 0 for v in table.values()):
                raise ValueError(f"spreads.{pair}: pips must be >= 0")
        return value


class RiskConfig(FrozenModel):
    """Sizing and limits (``[trading.risk]``)."""

    risk_per_trade: float = Field(default=0.01, gt=0, le=0.2, description="of equity")
    max_open_positions: int = Field(default=5, ge=1)
    max_total_exposure: float = Field(
        default=10.0, gt=0, description="sum of position notionals / equity"
    )
    max_currency_exposure: float = Field(
        default=6.0, gt=0, description="net notional in one currency / equity"
    )
    daily_loss_limit: float = Field(
        default=0.03, gt=0, le=1, description="loss since the FX day's start / its start equity"
    )
    max_drawdown: float = Field(
        default=0.20, gt=0, le=1, description="drawdown from the equity peak that stops trading"
    )
    time_stop_bars: int | None = Field(default=None, ge=1, description="close after N bars")
    position_sizing_method: Literal["fixed_fractional", "kelly", "volatility_adjusted"] = Field(
        default="fixed_fractional",
        description="fixed_fractional: risk_per_trade of equity at the stop; kelly: "
        "kelly_fraction of the Kelly fraction from the signal's win probability and payoff, "
        "at most risk_per_trade; volatility_adjusted: risk_per_trade scaled by the median "
        "ATR over the current one (at most 1)",
    )
    kelly_fraction: float = Field(
        default=0.25, gt=0, le=1, description="share of the full Kelly fraction risked"
    )


class EngineConfig(FrozenModel):
    """Recovery of the engine (``[trading.engine]``)."""

    max_retries: int = Field(default=4, ge=0, description="retries of a transient broker error")
    backoff_seconds: float = Field(default=0.5, ge=0, description="first retry delay, doubled")
    max_failures: int = Field(
        default=3, ge=1, description="consecutive failed bars before the engine pauses"
    )
    history_bars: int = Field(default=1000, ge=50, description="bars kept per series")


class TradingConfig(FrozenModel):
    """Everything the trading engine needs (``[trading]``)."""

    broker: BrokerConfig = BrokerConfig()
    risk: RiskConfig = RiskConfig()
    engine: EngineConfig = EngineConfig()
    strategy: str = Field(default="sma_cross", description="strategy name")
    strategy_params: dict[str, float | int | str | bool] = Field(default_factory=dict)
