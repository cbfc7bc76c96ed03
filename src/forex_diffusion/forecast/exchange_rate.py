"""The ``exchange_rate_nips`` benchmark protocol (GluonTS, used by TimeGrad and its successors).

Data: the LSTNet ``exchange_rate`` file, 7,588 daily rates of 8 currencies against USD (no
header, comma separated). Protocol: models fit on the first 6,071 days; forecasts 30 days ahead
from 5 origins, one every 30 days, right after the training range (days 6,071 to 6,220: the NIPS
version of the data ends there, so these are "the end of the series" in the papers' split; the
joint random walk below scores CRPS-sum 0.0049 on them, the figure the data README quotes).
Metrics: mean weighted quantile
loss over q = 0.05 ... 0.95 across series, steps and windows (univariate), and CRPS-sum (the
same loss on the sum over the 8 series; multivariate).

Univariate models forecast each series on its own; their CRPS-sum uses independent samples per
series (no joint dependence), which the table states. The diffusion models can also be sampled
jointly (:func:`joint_diffusion_sampler`): their starting noise is correlated across series.
The joint Gaussian random walk with a 250-day covariance of daily changes is the reference the
data README quotes (about 0.0049).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.forecast.metrics import DEFAULT_LEVELS, crps_sum, weighted_quantile_loss

__all__ = [
    "CURRENCIES",
    "PROTOCOL",
    "SeriesModels",
    "evaluate_exchange_rate",
    "fit_per_series",
    "joint_diffusion_sampler",
    "joint_random_walk",
    "load_exchange_rate",
    "origins",
    "return_correlation",
    "series_as_candles",
    "univariate_sampler",
]

CURRENCIES = ("AUD", "GBP", "CAD", "CHF", "CNY", "JPY", "NZD", "SGD")
PROTOCOL = {"train_length": 6071, "prediction_length": 30, "windows": 5}
Sampler = Callable[[pd.DataFrame, int, int], np.ndarray]
"""(all data, origin position, num_samples) -> samples of shape (num_samples, 30, 8)."""


def load_exchange_rate(path: str | Path) -> pd.DataFrame:
    """The 8 daily series (business days from 1990-01-01, as in GluonTS), one column each."""
    file = Path(path)
    if not file.is_file():
        raise DataError(
            f"{file}: exchange_rate file not found (the LSTNet exchange_rate.txt "
            "or .txt.gz: 7,588 rows of 8 comma-separated rates)"
        )
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rt") as fh:
            values = np.loadtxt(fh, delimiter=",")
    except (ValueError, OSError) as exc:
        raise DataError(f"{file}: not an exchange_rate file ({exc})") from None
    if values.ndim != 2 or values.shape[1] != len(CURRENCIES):
        raise DataError(f"{file}: expected {len(CURRENCIES)} columns, got shape {values.shape}")
    index = pd.bdate_range("1990-01-01", periods=len(values), tz="UTC", name="time")
    return pd.DataFrame(values, index=index, columns=list(CURRENCIES))


def series_as_candles(series: pd.Series) -> pd.DataFrame:
    """A single series as a candle frame (open = high = low = close, no volume)."""
    values = series.to_numpy(float)
    return pd.DataFrame(
        {"open": values, "high": values, "low": values, "close": values, "volume": 0.0},
        index=series.index,
    )


def origins(n_rows: int) -> list[int]:
    """Positions of the 5 forecast origins (the last bar each forecast sees)."""
    start, horizon = PROTOCOL["train_length"] - 1, PROTOCOL["prediction_length"]
    return [start + horizon * k for k in range(PROTOCOL["windows"])]


@dataclass(frozen=True, slots=True)
class SeriesModels:
    """One fitted predictor per series, and each series as a candle frame."""

    predictors: dict[str, Any]
    candles: dict[str, pd.DataFrame]


def fit_per_series(make_estimator: Callable[[str], Any], data: pd.DataFrame) -> SeriesModels:
    """Fit one model per series on the training days (``make_estimator(name).fit``)."""
    train = data.iloc[: PROTOCOL["train_length"]]
    return SeriesModels(
        predictors={
            str(col): make_estimator(str(col)).fit(series_as_candles(train[col])) for col in data
        },
        candles={str(col): series_as_candles(data[col]) for col in data},
    )


def univariate_sampler(models: SeriesModels, *, seed: int = 0) -> Sampler:
    """Sample the series independently, each from its own model with its own seed (one seed
    for all would draw the same noise for every series: perfectly dependent samples)."""
    seeds = {
        col: int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
        for k, col in enumerate(models.predictors)
    }

    def sample(frame: pd.DataFrame, origin: int, num_samples: int) -> np.ndarray:
        per_series = []
        for col in frame.columns:
            forecast = models.predictors[col].predict_batch(
                models.candles[col], [origin], num_samples=num_samples, seed=seeds[col]
            )[0]
            per_series.append(forecast.samples)
        return np.stack(per_series, axis=-1)

    return sample


def return_correlation(data: pd.DataFrame, origin: int, *, window: int = 250) -> np.ndarray:
    """Correlation of the daily log returns of the last ``window`` days up to ``origin``; a
    series that did not move (a peg) is uncorrelated with the others. Positive definite."""
    values = np.log(data.to_numpy(float)[max(0, origin - window) : origin + 1])
    returns = np.diff(values, axis=0)
    moving = returns.std(axis=0) > 1e-12
    corr = np.eye(returns.shape[1])
    if moving.sum() > 1:
        corr[np.ix_(moving, moving)] = np.corrcoef(returns[:, moving], rowvar=False)
    eigval, eigvec = np.linalg.eigh(corr)  # clip to positive definite, keep the unit diagonal
    fixed = (eigvec * np.maximum(eigval, 1e-6)) @ eigvec.T
    scale = np.sqrt(np.diag(fixed))
    return np.asarray(fixed / np.outer(scale, scale), dtype=np.float64)


def joint_diffusion_sampler(models: SeriesModels, *, seed: int = 0, window: int = 250) -> Sampler:
    """Per-series diffusion models sampled jointly: each model's starting noise (of the models'
    ``latent`` kind) is drawn with the correlation of the series' last ``window`` daily
    returns (a Gaussian copula on the latent noise; the deterministic DDIM sampler carries it
    into the paths)."""
    from forex_diffusion.forecast.diffusion.estimator import latent_noise

    rng = np.random.default_rng(seed)
    first = next(iter(models.predictors.values()))
    future, kind = max(first.horizons), first.config.latent

    def sample(frame: pd.DataFrame, origin: int, num_samples: int) -> np.ndarray:
        chol = np.linalg.cholesky(return_correlation(frame, origin, window=window))
        n_series = frame.shape[1]
        # the models' own kind of noise (Sobol by default) over all series' steps, then
        # correlated across series
        base = latent_noise(num_samples, future * n_series, int(rng.integers(2**62)), kind)
        latent = base.numpy().astype(np.float64).reshape(num_samples, future, n_series) @ chol.T
        per_series = []
        for k, col in enumerate(frame.columns):
            forecast = models.predictors[col].predict_batch(
                models.candles[col], [origin], num_samples=num_samples, noise=latent[None, ..., k]
            )[0]
            per_series.append(forecast.samples)
        return np.stack(per_series, axis=-1)

    return sample


def joint_random_walk(
    data: pd.DataFrame,
    origin: int,
    num_samples: int,
    rng: np.random.Generator,
    *,
    window: int = 250,
) -> np.ndarray:
    """Gaussian random walk on levels with the covariance of the last ``window`` daily changes:
    samples of shape ``(num_samples, 30, 8)``."""
    values = data.to_numpy(float)
    changes = np.diff(values[origin - window : origin + 1], axis=0)
    cov = np.cov(changes, rowvar=False)
    steps = rng.multivariate_normal(
        np.zeros(values.shape[1]), cov, size=(num_samples, PROTOCOL["prediction_length"])
    )
    return np.asarray(values[origin] + np.cumsum(steps, axis=1), dtype=np.float64)


def evaluate_exchange_rate(
    data: pd.DataFrame, samplers: Mapping[str, Sampler], *, num_samples: int = 100
) -> pd.DataFrame:
    """Mean WQL and CRPS-sum of each model over the 5 windows."""
    if len(data) < PROTOCOL["train_length"] + PROTOCOL["prediction_length"] * PROTOCOL["windows"]:
        raise DataError(
            f"exchange_rate data has {len(data)} rows; the protocol needs "
            f"{PROTOCOL['train_length'] + 150}"
        )
    horizon = PROTOCOL["prediction_length"]
    values = data.to_numpy(float)
    rows = []
    for name, sampler in samplers.items():
        truths, all_samples = [], []
        for origin in origins(len(data)):
            all_samples.append(sampler(data, origin, num_samples))
            truths.append(values[origin + 1 : origin + 1 + horizon])
        samples = np.stack(all_samples)  # (windows, samples, 30, 8)
        truth = np.stack(truths)  # (windows, 30, 8)
        quantiles = np.moveaxis(np.quantile(samples, DEFAULT_LEVELS, axis=1), 0, -1)
        wql = weighted_quantile_loss(quantiles, truth, DEFAULT_LEVELS)
        joint = np.concatenate(list(samples), axis=1)  # (samples, windows*30, 8)
        crps = crps_sum(joint, np.concatenate(list(truth), axis=0))
        rows.append({"model": name, "mean_wql": wql, "crps_sum": crps})
    return pd.DataFrame(rows)
