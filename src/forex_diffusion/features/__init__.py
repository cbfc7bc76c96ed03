"""Features layer: indicators (TA-Lib and NumPy backends, streaming), names, feature pipeline."""

from forex_diffusion.features.consolidated_indicators import (
    calculate_indicators,
    get_available_indicators,
    get_backend_info,
    lookback,
    parse_spec,
)
from forex_diffusion.features.streaming import StreamingIndicator, streaming

__all__ = [
    "StreamingIndicator",
    "calculate_indicators",
    "get_available_indicators",
    "get_backend_info",
    "lookback",
    "parse_spec",
    "streaming",
]
