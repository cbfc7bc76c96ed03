"""Calibrate raw scores (a pattern's geometric score, say) against their historical outcomes.

Reliability bins: raw scores are grouped into ``bins`` equal-width bins; each bin's hit rate is
shrunk towards the prior hit rate with the weight of ``prior_strength`` pseudo-observations
(``(hits + k * prior) / (n + k)``), and bins with fewer than ``min_samples`` outcomes fall back
to the prior. The calibrated value of a new score is its bin's shrunk rate, so a score means
"how often signals like this worked here", not a geometric impression.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from forex_diffusion.core.errors import ConfigError

__all__ = ["ConfidenceCalibrator"]


@dataclass
class ConfidenceCalibrator:
    """Reliability-bin calibration with shrinkage to the prior.

    Parameters
    ----------
    bins
        Equal-width bins over [0, 1].
    min_samples
        Fewer outcomes in a bin than this: the bin reports the prior.
    prior_strength
        Pseudo-observations of the prior mixed into every bin.
    """

    bins: int = 10
    min_samples: int = 20
    prior_strength: float = 10.0
    prior: float = 0.5
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hits: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.bins < 1 or self.min_samples < 1 or self.prior_strength < 0:
            raise ConfigError("bins and min_samples must be >= 1, prior_strength >= 0")
        self.counts = np.zeros(self.bins)
        self.hits = np.zeros(self.bins)

    def _bin(self, scores: ArrayLike) -> np.ndarray:
        s = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
        return np.asarray(np.minimum((s * self.bins).astype(int), self.bins - 1))

    def fit(self, scores: ArrayLike, outcomes: ArrayLike) -> ConfidenceCalibrator:
        """Learn from past raw scores and their outcomes (1 = worked, 0 = failed)."""
        s = np.asarray(scores, dtype=float)
        y = np.asarray(outcomes, dtype=float)
        if s.shape != y.shape:
            raise ConfigError(f"scores {s.shape} and outcomes {y.shape} differ in shape")
        if len(y) and not np.isin(y, (0.0, 1.0)).all():
            raise ConfigError("outcomes must be 0 or 1")
        self.prior = float(y.mean()) if len(y) else 0.5
        idx = self._bin(s)
        self.counts = np.bincount(idx, minlength=self.bins).astype(float)
        self.hits = np.bincount(idx, weights=y, minlength=self.bins)
        return self

    def reliability(self) -> np.ndarray:
        """The calibrated rate of each bin."""
        k = self.prior_strength
        shrunk = (self.hits + k * self.prior) / np.maximum(self.counts + k, 1e-12)
        return np.where(self.counts >= self.min_samples, shrunk, self.prior)

    def calibrate(self, scores: ArrayLike) -> np.ndarray:
        """Calibrated values of raw scores, in [0, 1]."""
        return np.asarray(self.reliability()[self._bin(scores)], dtype=float)
