"""Signal studies and their statistics, stored as ``signals`` runs.

A study fits on the first part of a series' stored bars (the forecaster too, when there is
one), then fuses patterns and forecasts on every later bar through the fusion and gate that
``[signals]`` configures
(:func:`~forex_diffusion.intelligence.evaluation.signal_study.run_signal_study`);
every decision, passed or not, is stored under the run, and the run stores the ``[signals]``
section it used. The statistics of a stored study compare the passed and the rejected signals
out of sample (docs/signals.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.errors import ConfigError, DataError
from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.intelligence.evaluation.signal_statistics import signal_statistics
from forex_diffusion.intelligence.evaluation.signal_study import (
    SignalStudy,
    run_signal_study,
    study_split,
)
from forex_diffusion.intelligence.sentiment import SentimentFeed
from forex_diffusion.services.config import run_settings
from forex_diffusion.services.progress import Progress, silent
from forex_diffusion.services.series import load_series
from forex_diffusion.storage import FusedSignalRepository, RunRepository, Store

if TYPE_CHECKING:
    from forex_diffusion.core.events import Forecast
    from forex_diffusion.forecast.base import Predictor

__all__ = [
    "Forecaster",
    "SignalStatsOutcome",
    "SignalStatsRequest",
    "SignalStudyOutcome",
    "SignalStudyRequest",
    "signal_stats",
    "signal_study",
    "stored_spread_pips",
    "study_signals",
]

FORECAST_CHUNK = 250
"""Forecast origins per batch (progress and heartbeat between batches)."""

STUDY_STRATEGY = "unified_signal_fusion"
"""The strategy name a signals run is stored under."""


class Forecaster(StrEnum):
    """Where a study's forecast source gets its forecasts."""

    DIFFUSION = "diffusion"
    BOOTSTRAP = "bootstrap"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalStudyRequest:
    """A signal study on a stored series. ``fit_fraction``, ``threshold`` and ``sentiment``
    override the ``[signals]`` fields of the config (``None``: as configured); ``epochs``
    (diffusion training), ``samples`` (paths per forecast) and ``seed`` drive the forecaster."""

    symbol: Symbol
    timeframe: Timeframe
    forecaster: Forecaster = Forecaster.DIFFUSION
    fit_fraction: float | None = None
    threshold: float | None = None
    sentiment: Path | None = None
    epochs: int = 20
    samples: int = 200
    seed: int = 0
    run_id: str | None = None

    def __post_init__(self) -> None:
        if self.fit_fraction is not None and not 0.0 < self.fit_fraction < 1.0:
            raise ConfigError(f"fit fraction {self.fit_fraction}: give a share in (0, 1)")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold {self.threshold}: give a composite in [0, 1]")

    def overrides(self) -> dict[str, Any]:
        """The ``[signals]`` fields this request sets."""
        given = {
            "fit_fraction": self.fit_fraction,
            "threshold": self.threshold,
            "sentiment_file": str(self.sentiment) if self.sentiment else None,
        }
        return {k: v for k, v in given.items() if v is not None}


@dataclass(frozen=True, slots=True)
class SignalStudyOutcome:
    """A stored study: its run id, the study, the ``[signals]`` it ran with, how many
    candidate signals it stored and how many passed the gate, the forecaster's model id."""

    run_id: str
    symbol: Symbol
    timeframe: Timeframe
    study: SignalStudy
    signals: SignalsConfig
    count: int
    passed: int
    model_id: str | None

    @property
    def fit_end(self) -> pd.Timestamp:
        """The first decided bar (the study fitted on the bars before it)."""
        return self.study.fit_end

    def summary(self) -> dict[str, Any]:
        """What the run stores as its metrics."""
        return {
            "signals": self.count,
            "passed": self.passed,
            "fit_end": self.study.fit_end.isoformat(),
            "source_errors": dict(self.study.source_errors),
        }


def study_signals(config: RootConfig, request: SignalStudyRequest) -> SignalsConfig:
    """The config's ``[signals]`` with the request's overrides."""
    return config.signals.model_copy(update=request.overrides())


def _predictor(
    request: SignalStudyRequest, fit: pd.DataFrame, *, progress: Progress
) -> Predictor | None:
    sym, tf = request.symbol, request.timeframe
    if request.forecaster is Forecaster.NONE:
        return None
    if request.forecaster is Forecaster.BOOTSTRAP:
        from forex_diffusion.forecast.baselines import BootstrapEstimator

        return BootstrapEstimator(symbol=sym.name, timeframe=tf.value).fit(fit)
    from forex_diffusion.forecast.diffusion import DiffusionConfig
    from forex_diffusion.services.forecast import fit_diffusion

    config = DiffusionConfig(
        symbol=sym.name, timeframe=tf.value, epochs=request.epochs, seed=request.seed
    )
    return fit_diffusion(fit, config, progress=progress)


def signal_study(
    store: Store,
    config: RootConfig,
    request: SignalStudyRequest,
    *,
    progress: Progress = silent,
) -> SignalStudyOutcome:
    """Run and store a signal study (see the module docstring). The sentiment feed, the bars
    and the split are checked before any model is trained."""
    signals = study_signals(config, request)
    if signals.sentiment_file:
        SentimentFeed.from_csv(signals.sentiment_file)  # a bad feed fails before training
    sym, tf = request.symbol, request.timeframe
    candles = load_series(store, sym, tf).all
    fit_end = study_split(len(candles), signals.fit_fraction)  # too short: fail before training
    predictor = _predictor(request, candles.iloc[:fit_end], progress=progress)
    rid = request.run_id or f"sg-{uuid.uuid4().hex[:12]}"
    model_id = predictor.model_id if predictor is not None else None
    digest, stored = run_settings(
        config.trading,
        signals,
        forecaster=request.forecaster.value,
        epochs=request.epochs,
        model_id=model_id,
    )
    with RunRepository(store).recording(
        kind="signals",
        config_hash=digest,
        config=stored,
        symbol=sym.name,
        timeframe=tf.value,
        strategy=STUDY_STRATEGY,
        run_id=rid,
    ) as run:

        def forecasts(frame: pd.DataFrame, positions: Sequence[int]) -> list[Forecast]:
            assert predictor is not None
            out: list[Forecast] = []
            progress("forecasting", 0, len(positions))
            for i in range(0, len(positions), FORECAST_CHUNK):
                chunk = list(positions[i : i + FORECAST_CHUNK])
                out.extend(
                    predictor.predict_batch(
                        frame, chunk, num_samples=request.samples, seed=request.seed + i
                    )
                )
                progress("forecasting", len(out), len(positions))
                run.beat()
            return out

        def on_bar(done: int, total: int) -> None:
            progress("fusing bar by bar", done, total)
            run.beat()

        study = run_signal_study(
            candles,
            symbol=sym.name,
            timeframe=tf.value,
            signals=signals,
            forecaster=forecasts if predictor is not None else None,
            scope=rid,
            on_bar=on_bar,
        )
        count = FusedSignalRepository(store).save(
            ((d.signal, d.score.passed) for d in study.decisions), run_id=rid
        )
        passed = sum(d.score.passed for d in study.decisions)
        outcome = SignalStudyOutcome(rid, sym, tf, study, signals, count, passed, model_id)
        run.metrics = outcome.summary()
    return outcome


def stored_spread_pips(config: Mapping[str, Any] | None) -> float:
    """The spread (pips) a stored signals run used: its ``signals`` section's, else the
    top-level ``spread_pips`` of runs stored before the section existed, else the default."""
    stored = dict(config or {})
    section = stored.get("signals")
    if isinstance(section, Mapping) and "spread_pips" in section:
        return float(section["spread_pips"])
    return float(stored.get("spread_pips", SignalsConfig().spread_pips))


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalStatsRequest:
    """The statistics of a stored signals run (default: the newest of the series)."""

    symbol: Symbol
    timeframe: Timeframe
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class SignalStatsOutcome:
    """The run's statistics (see
    :func:`~forex_diffusion.intelligence.evaluation.signal_statistics.signal_statistics`)."""

    run_id: str
    statistics: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The run id and the statistics, as JSON."""
        return {"run_id": self.run_id, **self.statistics}


def signal_stats(store: Store, request: SignalStatsRequest) -> SignalStatsOutcome:
    """Distribution of every quality dimension, pass rates per source and pattern family, and
    the out-of-sample outcomes of passed versus rejected signals of a stored run; a
    ``DataError`` when there is no such run or it stored no signals."""
    sym, tf = request.symbol, request.timeframe
    runs = RunRepository(store)
    run = (
        runs.get(request.run_id)
        if request.run_id
        else runs.latest(kind="signals", symbol=sym.name, timeframe=tf.value)
    )
    if run is None:
        raise DataError(
            f"no signals run {request.run_id!r} in the store"
            if request.run_id
            else f"no signals run for {sym} {tf.value}: run `fxd signals generate {sym} {tf.value}`"
        )
    signals = FusedSignalRepository(store).load(sym, tf, run_id=run["run_id"])
    if signals.empty:
        raise DataError(f"run {run['run_id']} stored no {sym} {tf.value} signals")
    spread = get_instrument(sym).from_pips(stored_spread_pips(run["config"]))
    candles = load_series(store, sym, tf).all
    return SignalStatsOutcome(run["run_id"], signal_statistics(signals, candles, spread=spread))
