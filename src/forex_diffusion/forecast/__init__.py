"""Forecasting: the Estimator/Predictor lifecycle, baselines, metrics and the diffusion model."""

from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.base import DEFAULT_HORIZONS, DEFAULT_LEVELS, Estimator, Predictor

__all__ = ["DEFAULT_HORIZONS", "DEFAULT_LEVELS", "Estimator", "Forecast", "Predictor"]
