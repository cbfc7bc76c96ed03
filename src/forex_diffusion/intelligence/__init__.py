"""Signal intelligence: quality scoring and calibration (fusion and regimes come next)."""

from forex_diffusion.intelligence.confidence_calibrator import ConfidenceCalibrator
from forex_diffusion.intelligence.signal_quality_scorer import (
    DIMENSIONS,
    QualityDimensions,
    QualityScore,
    SignalQualityScorer,
)

__all__ = [
    "DIMENSIONS",
    "ConfidenceCalibrator",
    "QualityDimensions",
    "QualityScore",
    "SignalQualityScorer",
]
