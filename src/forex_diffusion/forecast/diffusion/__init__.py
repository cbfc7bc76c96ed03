"""The conditional denoising diffusion forecaster."""

from forex_diffusion.forecast.diffusion.estimator import (
    DiffusionConfig,
    DiffusionEstimator,
    DiffusionPredictor,
)

__all__ = ["DiffusionConfig", "DiffusionEstimator", "DiffusionPredictor"]
