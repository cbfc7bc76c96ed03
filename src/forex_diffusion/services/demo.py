"""The main job on the bundled EURUSD sample, end to end (``fxd demo``).

1. import the sample into the store (idempotent);
2. train the diffusion forecaster on the first 80 % of the bars (a small config; the checkpoint
   is cached in the demo's folder and reused while the config and the bars are the same);
3. its skill against the random walk on the last 20 % (CRPS per horizon, in the same run);
4. the pattern scan (every kind);
5. a walk-forward backtest of the full pipeline (the ``fused`` strategy: patterns, forecasts
   retrained per fold, fusion, quality gate and the decision from ``[signals]``, paper broker,
   risk), every fold stored as a run, compared on the same folds with the other decision rules,
   random entries and flat (``fxd walkforward --compare``);
6. the HTML report of the chained test windows.

``quick`` runs a small version (the last 2,500 bars, one epoch, two folds, the bootstrap
forecaster in the folds, no comparison) for tests and a first look.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forex_diffusion.backtest.report import pattern_marks, write_report
from forex_diffusion.backtest.walkforward import Fold, make_folds
from forex_diffusion.core.config import RootConfig
from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.services.backtest import WalkForwardOutcome, WalkForwardRequest, walkforward
from forex_diffusion.services.config import Scalar
from forex_diffusion.services.data import SampleImport, import_sample
from forex_diffusion.services.forecast import fit_diffusion, register_model
from forex_diffusion.services.progress import Progress, silent
from forex_diffusion.services.series import load_series
from forex_diffusion.storage import FusedSignalRepository, Store

if TYPE_CHECKING:
    from forex_diffusion.forecast.diffusion import DiffusionPredictor

__all__ = ["DemoOutcome", "DemoRequest", "GatePass", "HorizonSkill", "default_folder", "demo"]

QUICK_BARS = 2500
"""The bars a quick demo runs on: the newest of the sample."""
SEEDS = 100
"""Random-entry replays of the demo's comparison (``QUICK_SEEDS`` in a quick demo)."""
QUICK_SEEDS = 20
TRAIN_BARS = 1000
PURGE = 24
HORIZON = 24


def default_folder() -> Path:
    """The user data dir's ``demo/``: the report and the cached model."""
    import platformdirs

    return Path(platformdirs.user_data_dir("forex_diffusion")) / "demo"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoRequest:
    """The demo, full or ``quick``; ``folder`` holds the report and the cached model
    (default: :func:`default_folder`); ``compare``: run the comparison of the decision rules
    (default: the full demo only)."""

    quick: bool = False
    folder: Path | None = None
    compare: bool | None = None
    """Compare the decision rules on the walk-forward's folds (default: in the full demo)."""


@dataclass(frozen=True, slots=True)
class HorizonSkill:
    """CRPS at one horizon (pips) of the diffusion model and of the random walk."""

    horizon: int
    diffusion: float
    random_walk: float

    @property
    def ratio(self) -> float:
        """Diffusion over random walk: below 1 is skill."""
        return self.diffusion / self.random_walk


@dataclass(frozen=True, slots=True)
class GatePass:
    """How many of a source's scored signals the quality gate let through."""

    source: str
    passed: float
    """Share passed, in [0, 1]."""
    signals: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOutcome:
    """What the demo did: the sample imported, the bars it ran on, whether the model came from
    the cache, its skill per horizon (``skill``: every model and horizon, as evaluated),
    confirmed patterns per kind, the stored signals of the folds and the gate's pass rates,
    the stored walk-forward study and the report."""

    sample: SampleImport
    candles: pd.DataFrame
    cached: bool
    skill: pd.DataFrame
    crps: list[HorizonSkill]
    patterns: dict[str, int]
    signals: pd.DataFrame
    gate: list[GatePass]
    walkforward: WalkForwardOutcome
    report: Path


def demo(
    store: Store,
    config: RootConfig,
    request: DemoRequest,
    *,
    progress: Progress = silent,
) -> DemoOutcome:
    """Run the demo (see the module docstring) on ``store``; its walk-forward study takes the
    config's ``[trading]`` with the ``fused`` strategy and its ``[signals]``."""
    quick = request.quick
    folder = request.folder or default_folder()
    folder.mkdir(parents=True, exist_ok=True)
    sample = import_sample(store, progress=progress)
    sym, tf = sample.symbol, sample.timeframe
    # the stored bars of the sample's span: what the walk-forward study trades
    stored = load_series(store, sym, tf, end=sample.candles.index[-1]).all
    first = int(stored.index.searchsorted(sample.candles.index[0]))
    offset = max(first, len(stored) - QUICK_BARS) if quick else first
    candles = stored.iloc[offset:]

    predictor, cached = _forecaster(
        store, candles, folder, epochs=1 if quick else 10, progress=progress
    )
    skill = _skill(
        candles,
        predictor,
        step=96 if quick else 24,
        samples=50 if quick else 100,
        progress=progress,
    )
    patterns = _pattern_counts(candles, progress=progress)

    params: dict[str, Scalar] = {
        "forecaster": "bootstrap" if quick else "diffusion",
        "samples": 50,
        "epochs": 3,
    }
    plan = make_folds(len(candles), folds=2 if quick else 3, train_bars=TRAIN_BARS, purge=PURGE)
    shifted = [
        Fold(
            f.number,
            f.train_start + offset,
            f.train_end + offset,
            f.test_start + offset,
            f.test_end + offset,
        )
        for f in plan
    ]
    study = walkforward(
        store,
        config,
        WalkForwardRequest(
            symbol=sym,
            timeframe=tf,
            folds=len(plan),
            strategy="fused",
            params=params,
            train_bars=TRAIN_BARS,
            purge=PURGE,
            horizon=HORIZON,
            costs=True,
            engine="serial",
            compare=not quick if request.compare is None else request.compare,
            seeds=QUICK_SEEDS if quick else SEEDS,
        ),
        plan=shifted,
        progress=progress,
    )
    signals = _signals(store, sym, tf, [f.result.run_id for f in study.study.folds])
    report = _report(
        folder / f"demo-{study.run_id}.html",
        candles.iloc[plan[0].test_start :],
        study,
        signals,
        sym,
        tf,
    )
    return DemoOutcome(
        sample=sample,
        candles=candles,
        cached=cached,
        skill=skill,
        crps=_crps(skill, get_instrument(sym).pip_size),
        patterns=patterns,
        signals=signals,
        gate=_gate(signals),
        walkforward=study,
        report=report,
    )


def _forecaster(
    store: Store, candles: pd.DataFrame, folder: Path, *, epochs: int, progress: Progress
) -> tuple[DiffusionPredictor, bool]:
    """The diffusion model fitted on the first 80 % of the bars: loaded when a checkpoint of
    the same config and bars is cached in ``folder``, else trained, saved and registered."""
    from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionPredictor

    config = DiffusionConfig(symbol="EURUSD", timeframe="H1", epochs=epochs, seed=0)
    fit = candles.iloc[: int(len(candles) * 0.8)]
    key = hashlib.sha256(
        json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()
        + fit.to_numpy().tobytes()
    ).hexdigest()[:16]
    path = folder / f"diffusion-{key}.pt"
    if path.exists():
        return DiffusionPredictor.load(path), True
    predictor = fit_diffusion(fit, config, progress=progress)
    predictor.save(path)
    register_model(predictor, fit, config, path, store=store)
    return predictor, False


def _skill(
    candles: pd.DataFrame,
    predictor: DiffusionPredictor,
    *,
    step: int,
    samples: int,
    progress: Progress,
) -> pd.DataFrame:
    """CRPS per horizon of the diffusion model and the random walk on the last 20 %."""
    from forex_diffusion.forecast.baselines import RandomWalkEstimator
    from forex_diffusion.forecast.evaluation import evaluate_forecasts

    start = int(len(candles) * 0.8)
    horizons = tuple(predictor.horizons)
    origins = np.arange(start, len(candles) - max(horizons), step)
    walk = RandomWalkEstimator(horizons=horizons, symbol="EURUSD", timeframe="H1")
    predictors = {"diffusion": predictor, "random_walk": walk.fit(candles.iloc[:start])}
    label = "forecast skill on the last 20 %"
    scored = 0
    progress(label, 0, len(predictors))

    def on_model(_name: str) -> None:
        nonlocal scored
        scored += 1
        progress(label, scored, len(predictors))

    return evaluate_forecasts(
        candles, predictors, origins, num_samples=samples, seed=0, on_model=on_model
    )


def _crps(skill: pd.DataFrame, pip: float) -> list[HorizonSkill]:
    crps = skill.pivot_table(index="horizon", columns="model", values="crps")
    return [
        HorizonSkill(int(str(h)), float(row["diffusion"]) / pip, float(row["random_walk"]) / pip)
        for h, row in crps.iterrows()
    ]


def _pattern_counts(candles: pd.DataFrame, *, progress: Progress) -> dict[str, int]:
    """Confirmed pattern events per kind."""
    from forex_diffusion.patterns import PatternRegistry

    progress("scanning patterns", 0, None)
    events = PatternRegistry().scan(candles)
    progress("scanning patterns", 1, 1)
    confirmed = events[events["state"] == "confirmed"]
    return {str(k): int(v) for k, v in confirmed["kind"].value_counts().items() if v}


def _signals(store: Store, sym: Symbol, tf: Timeframe, run_ids: list[str]) -> pd.DataFrame:
    repo = FusedSignalRepository(store)
    frames = [repo.load(sym, tf, run_id=r) for r in run_ids]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _gate(signals: pd.DataFrame) -> list[GatePass]:
    if not len(signals):
        return []
    rates = signals.groupby("source")["passed"].mean()
    sizes = {str(k): int(v) for k, v in signals["source"].value_counts().items()}
    return [GatePass(str(k), float(v), sizes[str(k)]) for k, v in rates.items()]


def _report(
    path: Path,
    candles: pd.DataFrame,
    outcome: WalkForwardOutcome,
    signals: pd.DataFrame,
    sym: Symbol,
    tf: Timeframe,
) -> Path:
    """The HTML report of the chained test windows (``candles``: from the first test bar)."""
    study = outcome.study
    trades = study.trades
    by_source: dict[str, float] = {}
    if len(trades):
        sums = trades.groupby(trades["source"].fillna("-"))["pnl"].sum()
        by_source = {str(k): float(v) for k, v in sums.items()}
    return write_report(
        path,
        title=f"fxd demo: fused walk-forward on {sym} {tf.value}",
        symbol=sym.name,
        timeframe_delta=pd.Timedelta(tf.delta),
        candles=candles,
        trades=trades,
        equity=study.equity,
        metrics=study.metrics,
        pnl_by_source=by_source,
        patterns=pattern_marks(signals) if len(signals) else (),
        signals=signals if len(signals) else None,
        signal_errors=study.signal_errors,
        decisions=study.folds[-1].result.decisions if study.folds else None,
        comparison=outcome.summary.get("comparison"),
    )
