"""What a run trades with: the root config's ``[trading]`` with the strategy chosen, and its
``[signals]``; both stored with the run, both in its hash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forex_diffusion.core.config import RootConfig, SignalsConfig, config_hash
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.trading.strategies import check_strategy

__all__ = ["Scalar", "run_settings", "with_strategy"]

Scalar = float | int | str | bool


def with_strategy(
    config: RootConfig,
    strategy: str | None = None,
    params: Mapping[str, Scalar] | None = None,
) -> RootConfig:
    """The root config with ``strategy`` chosen (its parameters reset) and ``params`` applied
    over the strategy's configured ones, both checked (a ``ConfigError`` names the wrong
    one)."""
    trading = config.trading
    update: dict[str, Any] = {}
    if strategy:
        update = {"strategy": strategy, "strategy_params": {}}
    if params:
        update["strategy_params"] = {
            **update.get("strategy_params", trading.strategy_params),
            **params,
        }
    if update:
        trading = TradingConfig.model_validate({**trading.model_dump(), **update})
    check_strategy(trading.strategy, trading.strategy_params)
    return config.model_copy(update={"trading": trading})


def run_settings(
    trading: TradingConfig, signals: SignalsConfig, **extra: Any
) -> tuple[str, dict[str, Any]]:
    """A run's config hash and stored settings: both sections, then ``extra``."""
    digest = config_hash({"trading": trading, "signals": signals})
    stored = {
        "trading": trading.model_dump(mode="json"),
        "signals": signals.model_dump(mode="json"),
        **extra,
    }
    return digest, stored
