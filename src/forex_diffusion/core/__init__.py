"""Core layer: types, instruments, FX sessions, errors, configuration and the generic registry.

Nothing here imports from any other layer of the package.
"""

from forex_diffusion.core.errors import (
    BrokerError,
    CandleDataError,
    ConfigError,
    DataError,
    ForexDiffusionError,
    ModelError,
    RetryableBrokerError,
    RiskLimitError,
    StorageError,
)
from forex_diffusion.core.instruments import Instrument, convert_amount, get_instrument, pip_value
from forex_diffusion.core.registry import Registry
from forex_diffusion.core.types import Direction, Symbol, Timeframe

__all__ = [
    "BrokerError",
    "CandleDataError",
    "ConfigError",
    "DataError",
    "Direction",
    "ForexDiffusionError",
    "Instrument",
    "ModelError",
    "Registry",
    "RetryableBrokerError",
    "RiskLimitError",
    "StorageError",
    "Symbol",
    "Timeframe",
    "convert_amount",
    "get_instrument",
    "pip_value",
]
