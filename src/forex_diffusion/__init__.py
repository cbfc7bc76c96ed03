"""forex_diffusion: probabilistic FX forecasts, pattern recognition and an event-driven engine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("forex-diffusion")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
