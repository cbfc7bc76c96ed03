"""Calibrate raw scores (a pattern's geometric score, say) against their historical outcomes.

Reliability bins: raw scores are grouped into ``bins`` equal-width bins; each bin's hit rate is
shrunk towards the prior hit rate with the weight of ``prior_strength`` pseudo-observations
(``(hits + k * prior) / (n + k)``), and bins with fewer than ``min_samples`` outcomes fall back
to the prior. The calibrated value of a new score is its bin's shrunk rate, so a score means
"how often signals like this worked here", not a geometric impression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from forex_diffusion.core.errors import ConfigError

__all__ = ["ConfidenceCalibrator", "PatternCalibration"]


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

    def fit(
        self, scores: ArrayLike, outcomes: ArrayLike, *, prior: float | None = None
    ) -> ConfidenceCalibrator:
        """Learn from past raw scores and their outcomes (1 = worked, 0 = failed); the prior is
        their mean hit rate unless given (a pooled rate, say)."""
        s = np.asarray(scores, dtype=float)
        y = np.asarray(outcomes, dtype=float)
        if s.shape != y.shape:
            raise ConfigError(f"scores {s.shape} and outcomes {y.shape} differ in shape")
        if len(y) and not np.isin(y, (0.0, 1.0)).all():
            raise ConfigError("outcomes must be 0 or 1")
        if prior is not None and not 0.0 <= prior <= 1.0:
            raise ConfigError(f"prior hit rate must be in [0, 1], got {prior}")
        self.prior = prior if prior is not None else float(y.mean()) if len(y) else 0.5
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


@dataclass
class PatternCalibration:
    """One :class:`ConfidenceCalibrator` per pattern key on a symbol and timeframe.

    Each key's prior is its own hit rate shrunk towards the pooled rate of all keys (with
    ``prior_strength`` pseudo-observations), and its bins shrink towards that prior: a rare
    pattern reads as "patterns in general here", a frequent one earns its own reliability
    curve. Keys never seen get the pooled calibrator.
    """

    bins: int = 5
    min_samples: int = 20
    prior_strength: float = 20.0
    books: dict[str, ConfidenceCalibrator] = field(default_factory=dict)
    pooled: ConfidenceCalibrator = field(default_factory=ConfidenceCalibrator)

    def _new(self) -> ConfidenceCalibrator:
        return ConfidenceCalibrator(
            bins=self.bins, min_samples=self.min_samples, prior_strength=self.prior_strength
        )

    def fit(
        self, keys: Sequence[str], scores: ArrayLike, outcomes: ArrayLike
    ) -> PatternCalibration:
        """Learn from past events (key, raw score) and their outcomes (1/0; NaN: unknown)."""
        k = np.asarray(keys, dtype=object)
        s = np.asarray(scores, dtype=float)
        y = np.asarray(outcomes, dtype=float)
        known = ~np.isnan(y)
        k, s, y = k[known], s[known], y[known]
        self.pooled = self._new().fit(s, y)
        base = self.pooled.prior
        self.books = {}
        for key in np.unique(k):
            mask = k == key
            n, hits = int(mask.sum()), float(y[mask].sum())
            prior = (hits + self.prior_strength * base) / (n + self.prior_strength)
            self.books[str(key)] = self._new().fit(s[mask], y[mask], prior=prior)
        return self

    def calibrate(self, key: str, score: float) -> float:
        """The calibrated strength of one event."""
        book = self.books.get(key, self.pooled)
        return float(book.calibrate([score])[0])
