"""``fxd train``, ``fxd forecast`` and ``fxd evaluate``: the diffusion forecaster (the work is
:mod:`forex_diffusion.services.forecast`; this prints it)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, progress_bars, state, wide_console
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.types import Symbol, Timeframe

if TYPE_CHECKING:
    import pandas as pd

    from forex_diffusion.services.forecast import EvaluateOutcome

__all__ = ["evaluate", "forecast", "train"]

SymbolArg = Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")]
TimeframeArg = Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")]


def _horizons(text: str) -> tuple[int, ...]:
    try:
        values = tuple(sorted({int(v) for v in text.split(",") if v.strip()}))
    except ValueError:
        raise ConfigError(f"--horizons {text!r}: give bar counts such as 1,4,12,24") from None
    if not values or values[0] < 1:
        raise ConfigError(f"--horizons {text!r}: give positive bar counts such as 1,4,12,24")
    return values


def train(
    symbol: SymbolArg,
    timeframe: TimeframeArg,
    horizons: Annotated[str, typer.Option(help="Forecast horizons in bars.")] = "1,4,12,24",
    epochs: Annotated[
        int, typer.Option(min=1, help="Maximum epochs (early stopping on the validation CRPS).")
    ] = 40,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Checkpoint path (default: the user data dir's models/).", dir_okay=False
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Last bar it is fitted on, ISO 8601 as in `fxd backtest --from` (default: the "
            "newest stored bar). A backtest or paper run of the fused strategy forecasts with "
            "the newest registered model fitted before its own fit bars end.",
        ),
    ] = None,
) -> None:
    """Train the diffusion forecaster on the stored bars and register it in the store."""
    from forex_diffusion.cli.times import parse_time
    from forex_diffusion.services.forecast import TrainRequest
    from forex_diffusion.services.forecast import train as run

    request = TrainRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        horizons=_horizons(horizons),
        epochs=epochs,
        seed=seed,
        out=out,
        end=parse_time(to, option="--to"),
    )
    with progress_bars() as progress:
        outcome = run(state.store(), request, progress=progress)
    console.print(
        f"trained {outcome.model_id} on {outcome.bars:,} {request.symbol} "
        f"{request.timeframe.value} bars up to {outcome.predictor.meta['data_end']} "
        f"({outcome.train_windows:,} training windows, "
        f"{outcome.epochs} epochs, validation CRPS {outcome.val_crps:.4f}); saved to "
        f"{outcome.path}",
        soft_wrap=True,
    )


def forecast(
    symbol: SymbolArg,
    timeframe: TimeframeArg,
    model: Annotated[
        Path | None,
        typer.Option(help="Checkpoint (default: the newest model registered for the series)."),
    ] = None,
    samples: Annotated[int, typer.Option(min=10, help="Sample paths.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Forecast from the newest stored bar: price quantiles per horizon."""
    from forex_diffusion.services.forecast import ForecastRequest
    from forex_diffusion.services.forecast import forecast as run

    request = ForecastRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        model=model,
        samples=samples,
        seed=seed,
    )
    outcome = run(state.store(), request)
    if as_json:
        console.print_json(json.dumps(outcome.summary()))
        return
    made = outcome.forecast
    table = Table(
        title=f"{request.symbol} {request.timeframe.value} forecast from "
        f"{made.origin_ts:%Y-%m-%d %H:%M} UTC (close {made.origin_price:.5f}), {made.model_id}"
    )
    table.add_column("horizon", justify="right")
    rows = outcome.quantiles()
    names = [k for k in rows[0] if k != "horizon"] if rows else []
    for name in names:
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(str(row["horizon"]), *(f"{row[name]:.5f}" for name in names))
    wide_console(100).print(table)


class Protocol(StrEnum):
    """Evaluation protocols (the service's ``EvaluationProtocol``; declared here so that
    ``--help`` imports no service)."""

    ROLLING = "rolling"
    EXCHANGE_RATE_NIPS = "exchange_rate_nips"


def evaluate(
    symbol: Annotated[str | None, typer.Argument(help="Currency pair (rolling protocol).")] = None,
    timeframe: Annotated[str | None, typer.Argument(help="Timeframe (rolling protocol).")] = None,
    protocol: Annotated[
        Protocol,
        typer.Option(
            help="rolling: fit on the first 80 % of stored bars, test on the last "
            "20 %. exchange_rate_nips: the GluonTS benchmark (needs --data)."
        ),
    ] = Protocol.ROLLING,
    data: Annotated[
        Path | None,
        typer.Option(
            help="The LSTNet exchange_rate file (.txt or .txt.gz), for exchange_rate_nips.",
            dir_okay=False,
        ),
    ] = None,
    step: Annotated[int, typer.Option(min=1, help="Bars between test origins.")] = 6,
    epochs: Annotated[int, typer.Option(min=1, help="Diffusion training epochs (max).")] = 40,
    samples: Annotated[int, typer.Option(min=10, help="Sample paths per forecast.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    conformal: Annotated[
        bool,
        typer.Option(
            help="Also score the diffusion model recalibrated "
            "by split conformal on the 10 % of bars before "
            "the test, and online by adaptive conformal inference."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Diffusion model vs every baseline on held-out bars: CRPS, WQL, interval coverage,
    direction hit rate and Diebold-Mariano p-values against the random walk."""
    from forex_diffusion.services.forecast import EvaluateRequest, EvaluationProtocol
    from forex_diffusion.services.forecast import evaluate as run

    if protocol is Protocol.EXCHANGE_RATE_NIPS:
        if data is None:
            raise typer.BadParameter("exchange_rate_nips needs --data PATH (exchange_rate.txt.gz)")
        sym, tf = None, None
    else:
        if symbol is None or timeframe is None:
            raise typer.BadParameter("the rolling protocol needs SYMBOL and TIMEFRAME")
        sym, tf = Symbol.parse(symbol), Timeframe.parse(timeframe)
    request = EvaluateRequest(
        protocol=EvaluationProtocol(protocol.value),
        symbol=sym,
        timeframe=tf,
        data=data,
        step=step,
        epochs=epochs,
        samples=samples,
        seed=seed,
        conformal=conformal,
    )
    with progress_bars() as progress:
        outcome = run(state.store() if sym else None, request, progress=progress)
    if as_json:
        console.print_json(outcome.table.to_json(orient="records", double_precision=10))
    elif sym is None or tf is None:
        _print_exchange_rate(outcome.table)
    else:
        _print_rolling(outcome, sym, tf, step=step)


def _print_rolling(outcome: EvaluateOutcome, sym: Symbol, tf: Timeframe, *, step: int) -> None:
    from forex_diffusion.core.instruments import get_instrument

    out = Table(
        title=f"{sym} {tf.value}, protocol {outcome.protocol.value}: fit on "
        f"{outcome.fit_bars:,} bars, {outcome.origins} test origins every {step} bars "
        "(CRPS in pips)"
    )
    for col in (
        "model",
        "h",
        "CRPS",
        "WQL",
        "cov 50",
        "cov 80",
        "cov 95",
        "hit rate",
        "DM p vs RW",
        "best",
    ):
        out.add_column(col, justify="left" if col == "model" else "right")
    pip = get_instrument(sym).pip_size
    for row in outcome.table.sort_values(["horizon", "crps"]).to_dict("records"):
        p = row["dm_p_vs_rw"]
        out.add_row(
            str(row["model"]),
            str(row["horizon"]),
            f"{row['crps'] / pip:.3f}",
            f"{row['wql']:.3e}",
            f"{row['coverage_50']:.3f}",
            f"{row['coverage_80']:.3f}",
            f"{row['coverage_95']:.3f}",
            f"{row['hit_rate']:.3f}",
            "-" if p != p else f"{p:.3f}",
            "yes" if row["best"] else "",
        )
    wide = wide_console(110)
    wide.print(out)
    for line in outcome.verdict:
        wide.print(line, highlight=False)


_JOINT_NOTES = {
    "diffusion_joint": "yes (latent noise correlated across series)",
    "gaussian_rw_joint_250d": "yes",
}
"""The exchange_rate table's note for the models that sample the series jointly."""


def _print_exchange_rate(table: pd.DataFrame) -> None:
    out = Table(
        title="exchange_rate_nips: fit on 6,071 days, 5 windows of 30 days after it "
        "(published: TimeGrad CRPS-sum 0.006 +- 0.001; VAR, Transformer-MAF 0.005)"
    )
    for col in ("model", "mean WQL", "CRPS-sum", "joint samples / note"):
        out.add_column(col, justify="left" if col in ("model", "joint samples / note") else "right")
    for row in table.sort_values("crps_sum").to_dict("records"):
        note = row.get("note")
        if not isinstance(note, str):
            note = _JOINT_NOTES.get(str(row["model"]), "no (per series)")
        out.add_row(str(row["model"]), f"{row['mean_wql']:.5f}", f"{row['crps_sum']:.5f}", note)
    wide_console(110).print(out)
