"""Names several layers share, written once: the candle columns and the six quality
dimensions (the gate scores them, the store keeps a column for each, the statistics and the
dashboard read them back)."""

from __future__ import annotations

__all__ = ["DIMENSIONS", "OHLCV"]

OHLCV = ("open", "high", "low", "close", "volume")
"""The value columns of the candle frame, in order."""

DIMENSIONS = (
    "pattern_strength",
    "mtf_agreement",
    "regime_confidence",
    "volume_confirmation",
    "sentiment_alignment",
    "correlation_safety",
)
"""The six quality dimensions of a signal, in the gate's order."""
