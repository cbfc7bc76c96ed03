"""The bundled EURUSD H1 2017 sample (gym-anytrading 2.0.0, MIT licence, copyright AminHP)."""

from __future__ import annotations

import gzip
from importlib import resources

import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data.loaders.dukascopy import load_dukascopy

__all__ = ["SAMPLES", "load_sample", "sample_path"]

SAMPLES: dict[tuple[str, Timeframe], str] = {
    ("EURUSD", Timeframe.H1): "EURUSD_H1_2017_ASK.csv.gz",
}


def sample_path(symbol: str = "EURUSD", timeframe: str | Timeframe = "H1") -> str:
    """The packaged file name of a sample (inside ``forex_diffusion/data/sample_data``)."""
    key = (Symbol.parse(symbol).name, Timeframe.parse(timeframe))
    try:
        return SAMPLES[key]
    except KeyError:
        known = ", ".join(f"{s} {tf.value}" for s, tf in SAMPLES)
        raise DataError(f"no bundled sample for {key[0]} {key[1].value} (have: {known})") from None


def load_sample(symbol: str = "EURUSD", timeframe: str | Timeframe = "H1") -> pd.DataFrame:
    """Load a bundled sample as a validated candle frame.

    >>> candles = load_sample("EURUSD", "H1")
    >>> len(candles), str(candles.index[0])
    (6225, '2017-01-01 22:00:00+00:00')
    """
    name = sample_path(symbol, timeframe)
    blob = resources.files("forex_diffusion.data").joinpath("sample_data", name).read_bytes()
    text = gzip.decompress(blob).decode("utf-8")
    return load_dukascopy(name, timeframe=Timeframe.parse(timeframe), text=text)
