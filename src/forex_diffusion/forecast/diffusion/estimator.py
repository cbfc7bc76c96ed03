"""``DiffusionEstimator.fit(candles) -> DiffusionPredictor``: training, sampling, checkpoints.

Training pairs are (context window ending at t, next ``max(horizons)`` returns) for every
origin t with full context and future. With ``drift="zero"`` (the default) the training
sample's mean scaled return is subtracted from the targets: a trend over one sample (EURUSD rose
14 % in 2017) is not a forecast, and a model that learns it loses to the random walk (checked on
the validation window). The last ``val_fraction`` of origins (after a purge gap of one future
length) is the validation set; early stopping watches the validation CRPS of the *future*
cumulative returns at the forecast horizons, never a reconstruction of the input.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from pydantic import Field, field_validator
from scipy.stats import norm, qmc

from forex_diffusion.core.config import FrozenModel
from forex_diffusion.core.errors import DataError, ModelError
from forex_diffusion.data.candles import index_ns
from forex_diffusion.forecast.base import DEFAULT_HORIZONS, Floats, ForecastRequest, PathPredictor
from forex_diffusion.forecast.diffusion.network import (
    Denoiser,
    cosine_alpha_bar,
    ddim_sample,
    training_loss,
)
from forex_diffusion.forecast.diffusion.windows import (
    CLOCK,
    FEATURES,
    HOURS,
    bar_features,
    hourly_profile,
)
from forex_diffusion.forecast.metrics import crps_samples

__all__ = ["DiffusionConfig", "DiffusionEstimator", "DiffusionPredictor"]

log = logging.getLogger(__name__)
CHECKPOINT_VERSION = 2
ProgressCallback = Callable[[int, float, float], None]
"""Called after each epoch with (epoch, training loss, validation CRPS)."""


class DiffusionConfig(FrozenModel):
    """Configuration of the diffusion forecaster; the defaults are the demo's."""

    symbol: str = "EURUSD"
    timeframe: str = "H1"
    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    context: int = Field(default=48, ge=4, description="bars of history the model sees")
    halflife: float = Field(default=120.0, gt=1, description="EWMA volatility half-life, bars")
    hidden: int = Field(default=256, ge=8)
    layers: int = Field(default=3, ge=1)
    context_dim: int = Field(default=128, ge=4)
    diffusion_steps: int = Field(default=1000, ge=10)
    sampling_steps: int = Field(default=20, ge=2, description="DDIM steps at prediction time")
    prediction: Literal["epsilon", "v"] = "v"
    drift: Literal["zero", "learned"] = Field(
        default="zero",
        description="zero: remove the training sample's mean return from the targets (FX "
        "drift over one sample is not forecastable); learned: keep it",
    )
    seasonal: bool = Field(
        default=True,
        description="divide returns by their hour's typical size (fitted on the training bars) "
        "as well as by the EWMA volatility",
    )
    centre: bool = Field(
        default=True,
        description="martingale paths: remove the mean of each origin's sampled paths (the model "
        "forecasts spread, shape and dependence; its conditional mean of FX returns is noise)",
    )
    latent: Literal["iid", "sobol"] = Field(
        default="sobol",
        description="starting noise of the sampler: i.i.d. Gaussian, or scrambled Sobol points "
        "mapped to Gaussians (evener paths for the same count)",
    )
    epochs: int = Field(default=40, ge=1)
    batch_size: int = Field(default=256, ge=8)
    learning_rate: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=1e-4, ge=0)
    patience: int = Field(default=6, ge=1, description="epochs without validation gain")
    val_fraction: float = Field(default=0.125, gt=0, lt=0.5)
    val_origins: int = Field(default=256, ge=8)
    val_samples: int = Field(default=32, ge=4)
    seed: int = 0

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or list(value) != sorted(set(value)) or value[0] < 1:
            raise ValueError("horizons must be distinct positive bar counts, ascending")
        return value

    @property
    def future(self) -> int:
        """Length of the sampled path: the longest horizon."""
        return max(self.horizons)

    @property
    def warmup(self) -> int:
        """Bars before the first usable origin (features settle, full context)."""
        return self.context + 24


def _data_hash(candles: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(index_ns(candles.index).tobytes())
    digest.update(
        np.ascontiguousarray(candles[["open", "high", "low", "close"]].to_numpy()).tobytes()
    )
    return digest.hexdigest()


def _origin_seed(seed: int, when: pd.Timestamp) -> int:
    return (seed * 1_000_003 + int(when.value // 60_000_000_000)) % (2**63 - 1)


def latent_noise(num_samples: int, length: int, seed: int, kind: str) -> torch.Tensor:
    """Standard Gaussian starting noise ``(num_samples, length)`` for the sampler: i.i.d., or
    (``"sobol"``) scrambled Sobol points (seeded) through the normal quantile function, which
    spread a fixed number of paths more evenly than i.i.d. draws."""
    if kind == "iid":
        return torch.randn((num_samples, length), generator=torch.Generator().manual_seed(seed))
    engine = qmc.Sobol(d=length, scramble=True, seed=seed)
    with warnings.catch_warnings():
        # scipy warns that Sobol points are balanced only for powers of 2; 100 paths are not
        warnings.filterwarnings("ignore", message=".*balance properties", category=UserWarning)
        u = np.clip(engine.random(num_samples), 1e-7, 1 - 1e-7)
    return torch.from_numpy(norm.ppf(u).astype(np.float32))


def centre_paths(paths: np.ndarray) -> np.ndarray:
    """Remove the mean over samples (axis 1) of each origin's paths ``(origins, samples, steps)``.

    The deviations are scaled by ``sqrt(n / (n - 1))`` so that removing the sample mean does
    not shrink the spread; a single sample is returned as it is.
    """
    n = paths.shape[1]
    if n < 2:
        return paths
    return np.asarray((paths - paths.mean(axis=1, keepdims=True)) * np.sqrt(n / (n - 1)))


class DiffusionPredictor(PathPredictor):
    """A trained diffusion forecaster (see :class:`DiffusionEstimator`).

    It :attr:`~forex_diffusion.forecast.base.Predictor.takes_noise`: ``predict_batch(noise=...)``
    is the sampler's starting Gaussian noise, ``(origins, num_samples, future)`` (``future`` =
    the longest horizon), instead of noise drawn from ``seed``. DDIM maps noise to paths
    deterministically, so noise correlated across the models of several series gives joint
    samples of them (a Gaussian copula on the latent noise).
    """

    takes_noise = True

    def __init__(self, *, config: DiffusionConfig, model: Denoiser, meta: dict[str, Any]):
        self.config = config
        self.model = model.eval()
        self.meta = meta
        self.horizons = tuple(config.horizons)
        self.model_id = str(meta["model_id"])
        self.symbol = config.symbol
        self.timeframe = config.timeframe
        self._alpha_bar = cosine_alpha_bar(config.diffusion_steps)
        self.profile = np.asarray(meta["scaler"]["profile"], dtype=np.float64)

    @property
    def min_history(self) -> int:
        """Bars of history an origin needs: the context and the features' warm-up."""
        return self.config.warmup

    def at_horizons(self, horizons: tuple[int, ...]) -> DiffusionPredictor:
        """The same model read at other horizons (the paths it samples reach its longest, so
        any horizons up to that): a checkpoint trained for ``(1, 4, 12, 24)`` forecasts every
        bar up to 24."""
        if not horizons or min(horizons) < 1 or max(horizons) > self.config.future:
            raise ModelError(
                f"{self.model_id} samples paths of {self.config.future} bars: horizons "
                f"{horizons} are out of reach"
            )
        other = DiffusionPredictor(config=self.config, model=self.model, meta=self.meta)
        other.horizons = tuple(horizons)
        return other

    def _paths(self, request: ForecastRequest) -> Floats:
        cfg = self.config
        positions, num_samples, noise = request.positions, request.num_samples, request.noise
        feats = bar_features(request.candles, halflife=cfg.halflife, profile=self.profile)
        index = pd.DatetimeIndex(request.candles.index)
        seed = request.seed
        if seed is None:  # no seed: fresh randomness, as with the baselines
            seed = int(np.random.default_rng().integers(0, 2**62))
        out = np.empty((len(positions), num_samples, len(self.horizons)))
        cols = np.asarray(self.horizons) - 1
        chunk = max(1, 20_000 // num_samples)
        for start in range(0, len(positions), chunk):
            pos = positions[start : start + chunk]
            context = torch.from_numpy(feats.context(pos, cfg.context))
            if noise is None:
                latent = torch.cat(
                    [
                        latent_noise(
                            num_samples, cfg.future, _origin_seed(seed, index[p]), cfg.latent
                        )
                        for p in pos
                    ]
                )
            else:
                block = noise[start : start + len(pos)].reshape(-1, cfg.future)
                latent = torch.from_numpy(np.ascontiguousarray(block, dtype=np.float32))
            with torch.no_grad():
                cond = self.model.encode(context).repeat_interleave(num_samples, dim=0)
                paths = (
                    ddim_sample(
                        self.model,
                        cond,
                        self._alpha_bar,
                        horizon=cfg.future,
                        steps=cfg.sampling_steps,
                        prediction=cfg.prediction,
                        noise=latent,
                    )
                    .numpy()
                    .astype(np.float64)
                )
            paths = paths.reshape(len(pos), num_samples, cfg.future)
            if cfg.centre:
                paths = centre_paths(paths)
            paths = paths * feats.scale(pos, cfg.future)[:, None, :]
            out[start : start + len(pos)] = np.cumsum(paths, axis=-1)[..., cols]
        return out

    def save(self, path: str | Path) -> Path:
        """Write a checkpoint: weights, config, features, horizons, data range and hash."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "format": CHECKPOINT_VERSION,
                "state_dict": self.model.state_dict(),
                "config": self.config.model_dump(mode="json"),
                "meta": self.meta,
            },
            target,
        )
        return target

    @classmethod
    def load(cls, path: str | Path) -> DiffusionPredictor:
        """Read a checkpoint written by :meth:`save`; a bad file is a ``ModelError``."""
        source = Path(path)
        if not source.is_file():
            raise ModelError(f"{source}: checkpoint not found")
        try:
            blob = torch.load(source, map_location="cpu", weights_only=True)
            if blob.get("format") != CHECKPOINT_VERSION:
                raise ModelError(f"{source}: unsupported checkpoint format {blob.get('format')}")
            config = DiffusionConfig.model_validate(blob["config"])
            model = _network(config)
            model.load_state_dict(blob["state_dict"])
        except ModelError:
            raise
        except Exception as exc:  # torch raises many types for a corrupt file
            raise ModelError(f"{source}: not a forex_diffusion checkpoint ({exc})") from None
        if tuple(blob["meta"].get("features", ())) != FEATURES:
            raise ModelError(f"{source}: trained on other features {blob['meta'].get('features')}")
        return cls(config=config, model=model, meta=blob["meta"])


def _network(cfg: DiffusionConfig) -> Denoiser:
    return Denoiser(
        horizon=cfg.future,
        context_len=cfg.context,
        n_features=len(FEATURES),
        hidden=cfg.hidden,
        layers=cfg.layers,
        context_dim=cfg.context_dim,
    )


class DiffusionEstimator:
    """Trains the conditional diffusion forecaster (GluonTS-style ``fit -> predictor``)."""

    def __init__(self, config: DiffusionConfig | None = None) -> None:
        self.config = config or DiffusionConfig()

    def fit(
        self, candles: pd.DataFrame, *, on_epoch: ProgressCallback | None = None
    ) -> DiffusionPredictor:
        """Train on ``candles`` (the last ``val_fraction`` of origins validates)."""
        cfg = self.config
        torch.manual_seed(cfg.seed)
        profile = hourly_profile(candles) if cfg.seasonal else np.ones(HOURS)
        feats = bar_features(candles, halflife=cfg.halflife, profile=profile)
        origins = np.arange(cfg.warmup - 1, len(candles) - cfg.future)
        if len(origins) < 64:
            raise DataError(
                f"too few bars to train: {len(candles)} bars give {len(origins)} "
                f"training windows (context {cfg.context}, future {cfg.future})"
            )
        n_val = max(8, int(len(origins) * cfg.val_fraction))
        val = origins[-n_val:]
        train = origins[origins <= val[0] - cfg.future]  # purge: no training future in val
        future = feats.future(train, cfg.future)
        drift = float(future.mean()) if cfg.drift == "zero" else 0.0
        x_train = torch.from_numpy(future - np.float32(drift))
        c_train = torch.from_numpy(feats.context(train, cfg.context))
        rng = np.random.default_rng(cfg.seed)
        val_pick = np.sort(rng.choice(val, size=min(cfg.val_origins, len(val)), replace=False))
        c_val = torch.from_numpy(feats.context(val_pick, cfg.context))
        y_val = np.cumsum(feats.future(val_pick, cfg.future), axis=1)[
            :, np.asarray(cfg.horizons) - 1
        ]

        model = _network(cfg)
        alpha_bar = cosine_alpha_bar(cfg.diffusion_steps)
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
        )
        generator = torch.Generator().manual_seed(cfg.seed)
        best, best_state, stale, history = np.inf, copy.deepcopy(model.state_dict()), 0, []
        for epoch in range(1, cfg.epochs + 1):
            model.train()
            order = torch.randperm(len(train), generator=generator)
            losses = []
            for start in range(0, len(train), cfg.batch_size):
                idx = order[start : start + cfg.batch_size]
                loss = training_loss(
                    model,
                    x_train[idx],
                    c_train[idx],
                    alpha_bar,
                    prediction=cfg.prediction,
                    generator=generator,
                )
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimiser.step()
                losses.append(float(loss.detach()))
            score = self._validate(model, c_val, y_val, alpha_bar)
            history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_crps": score})
            if on_epoch is not None:
                on_epoch(epoch, float(np.mean(losses)), score)
            if score < best - 1e-6:
                best, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
                if stale >= cfg.patience:
                    log.info("early stop at epoch %d (best validation CRPS %.4f)", epoch, best)
                    break
        model.load_state_dict(best_state)
        index = pd.DatetimeIndex(candles.index)
        meta = {
            "model_id": f"diffusion-{_data_hash(candles)[:12]}-s{cfg.seed}",
            "features": list(FEATURES),
            "horizons": list(cfg.horizons),
            "data_start": index[0].isoformat(),
            "data_end": index[-1].isoformat(),
            "data_hash": _data_hash(candles),
            "train_windows": len(train),
            "val_windows": len(val),
            "val_crps": best,
            "history": history,
            "scaler": {
                "kind": "hourly_profile_ewma_volatility",
                "clock": str(CLOCK),
                "halflife": cfg.halflife,
                "profile": profile.tolist(),
            },
            "removed_drift": drift,
        }
        return DiffusionPredictor(config=cfg, model=model, meta=meta)

    def _validate(
        self, model: Denoiser, context: torch.Tensor, y: np.ndarray, alpha_bar: torch.Tensor
    ) -> float:
        """Mean CRPS of the validation futures (volatility-scaled cumulative returns)."""
        cfg = self.config
        model.eval()
        noise = torch.randn(
            (len(context) * cfg.val_samples, cfg.future),
            generator=torch.Generator().manual_seed(cfg.seed + 1),
        )
        with torch.no_grad():
            cond = model.encode(context).repeat_interleave(cfg.val_samples, dim=0)
            paths = ddim_sample(
                model,
                cond,
                alpha_bar,
                horizon=cfg.future,
                steps=cfg.sampling_steps,
                prediction=cfg.prediction,
                noise=noise,
            ).numpy()
        paths = paths.reshape(len(context), cfg.val_samples, cfg.future)
        if cfg.centre:
            paths = centre_paths(paths)
        paths = np.cumsum(paths, axis=-1)
        samples = np.moveaxis(paths[..., np.asarray(cfg.horizons) - 1], 1, 0)
        return float(crps_samples(samples, y).mean())
