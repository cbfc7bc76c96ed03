"""``fxd demo``: the main job on the bundled EURUSD sample, end to end.

1. import the sample into the store (idempotent; ``fxd data sample`` alone);
2. train the diffusion forecaster on the first 80 % of the bars (a small config; the checkpoint
   is cached under ``--out`` and reused while the config and the bars are the same);
3. its skill against the random walk on the last 20 % (CRPS per horizon, in the same run);
4. the pattern scan (every kind);
5. a walk-forward backtest of the full pipeline (the ``fused`` strategy: patterns, forecasts
   retrained per fold, fusion, quality gate, paper broker, risk), every fold stored as a run;
6. the HTML report of the chained test windows;
7. a summary: forecast skill, pattern counts, gate pass rates, trades and metrics, the report.

``--quick`` runs a small version (the last 2,500 bars, one epoch, two folds, the bootstrap
forecaster in the folds) for tests and a first look.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, make_progress, state, wide_console
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["demo"]


def demo(
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="A small run: the last 2,500 bars, 1 epoch, 2 folds (a first look)."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the report and the cached model (default: the user data dir's demo/).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """The main job on the bundled EURUSD H1 2017 sample: import it, train the diffusion
    forecaster (cached), score it against the random walk, scan patterns, run a walk-forward
    backtest of the full pipeline, write the HTML report, and print a summary."""
    import platformdirs

    from forex_diffusion.backtest.walkforward import make_folds
    from forex_diffusion.cli.backtest import stored_walkforward
    from forex_diffusion.cli.data import import_sample
    from forex_diffusion.cli.strategies import with_strategy

    folder = out or Path(platformdirs.user_data_dir("forex_diffusion")) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    sym, tf = Symbol.parse("EURUSD"), Timeframe.H1
    sample = import_sample()
    candles = sample.iloc[-2500:] if quick else sample

    predictor, cached = _forecaster(candles, folder, epochs=1 if quick else 10)
    skill = _skill(candles, predictor, step=96 if quick else 24, samples=50 if quick else 100)
    counts = _pattern_counts(candles)

    params: list[str] = ["forecaster=bootstrap" if quick else "forecaster=diffusion"]
    params += ["samples=50", "epochs=3"]
    cfg = with_strategy(state.config.trading, "fused", params)
    plan = make_folds(len(candles), folds=2 if quick else 3, train_bars=1000, purge=24)
    settings = {"demo": True, "quick": quick, "folds": len(plan), "train_bars": 1000}
    rid, study, result = stored_walkforward(
        candles, sym, tf, cfg, plan, horizon=24, costs=True, settings=settings
    )
    signals = _signals(sym, tf, [f.result.run_id for f in study.folds])
    report = _report(folder / f"demo-{rid}.html", candles, study, signals, sym, tf, plan)
    _summary(len(candles), cached, skill, counts, signals, result, report)


def _forecaster(candles: Any, folder: Path, *, epochs: int) -> tuple[Any, bool]:
    """The diffusion model fitted on the first 80 % of the bars: loaded when a checkpoint of
    the same config and bars is cached in ``folder``, else trained, saved and registered."""
    from forex_diffusion.cli.forecast import fit_diffusion, register_model
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
    predictor = fit_diffusion(fit, config)
    predictor.save(path)
    register_model(predictor, fit, config, path)
    return predictor, False


def _skill(candles: Any, predictor: Any, *, step: int, samples: int) -> Any:
    """CRPS per horizon of the diffusion model and the random walk on the last 20 %."""
    import numpy as np

    from forex_diffusion.forecast.baselines import RandomWalkEstimator
    from forex_diffusion.forecast.evaluation import evaluate_forecasts

    start = int(len(candles) * 0.8)
    horizons = tuple(predictor.horizons)
    origins = np.arange(start, len(candles) - max(horizons), step)
    walk = RandomWalkEstimator(horizons=horizons, symbol="EURUSD", timeframe="H1")
    predictors = {"diffusion": predictor, "random_walk": walk.fit(candles.iloc[:start])}
    with make_progress() as progress:
        task = progress.add_task("forecast skill on the last 20 %", total=len(predictors))
        return evaluate_forecasts(
            candles,
            predictors,
            origins,
            num_samples=samples,
            seed=0,
            on_model=lambda name: progress.update(task, advance=1, description=f"skill: {name}"),
        )


def _pattern_counts(candles: Any) -> dict[str, int]:
    """Confirmed pattern events per kind."""
    from forex_diffusion.patterns import PatternRegistry

    with make_progress() as progress:
        progress.add_task("scanning patterns", total=None)
        events = PatternRegistry().scan(candles)
    confirmed = events[events["state"] == "confirmed"]
    return {str(k): int(v) for k, v in confirmed["kind"].value_counts().items() if v}


def _signals(sym: Symbol, tf: Timeframe, run_ids: list[str]) -> Any:
    import pandas as pd

    from forex_diffusion.storage import FusedSignalRepository

    repo = FusedSignalRepository(state.store())
    frames = [repo.load(sym, tf, run_id=r) for r in run_ids]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _report(
    path: Path, candles: Any, study: Any, signals: Any, sym: Symbol, tf: Timeframe, plan: Any
) -> Path:
    import pandas as pd

    from forex_diffusion.backtest.report import pattern_marks, write_report

    first = plan[0].test_start
    trades = study.trades
    by_source = trades.groupby(trades["source"].fillna("-"))["pnl"].sum() if len(trades) else {}
    return write_report(
        path,
        title=f"fxd demo: fused walk-forward on {sym} {tf.value}",
        symbol=sym.name,
        timeframe_delta=pd.Timedelta(tf.delta),
        candles=candles.iloc[first:],
        trades=trades,
        equity=study.equity,
        metrics=study.metrics,
        pnl_by_source={str(k): float(v) for k, v in dict(by_source).items()},
        patterns=pattern_marks(signals) if len(signals) else (),
        signals=signals if len(signals) else None,
        signal_errors=study.signal_errors,
    )


def _summary(
    bars: int,
    cached: bool,
    skill: Any,
    counts: dict[str, int],
    signals: Any,
    result: dict[str, Any],
    report: Path,
) -> None:
    from forex_diffusion.core.instruments import get_instrument

    pip = get_instrument("EURUSD").pip_size
    table = Table(title="fxd demo: EURUSD H1 2017", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("bars", f"{bars:,}")
    table.add_row("diffusion model", "cached checkpoint" if cached else "trained now")
    crps = skill.pivot_table(index="horizon", columns="model", values="crps")
    for h, row in crps.iterrows():
        ratio = row["diffusion"] / row["random_walk"]
        table.add_row(
            f"CRPS h={h} (pips): diffusion / random walk",
            f"{row['diffusion'] / pip:.2f} / {row['random_walk'] / pip:.2f} ({ratio:.3f}x)",
        )
    table.add_row("confirmed patterns", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    if len(signals):
        rates = signals.groupby("source")["passed"].mean()
        sizes = signals["source"].value_counts()
        passed = ", ".join(f"{k} {v:.0%} of {sizes[k]:,}" for k, v in rates.items())
        table.add_row("quality gate: passed", passed)
    m = result["metrics"]
    table.add_row("walk-forward", f"{len(result['folds'])} folds, run {result['run_id']}")
    table.add_row("trades", f"{result['trade_count']:,} ({result['net_pips']:,.1f} pips net)")
    for key in ("total_return", "max_drawdown", "win_rate", "sharpe", "profit_factor"):
        value = m.get(key)
        percent = key in ("total_return", "max_drawdown", "win_rate")
        shown = "-" if value is None else f"{value:.2%}" if percent else f"{value:.2f}"
        table.add_row(key.replace("_", " "), shown)
    table.add_row("report", str(report))
    wide_console(110).print(table)
    console.print(f"report: {report}", soft_wrap=True)
