"""The quality gate: six dimensions, weighted into a composite, against a threshold.

Dimensions (each in [0, 1], computed from data by the stages that know it):
``pattern_strength`` (a pattern's calibrated score, or a forecast's strength),
``mtf_agreement``, ``regime_confidence``, ``volume_confirmation``, ``sentiment_alignment``
(0.5 without a feed) and ``correlation_safety``. Default weights 0.25/0.20/0.20/0.15/0.10/0.10
and threshold ``GATE_THRESHOLD`` (0.65); both can be overridden per regime. Helpers here
compute the dimensions that need nothing but numbers (volume here; sentiment and correlation
in their own modules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from forex_diffusion.core.config import GATE_THRESHOLD, SignalsConfig
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.names import DIMENSIONS

__all__ = [
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "QualityDimensions",
    "QualityScore",
    "SignalQualityScorer",
    "volume_confirmation",
]

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
            if not 0.0 <= value <= 1.0:  # NaN fails the comparison too
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
        Composite needed to pass (default :data:`~forex_diffusion.core.config.GATE_THRESHOLD`).
    regime_weights, regime_thresholds
        Per-regime overrides, keyed by regime name.
    """

    def __init__(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        threshold: float = GATE_THRESHOLD,
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
        self._moments = _Moments(len(DIMENSIONS) + 1)  # the dimensions, then the composite
        self._passed = 0

    @classmethod
    def from_config(cls, config: SignalsConfig) -> SignalQualityScorer:
        """The gate ``[signals]`` configures."""
        return cls(
            weights=config.weights,
            threshold=config.threshold,
            regime_weights=config.regime_weights,
            regime_thresholds=config.regime_thresholds,
        )

    def score(
        self,
        dims: QualityDimensions,
        *,
        regime: str | None = None,
        threshold: float | None = None,
    ) -> QualityScore:
        """Composite and verdict of one candidate (recorded for the statistics);
        ``threshold``: an adapted threshold in place of the configured one (a per-regime
        threshold still applies in its regime)."""
        weights = self.regime_weights.get(regime or "", self.weights)
        base = self.threshold if threshold is None else threshold
        threshold = self.regime_thresholds.get(regime or "", base)
        values = dims.as_dict()
        composite = float(sum(weights[k] * values[k] for k in DIMENSIONS))
        result = QualityScore(dims, composite, threshold, composite >= threshold, regime)
        self._moments.add([values[k] for k in DIMENSIONS] + [composite])
        self._passed += result.passed
        return result

    def get_quality_statistics(self) -> dict[str, object]:
        """Pass rate and the distribution of every dimension over every scored candidate
        (running totals: the scores themselves are not kept)."""
        m = self._moments
        if not m.count:
            return {"count": 0, "pass_rate": None, "dimensions": {}}
        std = m.std()
        last = len(DIMENSIONS)
        return {
            "count": m.count,
            "pass_rate": self._passed / m.count,
            "composite": {"mean": float(m.mean[last]), "std": float(std[last])},
            "dimensions": {
                d: {
                    "mean": float(m.mean[i]),
                    "std": float(std[i]),
                    "min": float(m.low[i]),
                    "max": float(m.high[i]),
                }
                for i, d in enumerate(DIMENSIONS)
            },
        }


class _Moments:
    """Count, mean, population standard deviation (Welford's update), min and max of
    ``width`` columns, one row at a time, in constant memory."""

    def __init__(self, width: int) -> None:
        self.count = 0
        self.mean = np.zeros(width)
        self._m2 = np.zeros(width)
        self.low = np.full(width, np.inf)
        self.high = np.full(width, -np.inf)

    def add(self, row: list[float]) -> None:
        x = np.asarray(row, dtype=float)
        self.count += 1
        delta = x - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (x - self.mean)
        np.minimum(self.low, x, out=self.low)
        np.maximum(self.high, x, out=self.high)

    def std(self) -> np.ndarray:
        return np.sqrt(np.maximum(self._m2, 0.0) / self.count)


def volume_confirmation(volume: float, average: float) -> float:
    """Tick volume against its recent average: 0.5 at the average, 1 at twice it or more,
    0.5 when there is no volume information."""
    if average <= 0 or volume != volume:
        return 0.5
    return float(np.clip(0.5 * volume / average, 0.0, 1.0))
