"""``fxd signals generate`` and ``fxd signals stats``: a signal study and its evidence."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, make_progress, state, wide_console
from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol, Timeframe

if TYPE_CHECKING:
    import pandas as pd

    from forex_diffusion.core.events import Forecast
    from forex_diffusion.forecast.base import Predictor

__all__ = ["app"]

app = typer.Typer(help="Fused, quality-gated signals: studies and their statistics.")

SymbolArg = Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")]
TimeframeArg = Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")]
CHUNK = 250


class Forecaster(StrEnum):
    """Where the forecast source's forecasts come from."""

    DIFFUSION = "diffusion"
    BOOTSTRAP = "bootstrap"
    NONE = "none"


def _candles(sym: Symbol, tf: Timeframe) -> pd.DataFrame:
    from forex_diffusion.storage import CandleRepository

    candles = CandleRepository(state.store()).load(sym, tf)
    if candles.empty:
        raise DataError(f"no {sym} {tf.value} candles in the store (see `fxd data list`)")
    return candles


def _predictor(
    kind: Forecaster, fit: pd.DataFrame, *, sym: Symbol, tf: Timeframe, epochs: int, seed: int
) -> Predictor | None:
    if kind is Forecaster.NONE:
        return None
    if kind is Forecaster.BOOTSTRAP:
        from forex_diffusion.forecast.baselines import BootstrapEstimator

        return BootstrapEstimator(symbol=sym.name, timeframe=tf.value).fit(fit)
    from forex_diffusion.cli.forecast import fit_diffusion
    from forex_diffusion.forecast.diffusion import DiffusionConfig

    config = DiffusionConfig(symbol=sym.name, timeframe=tf.value, epochs=epochs, seed=seed)
    return fit_diffusion(fit, config)


def generate(
    symbol: SymbolArg,
    timeframe: TimeframeArg,
    forecaster: Annotated[
        Forecaster,
        typer.Option(
            help="Forecast source: the diffusion model trained on the fit span, the "
            "bootstrap random walk, or none."
        ),
    ] = Forecaster.DIFFUSION,
    fit_fraction: Annotated[
        float | None,
        typer.Option(min=0.05, max=0.95, help="Share of bars to fit on [config: 0.5]."),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Quality gate [config: 0.65].")
    ] = None,
    sentiment: Annotated[
        Path | None,
        typer.Option(help="Retail sentiment CSV (docs/signals.md).", dir_okay=False),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Diffusion training epochs (max).")] = 20,
    samples: Annotated[int, typer.Option(min=10, help="Sample paths per forecast.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    run_id: Annotated[str | None, typer.Option("--run", help="Run id (default: new).")] = None,
) -> None:
    """Fit on the first part of the stored bars, then fuse patterns and forecasts on every
    later bar; store every decision (passed or not) under a new run."""
    from forex_diffusion.core.config import config_hash
    from forex_diffusion.intelligence import SignalQualityScorer, UnifiedSignalFusion
    from forex_diffusion.intelligence.sentiment import SentimentFeed
    from forex_diffusion.intelligence.signal_study import run_signal_study, study_split
    from forex_diffusion.storage import FusedSignalRepository, RunRepository

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    cfg = state.config.signals.model_copy(
        update={
            k: v
            for k, v in {
                "fit_fraction": fit_fraction,
                "threshold": threshold,
                "sentiment_file": str(sentiment) if sentiment else None,
            }.items()
            if v is not None
        }
    )
    feed = SentimentFeed.from_csv(cfg.sentiment_file) if cfg.sentiment_file else None
    candles = _candles(sym, tf)
    fit_end = study_split(len(candles), cfg.fit_fraction)  # too short: fail before training
    predictor = _predictor(
        forecaster, candles.iloc[:fit_end], sym=sym, tf=tf, epochs=epochs, seed=seed
    )
    rid = run_id or f"sg-{uuid.uuid4().hex[:12]}"
    fusion = UnifiedSignalFusion(
        scope=rid,
        scorer=SignalQualityScorer(
            weights=cfg.weights,
            threshold=cfg.threshold,
            regime_weights=cfg.regime_weights,
            regime_thresholds=cfg.regime_thresholds,
        ),
        max_per_regime=cfg.max_per_regime,
        forecast_horizon=cfg.forecast_horizon,
        agreement_weight=cfg.agreement_weight,
    )
    store = state.store()
    settings = {**cfg.model_dump(mode="json"), "forecaster": forecaster.value, "epochs": epochs}
    settings["model_id"] = predictor.model_id if predictor is not None else None
    with RunRepository(store).recording(
        kind="signals",
        config_hash=config_hash(cfg),
        config=settings,
        symbol=sym.name,
        timeframe=tf.value,
        strategy="unified_signal_fusion",
        run_id=rid,
    ) as run:
        with make_progress() as progress:
            fc_task = progress.add_task("forecasting", total=None, visible=predictor is not None)

            def forecasts(frame: pd.DataFrame, positions: Sequence[int]) -> list[Forecast]:
                assert predictor is not None
                progress.update(fc_task, total=len(positions))
                out: list[Forecast] = []
                for i in range(0, len(positions), CHUNK):
                    chunk = list(positions[i : i + CHUNK])
                    out.extend(
                        predictor.predict_batch(frame, chunk, num_samples=samples, seed=seed + i)
                    )
                    progress.update(fc_task, completed=len(out))
                    run.beat()
                return out

            def on_bar(done: int, total: int) -> None:
                progress.update(bar_task, completed=done, total=total)
                run.beat()

            bar_task = progress.add_task("fusing bar by bar", total=None)
            study = run_signal_study(
                candles,
                symbol=sym.name,
                timeframe=tf.value,
                fit_fraction=cfg.fit_fraction,
                forecaster=forecasts if predictor is not None else None,
                sentiment=feed,
                spread_pips=cfg.spread_pips,
                fusion=fusion,
                on_bar=on_bar,
            )
        count = FusedSignalRepository(store).save(
            ((d.signal, d.score.passed) for d in study.decisions), run_id=rid
        )
        passed = sum(d.score.passed for d in study.decisions)
        run.metrics = {
            "signals": count,
            "passed": passed,
            "fit_end": study.fit_end.isoformat(),
            "source_errors": dict(fusion.source_errors),
        }
    console.print(
        f"run {rid}: {count:,} candidate signals on {sym} {tf.value} from "
        f"{study.fit_end:%Y-%m-%d %H:%M} UTC (fitted on the bars before), {passed:,} passed the "
        f"gate; see `fxd signals stats {sym} {tf.value} --run {rid}`",
        soft_wrap=True,
    )


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def stats(
    symbol: SymbolArg,
    timeframe: TimeframeArg,
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the newest signals run).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Distribution of every quality dimension, pass rate per source and pattern family, and
    the out-of-sample hit rate and expectancy of passed versus rejected signals, compared by a
    bootstrap over decision days (docs/signals.md)."""
    from forex_diffusion.core.instruments import get_instrument
    from forex_diffusion.intelligence.signal_statistics import signal_statistics
    from forex_diffusion.storage import FusedSignalRepository, RunRepository

    sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    store = state.store()
    runs = RunRepository(store)
    run = (
        runs.get(run_id)
        if run_id
        else runs.latest(kind="signals", symbol=sym.name, timeframe=tf.value)
    )
    if run is None:
        raise DataError(
            f"no signals run {run_id!r} in the store"
            if run_id
            else f"no signals run for {sym} {tf.value}: run `fxd signals generate {sym} {tf.value}`"
        )
    signals = FusedSignalRepository(store).load(sym, tf, run_id=run["run_id"])
    if signals.empty:
        raise DataError(f"run {run['run_id']} stored no {sym} {tf.value} signals")
    spread = get_instrument(sym).from_pips(float((run["config"] or {}).get("spread_pips", 1.0)))
    result = {
        "run_id": run["run_id"],
        **signal_statistics(signals, _candles(sym, tf), spread=spread),
    }
    if as_json:
        console.print_json(json.dumps(result))
        return
    dims = Table(title=f"{sym} {tf.value} run {run['run_id']}: {result['count']:,} decisions")
    for col in ("dimension", "mean", "std", "min", "max"):
        dims.add_column(col, justify="left" if col == "dimension" else "right")
    for name, d in result["dimensions"].items():
        dims.add_row(name, *(_fmt(d[k]) for k in ("mean", "std", "min", "max")))
    rates = Table(title="pass rate by source and family")
    rates.add_column("group")
    rates.add_column("pass rate", justify="right")
    for name, rate in {**result["pass_rate_by_source"], **result["pass_rate_by_family"]}.items():
        rates.add_row(name, _fmt(rate))
    hits = Table(
        title="out-of-sample outcomes (hit: close at expiry beyond entry + spread; "
        "expectancy: mean trade result in R, after a spread costing `spread R`)"
    )
    columns = ("group", "count", "resolved", "hit rate", "target first", "expectancy R", "spread R")
    for col in columns:
        hits.add_column(col, justify="left" if col == "group" else "right")
    for name, g in result["hit_rates"].items():
        hits.add_row(
            name,
            str(g["count"]),
            str(g["resolved"]),
            _fmt(g["hit_rate"]),
            _fmt(g["target_first_rate"]),
            _fmt(g["expectancy_r"]),
            _fmt(g["spread_cost_r"]),
        )
    out = wide_console(100)
    for table in (dims, rates, hits):
        out.print(table)
    comparison = result["comparison"]
    for key, label in (("hit_rate", "hit rate"), ("expectancy_r", "expectancy (R)")):
        c = comparison[key]
        out.print(
            f"passed - rejected {label}: "
            + (
                "not enough decision days or signals to compare"
                if c is None
                else f"{c['difference']:+.3f} (one-sided p = {c['p_value']:.3f}; "
                f"a true difference of {c['detectable_difference']:.3f} would be found 4 times "
                "in 5)"
            ),
            soft_wrap=True,
        )
    out.print(f"(bootstrap over {comparison['clusters']} decision days)")
    for source, by in result["comparison_by_source"].items():
        c = by["hit_rate"]
        if c is not None:
            out.print(
                f"  {source}: passed - rejected hit rate {c['difference']:+.3f} "
                f"(p = {c['p_value']:.3f})",
                soft_wrap=True,
            )


app.command("generate")(generate)
app.command("stats")(stats)
