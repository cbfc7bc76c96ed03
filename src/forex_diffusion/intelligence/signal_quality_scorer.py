"""The quality gate: six dimensions, weighted into a composite, against a threshold.

Dimensions (each in [0, 1], computed from data by the stages that know it):
``pattern_strength`` (a pattern's calibrated score, or a forecast's strength),
``mtf_agreement``, ``regime_confidence``, ``volume_confirmation``, ``sentiment_alignment``
(0.5 without a feed) and ``correlation_safety``. Default weights 0.25/0.20/0.20/0.15/0.10/0.10
and threshold 0.65; both can be overridden per regime. Helpers here compute the dimensions that
need nothing but numbers (volume here; sentiment and correlation in their own modules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from forex_diffusion.core.errors import ConfigError

__all__ = [
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "QualityDimensions",
    "QualityScore",
    "SignalQualityScorer",
    "volume_confirmation",
]

DIMENSIONS = (
    "pattern_strength",
    "mtf_agreement",
    "regime_confidence",
    "volume_confirmation",
    "sentiment_alignment",
    "correlation_safety",
)
DEFAULT_WEIGHTS = dict(zip(DIMENSIONS, (0.25, 0.20, 0.20, 0.15, 0.10, 0.10), strict=True))


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityDimensions:
    """The six dimensions of one candidate signal, each in [0, 1]."""

    pattern_strength: float
    mtf_agreement: float
    regime_confidence: float
    volume_confirmation: float
    sentiment_alignment: float = 0.5
    correlation_safety: float = 1.0

    def __post_init__(self) -> None:
        for name in DIMENSIONS:
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0) or value != value:
                raise ConfigError(f"quality dimension {name} must be in [0, 1], got {value}")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class QualityScore:
    """A scored candidate: its dimensions, composite, the threshold used and the verdict."""

    dimensions: QualityDimensions
    composite: float
    threshold: float
    passed: bool
    regime: str | None


def _weights(values: Mapping[str, float], where: str) -> dict[str, float]:
    unknown = set(values) - set(DIMENSIONS)
    if unknown:
        raise ConfigError(f"{where}: unknown quality dimension(s) {sorted(unknown)}")
    merged = {**DEFAULT_WEIGHTS, **values}
    if any(w < 0 for w in merged.values()) or sum(merged.values()) <= 0:
        raise ConfigError(f"{where}: weights must be >= 0 with a positive sum")
    total = sum(merged.values())
    return {k: v / total for k, v in merged.items()}


class SignalQualityScorer:
    """Weights the six dimensions into a composite and applies the (per-regime) threshold.

    Parameters
    ----------
    weights
        Overrides of the default weights (normalised to sum to 1).
    threshold
        Composite needed to pass (default 0.65).
    regime_weights, regime_thresholds
        Per-regime overrides, keyed by regime name.
    """

    def __init__(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        threshold: float = 0.65,
        regime_weights: Mapping[str, Mapping[str, float]] | None = None,
        regime_thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.weights = _weights(weights or {}, "weights")
        self.regime_weights = {
            r: _weights({**(weights or {}), **w}, f"regime {r!r} weights")
            for r, w in (regime_weights or {}).items()
        }
        for name, value in [("threshold", threshold), *(regime_thresholds or {}).items()]:
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name}: threshold must be in [0, 1], got {value}")
        self.threshold = threshold
        self.regime_thresholds = dict(regime_thresholds or {})
        self._history: list[QualityScore] = []

    def score(self, dims: QualityDimensions, *, regime: str | None = None) -> QualityScore:
        """Composite and verdict of one candidate (recorded for the statistics)."""
        weights = self.regime_weights.get(regime or "", self.weights)
        threshold = self.regime_thresholds.get(regime or "", self.threshold)
        values = dims.as_dict()
        composite = float(sum(weights[k] * values[k] for k in DIMENSIONS))
        result = QualityScore(dims, composite, threshold, composite >= threshold, regime)
        self._history.append(result)
        return result

    def get_quality_statistics(self) -> dict[str, object]:
        """Pass rate and the distribution of every dimension over the scored candidates."""
        if not self._history:
            return {"count": 0, "pass_rate": None, "dimensions": {}}
        table = np.array([[getattr(s.dimensions, d) for d in DIMENSIONS] for s in self._history])
        composite = np.array([s.composite for s in self._history])
        return {
            "count": len(self._history),
            "pass_rate": float(np.mean([s.passed for s in self._history])),
            "composite": {"mean": float(composite.mean()), "std": float(composite.std())},
            "dimensions": {
                d: {
                    "mean": float(table[:, i].mean()),
                    "std": float(table[:, i].std()),
                    "min": float(table[:, i].min()),
                    "max": float(table[:, i].max()),
                }
                for i, d in enumerate(DIMENSIONS)
            },
        }


def volume_confirmation(volume: float, average: float) -> float:
    """Tick volume against its recent average: 0.5 at the average, 1 at twice it or more,
    0.5 when there is no volume information."""
    if average <= 0 or volume != volume:
        return 0.5
    return float(np.clip(0.5 * volume / average, 0.0, 1.0))
