"""Strategies: the base class, the registry, and the reference strategies."""

from forex_diffusion.trading.strategies import fusion as _fusion  # noqa: F401 (registers)
from forex_diffusion.trading.strategies import reference as _reference  # noqa: F401 (registers)
from forex_diffusion.trading.strategies.base import (
    NOTHING,
    STRATEGIES,
    BarView,
    Decision,
    Intent,
    Rules,
    Strategy,
    StrategyParams,
    check_strategy,
    make_strategy,
    strategy_parameters,
    strategy_summary,
)
from forex_diffusion.trading.strategies.params import ParamInfo

__all__ = [
    "NOTHING",
    "STRATEGIES",
    "BarView",
    "Decision",
    "Intent",
    "ParamInfo",
    "Rules",
    "Strategy",
    "StrategyParams",
    "check_strategy",
    "make_strategy",
    "strategy_parameters",
    "strategy_summary",
]
