"""Signal intelligence: candidates from every source, fusion, the six-dimension quality gate,
regimes, calibration and adaptive parameters."""

from forex_diffusion.core.adaptation import TradingParameters
from forex_diffusion.intelligence.adaptive_parameter_system import (
    AdaptiveParameterSystem,
    ParameterAdaptationDB,
)
from forex_diffusion.intelligence.candidates import Candidate
from forex_diffusion.intelligence.confidence_calibrator import (
    ConfidenceCalibrator,
    PatternCalibration,
)
from forex_diffusion.intelligence.market_context import BarContext, ContextBuilder
from forex_diffusion.intelligence.regime import RegimeDetector
from forex_diffusion.intelligence.signal_quality_scorer import (
    DIMENSIONS,
    QualityDimensions,
    QualityScore,
    SignalQualityScorer,
)
from forex_diffusion.intelligence.unified_signal_fusion import SignalDecision, UnifiedSignalFusion

__all__ = [
    "DIMENSIONS",
    "AdaptiveParameterSystem",
    "BarContext",
    "Candidate",
    "ConfidenceCalibrator",
    "ContextBuilder",
    "ParameterAdaptationDB",
    "PatternCalibration",
    "QualityDimensions",
    "QualityScore",
    "RegimeDetector",
    "SignalDecision",
    "SignalQualityScorer",
    "TradingParameters",
    "UnifiedSignalFusion",
]
