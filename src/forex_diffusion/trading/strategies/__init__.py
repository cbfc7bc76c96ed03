"""Strategies: the base class, the registry, and the reference strategies."""

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

# the fused strategy imports the forecasters, detectors and scikit-learn (seconds): only when used
STRATEGIES.add_lazy("fused", "forex_diffusion.trading.strategies.fusion")

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
