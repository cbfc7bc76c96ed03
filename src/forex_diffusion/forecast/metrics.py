"""Forecast metrics: plain functions over NumPy arrays, each tested against hand values.

Conventions: ``samples`` carry the sample axis first; ``levels`` are quantile levels in (0, 1);
``quantiles`` carry the level axis last.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "DEFAULT_LEVELS",
    "coverage",
    "crps_quantiles",
    "crps_samples",
    "crps_sum",
    "diebold_mariano",
    "direction_hit_rate",
    "pinball_loss",
    "pit_histogram",
    "weighted_quantile_loss",
]

DEFAULT_LEVELS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))
"""0.05, 0.10, ..., 0.95: the levels of GluonTS's mean weighted quantile loss."""

Floats = NDArray[np.float64]


def pinball_loss(y: ArrayLike, q: ArrayLike, level: float) -> Floats:
    """Quantile (pinball) loss of prediction ``q`` at ``level`` for outcome ``y``, elementwise:
    ``level * (y - q)`` when ``y >= q``, else ``(1 - level) * (q - y)``."""
    diff = np.asarray(y, float) - np.asarray(q, float)
    return np.asarray(np.maximum(level * diff, (level - 1.0) * diff), dtype=np.float64)


def crps_samples(samples: ArrayLike, y: ArrayLike) -> Floats:
    """CRPS from samples: ``E|X - y| - E|X - X'| / 2`` (exact for the empirical distribution).

    ``samples`` has shape ``(m, ...)``, ``y`` the trailing shape; returns that shape.
    """
    x = np.sort(np.asarray(samples, float), axis=0)
    m = x.shape[0]
    obs = np.asarray(y, float)
    first = np.abs(x - obs).mean(axis=0)
    weights = (2 * np.arange(1, m + 1) - m - 1).reshape((m,) + (1,) * (x.ndim - 1))
    spread = (weights * x).sum(axis=0) * 2.0 / (m * m)  # E|X - X'|
    return np.asarray(first - 0.5 * spread, dtype=np.float64)


def crps_quantiles(quantiles: ArrayLike, y: ArrayLike, levels: ArrayLike) -> Floats:
    """CRPS approximated from quantiles: twice the mean pinball loss over ``levels``."""
    q = np.asarray(quantiles, float)
    lv = np.asarray(levels, float)
    losses = pinball_loss(np.asarray(y, float)[..., None], q, lv)  # type: ignore[arg-type]
    return np.asarray(2.0 * losses.mean(axis=-1), dtype=np.float64)


def weighted_quantile_loss(quantiles: ArrayLike, y: ArrayLike, levels: ArrayLike) -> float:
    """GluonTS's mean weighted quantile loss: for each level ``2 * sum(pinball) / sum(|y|)``,
    then the mean over levels. ``quantiles`` has shape ``y.shape + (len(levels),)``."""
    q = np.asarray(quantiles, float)
    obs = np.asarray(y, float)
    lv = np.asarray(levels, float)
    scale = np.abs(obs).sum()
    if scale == 0:
        raise ValueError("weighted quantile loss is undefined when every target is 0")
    per_level = [
        2.0 * pinball_loss(obs, q[..., i], float(level)).sum() / scale for i, level in enumerate(lv)
    ]
    return float(np.mean(per_level))


def crps_sum(samples: ArrayLike, y: ArrayLike, levels: ArrayLike = DEFAULT_LEVELS) -> float:
    """CRPS-sum (TimeGrad's multivariate metric): the weighted quantile loss of the sum over
    series. ``samples``: ``(m, time, series)``; ``y``: ``(time, series)``."""
    total = np.asarray(samples, float).sum(axis=-1)  # (m, time)
    quantiles = np.moveaxis(np.quantile(total, np.asarray(levels, float), axis=0), 0, -1)
    return weighted_quantile_loss(quantiles, np.asarray(y, float).sum(axis=-1), levels)


def coverage(y: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of outcomes inside ``[lower, upper]``."""
    obs = np.asarray(y, float)
    return float(np.mean((obs >= np.asarray(lower, float)) & (obs <= np.asarray(upper, float))))


def pit_histogram(samples: ArrayLike, y: ArrayLike, bins: int = 10) -> Floats:
    """Probability integral transform histogram: the share of outcomes whose PIT (the fraction
    of samples at or below the outcome) falls in each of ``bins`` equal bins. Flat = calibrated."""
    x = np.asarray(samples, float)
    pit = (x <= np.asarray(y, float)).mean(axis=0).ravel()
    counts, _ = np.histogram(pit, bins=bins, range=(0.0, 1.0))
    return np.asarray(counts / counts.sum(), dtype=np.float64)


def direction_hit_rate(origin: ArrayLike, predicted: ArrayLike, actual: ArrayLike) -> float:
    """Share of forecasts whose predicted move from ``origin`` has the actual move's sign
    (outcomes with no move, or predictions of no move, are left out)."""
    o = np.asarray(origin, float)
    pred = np.sign(np.asarray(predicted, float) - o)
    real = np.sign(np.asarray(actual, float) - o)
    used = (pred != 0) & (real != 0)
    if not used.any():
        return math.nan
    return float(np.mean(pred[used] == real[used]))


def diebold_mariano(
    loss_a: ArrayLike, loss_b: ArrayLike, *, horizon: int = 1
) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with the Harvey-Leybourne-Newbold correction.

    ``d = loss_a - loss_b``; the variance of its mean uses autocovariances up to lag
    ``horizon - 1`` (overlapping h-step forecasts). Returns ``(statistic, two-sided p-value)``
    from Student's t with n - 1 degrees of freedom; a negative statistic favours ``a``.
    """
    d = np.asarray(loss_a, float) - np.asarray(loss_b, float)
    n = len(d)
    if n < 3:
        raise ValueError("the Diebold-Mariano test needs at least 3 paired losses")
    centred = d - d.mean()
    gamma = [np.dot(centred[k:], centred[: n - k]) / n for k in range(horizon)]
    variance = (gamma[0] + 2.0 * sum(gamma[1:])) / n
    if variance <= 0:
        return (0.0, 1.0) if d.mean() == 0 else (math.copysign(math.inf, d.mean()), 0.0)
    statistic = d.mean() / math.sqrt(variance)
    correction = math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic *= correction
    p_value = 2.0 * float(stats.t.sf(abs(statistic), df=n - 1))
    return float(statistic), p_value
