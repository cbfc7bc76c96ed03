"""Data layer: the candle frame contract, loaders, spacing and gaps, causal resampling, samples."""

from forex_diffusion.data.candles import OHLC, OHLCV, validate_candles
from forex_diffusion.data.loaders import (
    FORMATS,
    detect_format,
    load_candles,
    load_csv,
    load_dukascopy,
    load_histdata,
    load_metatrader,
)
from forex_diffusion.data.resample import resample_candles
from forex_diffusion.data.sample import load_sample
from forex_diffusion.data.spacing import check_spacing, find_gaps, infer_timeframe

__all__ = [
    "FORMATS",
    "OHLC",
    "OHLCV",
    "check_spacing",
    "detect_format",
    "find_gaps",
    "infer_timeframe",
    "load_candles",
    "load_csv",
    "load_dukascopy",
    "load_histdata",
    "load_metatrader",
    "load_sample",
    "resample_candles",
    "validate_candles",
]
