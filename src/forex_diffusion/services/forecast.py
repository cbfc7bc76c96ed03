"""The diffusion forecaster as use cases: train and register it, forecast from the newest bar,
and evaluate it against every baseline on held-out bars.

Training fits :class:`~forex_diffusion.forecast.diffusion.DiffusionEstimator` on a stored
series, saves the checkpoint and records it in the store's model registry. A forecast loads a
checkpoint (default: the newest registered for the series). An evaluation follows a protocol:
``rolling`` fits on the first 80 % of the stored bars and scores the last 20 %;
``exchange_rate_nips`` is the GluonTS benchmark on the LSTNet exchange-rate file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forex_diffusion.core.errors import ConfigError, ModelError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.services.progress import Progress, silent
from forex_diffusion.services.series import load_series
from forex_diffusion.storage import Store, TrainedModelRepository

if TYPE_CHECKING:
    from forex_diffusion.core.config import RootConfig
    from forex_diffusion.core.events import Forecast
    from forex_diffusion.forecast.base import Predictor
    from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionPredictor

__all__ = [
    "QUANTILE_LEVELS",
    "EvaluateOutcome",
    "EvaluateRequest",
    "EvaluationProtocol",
    "ForecastOutcome",
    "ForecastRequest",
    "TrainOutcome",
    "TrainRequest",
    "default_model_path",
    "evaluate",
    "fit_diffusion",
    "forecast",
    "fused_fit_end",
    "register_model",
    "train",
    "with_registered_checkpoint",
]

log = logging.getLogger(__name__)

QUANTILE_LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""The quantiles a forecast reports per horizon."""

CONFORMAL_START = 0.7
"""Where the rolling protocol's conformal calibration slice starts (share of the bars): after
the training, before the test."""


def fit_diffusion(
    candles: pd.DataFrame, config: DiffusionConfig, *, progress: Progress = silent
) -> DiffusionPredictor:
    """The diffusion forecaster ``config`` describes, fitted on ``candles`` (progress: the
    epochs of the stage ``training``, at most ``config.epochs``; early stopping may end it
    sooner)."""
    from forex_diffusion.forecast.diffusion import DiffusionEstimator

    progress("training", 0, config.epochs)

    def on_epoch(epoch: int, _loss: float, _val: float) -> None:
        progress("training", epoch, config.epochs)

    return DiffusionEstimator(config).fit(candles, on_epoch=on_epoch)


def register_model(
    predictor: DiffusionPredictor,
    candles: pd.DataFrame,
    config: DiffusionConfig,
    path: Path,
    *,
    store: Store,
) -> None:
    """Record a checkpoint saved at ``path`` (``predictor``, fitted on ``candles`` with
    ``config``) in the store's model registry."""
    from forex_diffusion.storage.models import to_ms

    meta = predictor.meta
    TrainedModelRepository(store).register(
        model_id=predictor.model_id,
        kind="diffusion",
        symbol=config.symbol,
        timeframe=config.timeframe,
        path=str(path.resolve()),
        config=config.model_dump(mode="json"),
        horizons=list(config.horizons),
        data_start_ms=to_ms(candles.index[0]),
        data_end_ms=to_ms(candles.index[-1]),
        data_hash=meta["data_hash"],
        metrics={"val_crps": meta["val_crps"], "epochs": len(meta["history"])},
    )


def _diffusion_config(options: Mapping[str, Any], **fields: Any) -> DiffusionConfig:
    """``DiffusionConfig`` of ``fields`` over ``options``; a ``ConfigError`` names a wrong
    option."""
    from pydantic import ValidationError

    from forex_diffusion.forecast.diffusion import DiffusionConfig

    try:
        return DiffusionConfig(**{**options, **fields})
    except ValidationError as exc:
        raise ConfigError(f"diffusion model options: {exc}") from None


def default_model_path(model_id: str) -> Path:
    """Where a checkpoint goes when the caller names no path: the user data dir's models/."""
    import platformdirs

    return Path(platformdirs.user_data_dir("forex_diffusion")) / "models" / f"{model_id}.pt"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainRequest:
    """Train the diffusion forecaster on a series' stored bars; ``out``: the checkpoint path
    (default: :func:`default_model_path`); ``options``: further ``DiffusionConfig`` fields
    (``hidden``, ``layers``, ``context``...)."""

    symbol: Symbol
    timeframe: Timeframe
    horizons: tuple[int, ...] = (1, 4, 12, 24)
    epochs: int = 40
    seed: int = 0
    out: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    end: pd.Timestamp | None = None
    """The last bar it is fitted on (default: the newest stored): a model fitted up to a date
    is the one a later backtest or paper run of the fused strategy picks up."""

    def __post_init__(self) -> None:
        if not self.horizons or min(self.horizons) < 1:
            raise ConfigError(f"horizons {self.horizons}: give positive bar counts")

    def diffusion_config(self) -> DiffusionConfig:
        """The model's config (horizons sorted and distinct); a ``ConfigError`` names a wrong
        option."""
        return _diffusion_config(
            self.options,
            symbol=self.symbol.name,
            timeframe=self.timeframe.value,
            horizons=tuple(sorted(set(self.horizons))),
            epochs=self.epochs,
            seed=self.seed,
        )


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    """A trained, saved and registered model: the predictor, its checkpoint, its bars."""

    predictor: DiffusionPredictor
    path: Path
    bars: int
    config: DiffusionConfig

    @property
    def model_id(self) -> str:
        """The registered model id."""
        return self.predictor.model_id

    @property
    def train_windows(self) -> int:
        """Training windows the model was fitted on."""
        return int(self.predictor.meta["train_windows"])

    @property
    def epochs(self) -> int:
        """Epochs trained (early stopping may end before the maximum)."""
        return len(self.predictor.meta["history"])

    @property
    def val_crps(self) -> float:
        """The validation CRPS of the kept weights."""
        return float(self.predictor.meta["val_crps"])


def train(store: Store, request: TrainRequest, *, progress: Progress = silent) -> TrainOutcome:
    """Fit the diffusion forecaster on the stored bars, save it and register it."""
    candles = load_series(store, request.symbol, request.timeframe, end=request.end).all
    config = request.diffusion_config()
    predictor = fit_diffusion(candles, config, progress=progress)
    target = request.out or default_model_path(predictor.model_id)
    predictor.save(target)
    register_model(predictor, candles, config, target, store=store)
    return TrainOutcome(predictor, target, len(candles), config)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastRequest:
    """A forecast from the newest stored bar of a series; ``model``: a checkpoint (default:
    the newest model registered for the series)."""

    symbol: Symbol
    timeframe: Timeframe
    model: Path | None = None
    samples: int = 200
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ForecastOutcome:
    """A forecast and the checkpoint it came from."""

    forecast: Forecast
    model_path: Path

    def quantiles(self, levels: tuple[float, ...] = QUANTILE_LEVELS) -> list[dict[str, Any]]:
        """One row per horizon: ``horizon`` and the price at each level, as ``q05``..."""
        f = self.forecast
        return [
            {"horizon": h, **{f"q{round(q * 100):02d}": f.quantile(q, h) for q in levels}}
            for h in f.horizons
        ]

    def summary(self) -> dict[str, Any]:
        """The forecast as JSON: model, origin, origin price, quantile rows."""
        return {
            "model_id": self.forecast.model_id,
            "origin": self.forecast.origin_ts.isoformat(),
            "origin_price": self.forecast.origin_price,
            "quantiles": self.quantiles(),
        }


def forecast(store: Store, request: ForecastRequest) -> ForecastOutcome:
    """Forecast from the newest stored bar; a ``ModelError`` when no model is registered for
    the series and none is named."""
    from forex_diffusion.forecast.diffusion import DiffusionPredictor

    candles = load_series(store, request.symbol, request.timeframe).all
    path = request.model
    if path is None:
        sym, tf = request.symbol, request.timeframe.value
        found = TrainedModelRepository(store).latest(sym.name, tf)
        if found is None:
            raise ModelError(
                f"no model registered for {sym} {tf}: run `fxd train {sym} {tf}` or pass --model"
            )
        path = Path(found["path"])
    predictor = DiffusionPredictor.load(path)
    made = predictor.predict(candles, num_samples=request.samples, seed=request.seed)
    return ForecastOutcome(made, path)


class EvaluationProtocol(StrEnum):
    """Evaluation protocols."""

    ROLLING = "rolling"
    EXCHANGE_RATE_NIPS = "exchange_rate_nips"


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluateRequest:
    """An evaluation: ``rolling`` needs ``symbol`` and ``timeframe``, ``exchange_rate_nips``
    needs ``data`` (the LSTNet file). ``step``: bars between test origins (rolling);
    ``conformal``: also score the diffusion model recalibrated by split conformal and by
    online adaptive conformal inference (rolling);
    ``options``: further ``DiffusionConfig`` fields of the rolling protocol's model."""

    protocol: EvaluationProtocol = EvaluationProtocol.ROLLING
    symbol: Symbol | None = None
    timeframe: Timeframe | None = None
    data: Path | None = None
    step: int = 6
    epochs: int = 40
    samples: int = 100
    seed: int = 0
    conformal: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.protocol is EvaluationProtocol.ROLLING and (
            self.symbol is None or self.timeframe is None
        ):
            raise ConfigError("the rolling protocol needs a symbol and a timeframe")
        if self.protocol is EvaluationProtocol.EXCHANGE_RATE_NIPS and self.data is None:
            raise ConfigError("exchange_rate_nips needs the data file (exchange_rate.txt.gz)")


@dataclass(frozen=True, slots=True)
class EvaluateOutcome:
    """The scores: for ``rolling`` one row per model and horizon (CRPS in price, WQL,
    coverage, hit rate, Diebold-Mariano p-value vs the random walk, ``best``), the fit size,
    the test origins and the verdict lines; for ``exchange_rate_nips`` one row per model
    (``mean_wql``, ``crps_sum``, ``note``: why a model failed, else ``None``)."""

    protocol: EvaluationProtocol
    table: pd.DataFrame
    fit_bars: int | None = None
    origins: int | None = None
    verdict: tuple[str, ...] = ()


def evaluate(
    store: Store | None, request: EvaluateRequest, *, progress: Progress = silent
) -> EvaluateOutcome:
    """Score the diffusion model against every baseline under ``request.protocol`` (the
    ``rolling`` protocol reads the bars from ``store``; ``exchange_rate_nips`` needs none)."""
    if request.protocol is EvaluationProtocol.EXCHANGE_RATE_NIPS:
        return _evaluate_exchange_rate(request, progress=progress)
    if store is None:
        raise ConfigError("the rolling protocol reads its bars from a store")
    return _evaluate_rolling(store, request, progress=progress)


def _evaluate_rolling(
    store: Store, request: EvaluateRequest, *, progress: Progress
) -> EvaluateOutcome:
    from forex_diffusion.forecast.baselines import baseline_estimators
    from forex_diffusion.forecast.evaluation import evaluate_forecasts, rolling_split, verdict

    assert request.symbol is not None and request.timeframe is not None  # __post_init__
    sym, tf = request.symbol, request.timeframe
    candles = load_series(store, sym, tf).all
    config = _diffusion_config(
        request.options,
        symbol=sym.name,
        timeframe=tf.value,
        epochs=request.epochs,
        seed=request.seed,
    )
    split = rolling_split(len(candles), horizon=config.future, step=request.step)
    fit_data = candles.iloc[: split.fit_end]
    diffusion = fit_diffusion(fit_data, config, progress=progress)
    predictors: dict[str, Predictor] = {"diffusion": diffusion}
    if request.conformal:
        from forex_diffusion.forecast.conformal import AdaptiveConformal, calibrate

        predictors["diffusion+aci"] = AdaptiveConformal(diffusion)

        start = int(len(candles) * CONFORMAL_START)
        calib = list(range(start, split.fit_end - config.future, max(1, request.step // 2)))
        predictors["diffusion+conformal"] = calibrate(
            diffusion, fit_data, calib, num_samples=request.samples, seed=request.seed
        )
    for name, estimator in baseline_estimators(
        horizons=config.horizons, symbol=sym.name, timeframe=tf.value
    ).items():
        predictors[name] = estimator.fit(fit_data)
    label, started = "forecasting the test origins", 0
    progress(label, 0, len(predictors))

    def on_model(_name: str) -> None:
        nonlocal started
        started += 1
        progress(label, started - 1, len(predictors))

    table = evaluate_forecasts(
        candles,
        predictors,
        split.origins,
        num_samples=request.samples,
        seed=request.seed,
        on_model=on_model,
    )
    progress(label, len(predictors), len(predictors))
    return EvaluateOutcome(
        request.protocol,
        table,
        fit_bars=split.fit_end,
        origins=len(split.origins),
        verdict=tuple(verdict(table, model="diffusion")),
    )


def _constant(estimator: Any) -> Callable[[str], Any]:
    """The same estimator for every series (each ``fit`` returns a new predictor)."""

    def make(_series: str) -> Any:
        return estimator

    return make


def _evaluate_exchange_rate(request: EvaluateRequest, *, progress: Progress) -> EvaluateOutcome:
    import numpy as np

    from forex_diffusion.forecast import exchange_rate as er
    from forex_diffusion.forecast.baselines import baseline_estimators
    from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

    assert request.data is not None  # __post_init__
    frame = er.load_exchange_rate(request.data)
    horizons = tuple(range(1, er.PROTOCOL["prediction_length"] + 1))
    rng = np.random.default_rng(request.seed)
    samplers: dict[str, er.Sampler] = {
        "gaussian_rw_joint_250d": lambda d, o, n: er.joint_random_walk(d, o, n, rng),
    }
    baselines = baseline_estimators(horizons=horizons, symbol="EURUSD", timeframe="D1")
    config = DiffusionConfig(
        symbol="EURUSD",
        timeframe="D1",
        horizons=horizons,
        epochs=request.epochs,
        seed=request.seed,
        halflife=60.0,
    )
    estimators: dict[str, Any] = {**baselines, "diffusion": DiffusionEstimator(config)}
    label = f"fitting per-series models ({frame.shape[1]} series)"
    progress(label, 0, len(estimators))
    failed: dict[str, str] = {}
    for done, (name, estimator) in enumerate(estimators.items(), start=1):
        try:
            models = er.fit_per_series(_constant(estimator), frame)
        except ModelError as exc:  # one model failing must not hide the others' figures
            failed[name] = str(exc)
        else:
            samplers[name] = er.univariate_sampler(models, seed=request.seed)
            if name == "diffusion":
                samplers["diffusion_joint"] = er.joint_diffusion_sampler(models, seed=request.seed)
        progress(label, done, len(estimators))
    table = er.evaluate_exchange_rate(frame, samplers, num_samples=request.samples)
    table["note"] = None
    for name, reason in failed.items():
        table.loc[len(table)] = {
            "model": name,
            "mean_wql": float("nan"),
            "crps_sum": float("nan"),
            "note": f"failed: {reason}",
        }
    return EvaluateOutcome(request.protocol, table)


def fused_fit_end(candles: pd.DataFrame, traded_from: int, config: RootConfig) -> pd.Timestamp:
    """The last bar the fused strategy of ``config`` (its ``[trading]`` strategy must be
    ``fused``) fits its models on when it trades ``candles`` from position ``traded_from``
    (earlier bars warm it up): its first decision waits for ``fit_bars + fit_gap`` earlier bars
    and leaves out the last ``fit_gap``."""
    from forex_diffusion.trading.strategies.fusion import FusionStrategy

    p = FusionStrategy.Params.model_validate(config.trading.strategy_params)
    first = max(traded_from, p.fit_bars + p.fit_gap)
    return pd.Timestamp(candles.index[max(0, min(first, len(candles)) - 1 - p.fit_gap)])


def with_registered_checkpoint(
    store: Store,
    config: RootConfig,
    symbol: Symbol,
    timeframe: Timeframe,
    *,
    fit_end: pd.Timestamp,
) -> RootConfig:
    """``config`` with the fused strategy's diffusion forecaster given the newest registered
    checkpoint of the series that was fitted on bars up to ``fit_end`` (the last bar the
    strategy fits on) at the latest and samples paths long enough; unchanged for another
    strategy or forecaster, a checkpoint already named, or none registered (the strategy then
    trains one on its fit bars). A registered file that is gone is skipped with a warning."""
    from forex_diffusion.services.config import with_strategy
    from forex_diffusion.storage.models import to_ms
    from forex_diffusion.trading.strategies.fusion import PATH_BARS, FusionStrategy

    trading = config.trading
    if trading.strategy != "fused":
        return config
    params = FusionStrategy.Params.model_validate(trading.strategy_params)
    if params.forecaster != "diffusion" or params.checkpoint:
        return config
    rows = TrainedModelRepository(store).fitted_before(
        symbol.name, timeframe.value, end_ms=to_ms(fit_end)
    )
    for row in rows:
        if max(row["horizons"], default=0) < PATH_BARS:
            continue
        if not Path(row["path"]).is_file():
            log.warning("registered model %s: %s is gone, skipped", row["model_id"], row["path"])
            continue
        log.info("fused strategy forecasts with the registered model %s", row["model_id"])
        return with_strategy(config, None, {"checkpoint": row["path"]})
    return config
