"""Core layer: types, instruments, FX sessions, errors, configuration and the generic registry.

Nothing here imports from any other layer of the package.
"""

from forex_diffusion.core.errors import (
    BrokerError,
    CandleDataError,
    ConfigError,
    ConflictError,
    DataError,
    ForexDiffusionError,
    ModelError,
    NotFoundError,
    RetryableBrokerError,
    RiskLimitError,
    RunFailedError,
    StorageError,
)
from forex_diffusion.core.instruments import Instrument, convert_amount, get_instrument, pip_value
from forex_diffusion.core.registry import Registry
from forex_diffusion.core.types import Direction, Symbol, Timeframe

__all__ = [
    "BrokerError",
    "CandleDataError",
    "ConfigError",
    "ConflictError",
    "DataError",
    "Direction",
    "ForexDiffusionError",
    "Instrument",
    "ModelError",
    "NotFoundError",
    "Registry",
    "RetryableBrokerError",
    "RiskLimitError",
    "RunFailedError",
    "StorageError",
    "Symbol",
    "Timeframe",
    "convert_amount",
    "get_instrument",
    "pip_value",
]
