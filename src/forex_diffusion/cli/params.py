"""``fxd params``: adapted trading parameters, proposed from a stored run, validated by
replay, deployed and retired (the work is :mod:`forex_diffusion.services.params`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from forex_diffusion.cli.context import console, state, wide_console
from forex_diffusion.cli.options import JsonOption
from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["app"]

app = typer.Typer(
    help="Adaptive trading parameters (gate threshold, stop and target multiples, size): "
    "adapt from a run, list, show, deploy, retire. Runs with [signals] "
    "use_optimized_parameters (the default) trade the newest deployed one."
)

IdArg = Annotated[str, typer.Argument(help="Adaptation id (see `fxd params list`).")]


def _when(ms: int | None) -> str:
    import pandas as pd

    return "-" if ms is None else f"{pd.Timestamp(ms, unit='ms', tz='UTC'):%Y-%m-%d %H:%M}"


def _table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in ("id", "series", "regime", "change", "status", "made until", "from run", "why"):
        table.add_column(col, overflow="fold")
    for r in rows:
        evidence = r["params_metadata"]
        table.add_row(
            r["id"][:12],
            f"{r['symbol']} {r['timeframe']}",
            r["regime"] or "all",
            f"{r['parameter_name']} {r['old_value']:g} -> {r['new_value']:g}",
            r["status"],
            _when(r["ts"]),
            r["run_id"] or "-",
            str(evidence.get("verdict") or r["reason"] or "-"),
        )
    return table


def _resolve(adaptation_id: str) -> str:
    """A full id from a unique prefix (the tables show 12 characters)."""
    from forex_diffusion.core.errors import ConfigError, NotFoundError
    from forex_diffusion.storage import AdaptationRepository

    found = [str(r["id"]) for r in AdaptationRepository(state.store()).find()]
    matches = [i for i in found if i.startswith(adaptation_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(f"no adaptation {adaptation_id!r} in the store (see `fxd params list`)")
    raise ConfigError(f"adaptation id {adaptation_id!r} is ambiguous: {', '.join(matches[:5])}")


@app.command("adapt")
def adapt(
    symbol: Annotated[str, typer.Argument(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Argument(help="Timeframe, e.g. H1.")],
    from_run: Annotated[
        str,
        typer.Option(
            "--from-run", help="A stored walk-forward (or backtest) run of the fused strategy."
        ),
    ],
    search_fraction: Annotated[
        float,
        typer.Option(
            help="Share of the run's span whose trades drive the proposals; the rest "
            "validates by replay."
        ),
    ] = 0.7,
    regime: Annotated[
        str | None, typer.Option(help="Adapt for this regime only (default: every regime).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Propose parameter changes from a stored run's trades, validate each by replaying the
    run's later signals (bars the proposal did not see), store them with their evidence."""
    from forex_diffusion.services.params import AdaptRequest
    from forex_diffusion.services.params import adapt as run

    request = AdaptRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        from_run=from_run,
        search_fraction=search_fraction,
        regime=regime,
    )
    outcome = run(state.store(), state.config, request)
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "adaptations": outcome.adaptations,
                    "performance": outcome.performance,
                    "current": outcome.current.as_dict(),
                },
                default=str,
            )
        )
        return
    out = wide_console(140)
    perf = outcome.performance
    out.print(
        f"search {outcome.search[0]:%Y-%m-%d} .. {outcome.search[1]:%Y-%m-%d}: {perf['trades']} "
        f"trades, win rate {perf['win_rate']}, profit factor {perf['profit_factor']}; "
        f"validation by replay {outcome.validation[0]:%Y-%m-%d} .. "
        f"{outcome.validation[1]:%Y-%m-%d}",
        soft_wrap=True,
    )
    if not outcome.adaptations:
        out.print("no change proposed: the search's performance calls for none")
        return
    out.print(_table(outcome.adaptations, f"{len(outcome.adaptations)} proposals"))
    for row in outcome.validated:
        out.print(f"validated: deploy it with `fxd params deploy {row['id'][:12]}`")
    if not outcome.validated:
        out.print("no proposal survived validation: nothing to deploy")


@app.command("list")
def list_(
    symbol: Annotated[str | None, typer.Argument(help="Only this pair.")] = None,
    timeframe: Annotated[str | None, typer.Argument(help="Only this timeframe.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="validated, rejected, deployed, retired or rolled_back."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Stored adaptations, oldest first."""
    from forex_diffusion.core.errors import ConfigError
    from forex_diffusion.storage import AdaptationRepository
    from forex_diffusion.storage.repositories.adaptations import STATUSES

    if status is not None and status not in STATUSES:
        raise ConfigError(f"--status {status!r}: one of {', '.join(STATUSES)}")
    rows = AdaptationRepository(state.store()).find(
        symbol=Symbol.parse(symbol) if symbol else None,
        timeframe=Timeframe.parse(timeframe) if timeframe else None,
        status=status,
    )
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    wide_console(140).print(_table(rows, f"{len(rows)} adaptations"))


@app.command("show")
def show(adaptation_id: IdArg) -> None:
    """One adaptation with all its evidence (JSON)."""
    from forex_diffusion.storage import AdaptationRepository

    row = AdaptationRepository(state.store()).get(_resolve(adaptation_id))
    console.print_json(json.dumps(row, default=str))


@app.command("deploy")
def deploy(adaptation_id: IdArg) -> None:
    """Deploy a validated adaptation: runs of its series take it from their next bar. One that
    was not validated is refused with the reason."""
    from forex_diffusion.storage import AdaptationRepository

    row = AdaptationRepository(state.store()).deploy(_resolve(adaptation_id))
    console.print(
        f"adaptation {row['id']} deployed: {row['symbol']} {row['timeframe']} "
        f"{row['parameter_name']} {row['old_value']:g} -> {row['new_value']:g}"
    )


@app.command("retire")
def retire(adaptation_id: IdArg) -> None:
    """Retire a deployed adaptation: runs fall back to the one deployed before it, or to the
    configured parameters."""
    from forex_diffusion.storage import AdaptationRepository

    row = AdaptationRepository(state.store()).retire(_resolve(adaptation_id))
    console.print(f"adaptation {row['id']} retired")
