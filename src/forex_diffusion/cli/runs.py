"""``fxd runs list`` and ``fxd runs show``: what runs did, from the store."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from forex_diffusion.cli.context import console, wide_console
from forex_diffusion.cli.context import state as cli_state
from forex_diffusion.cli.output import print_problems

__all__ = ["app"]

app = typer.Typer(help="Runs in the store: backtests, paper runs, signal studies.")


def _time(ms: int | None) -> str:
    return "-" if ms is None else f"{pd.Timestamp(ms, unit='ms', tz='UTC'):%Y-%m-%d %H:%M}"


def list_runs(
    kind: Annotated[str | None, typer.Option(help="Only runs of this kind (paper, ...).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
) -> None:
    """List runs, newest first."""
    from forex_diffusion.storage import RunRepository

    runs = RunRepository(cli_state.store()).list(kind=kind, limit=limit)
    if not runs:
        console.print("no runs in the store")
        return
    table = Table(title=f"{len(runs)} runs")
    for col in ("run id", "kind", "status", "series", "strategy", "started", "last bar"):
        table.add_column(col)
    for r in runs:
        series = f"{r['symbol'] or '-'} {r['timeframe'] or ''}".strip()
        table.add_row(
            r["run_id"],
            r["kind"],
            r["status"],
            series,
            r["strategy"] or "-",
            _time(r["started_at"]),
            _time(r["last_bar_ts"]),
        )
    wide_console(120).print(table)


def show(
    run_id: Annotated[str, typer.Argument(help="Run id (see `fxd runs list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """A run's trades, orders and metrics."""
    from forex_diffusion.services.runs import run_details

    details = run_details(cli_state.store(), run_id)
    trades, stored, m = details.trades, details.stored, details.metrics
    last_bar = _time(details.last_bar_ts)
    if as_json:
        result = {
            "run_id": run_id,
            "kind": details.kind,
            "status": details.status,
            "symbol": details.symbol,
            "timeframe": details.timeframe,
            "strategy": details.strategy,
            "last_bar": last_bar,
            "error": details.error,
            "trades": [
                {
                    **row,
                    "entry_time": row["entry_time"].isoformat(),
                    "exit_time": row["exit_time"].isoformat(),
                }
                for row in trades.to_dict("records")
            ],
            "orders": details.orders,
            "metrics": m,
        }
        console.print_json(json.dumps(result, default=str))
        return
    out = wide_console(120)
    out.print(
        f"run {run_id}: {details.kind} {details.strategy or ''} on "
        f"{', '.join(details.symbols) or '-'} {details.timeframe or ''}, {details.status}, "
        f"last bar {last_bar}"
    )
    table = Table(title=f"{len(trades)} trades")
    for col in ("entry", "exit", "dir", "units", "entry px", "exit px", "pnl", "reason", "source"):
        table.add_column(col, justify="right" if col in ("units", "pnl") else "left")
    for t in trades.tail(30).itertuples():
        table.add_row(
            f"{t.entry_time:%Y-%m-%d %H:%M}",
            f"{t.exit_time:%Y-%m-%d %H:%M}",
            str(t.direction),
            f"{t.units:,.0f}",
            f"{t.entry_price:.5f}",
            f"{t.exit_price:.5f}",
            f"{t.pnl:,.2f}",
            str(t.exit_reason),
            str(t.source or "-"),
        )
    if details.error:
        out.print(f"{details.status}: {details.error}", soft_wrap=True, markup=False)
    if details.is_sweep:  # its backtests are runs of their own
        _sweep_results(out, stored)
        return
    if not details.figures:
        out.print("no trading figures stored for this run")
        return
    out.print(table)
    print_problems(out, stored.get("failed_folds", []), stored.get("signal_errors", {}))
    win = "-" if m["win_rate"] is None else f"{m['win_rate']:.1%}"
    pf = "-" if m["profit_factor"] is None else f"{m['profit_factor']:.2f}"
    sr = "-" if m["sharpe"] is None else f"{m['sharpe']:.2f}"
    out.print(
        f"{m['trade_count']} trades, win rate {win}, net P&L {m['net_pnl']:,.2f}, profit factor "
        f"{pf}, Sharpe {sr}, max drawdown {m['max_drawdown']:.1%}, final equity "
        f"{m['final_equity']:,.2f}; {len(details.orders)} orders"
    )


app.command("list")(list_runs)
app.command("show")(show)


def _sweep_results(out: Console, stored: dict[str, Any]) -> None:
    """A sweep's ranked backtests (from its stored results)."""
    rows = stored.get("results") or []
    metric = stored.get("metric", "sharpe")
    table = Table(title=f"{len(rows)} backtests, best {metric} first")
    for col in ("run id", "symbol", "parameters", "state", "trades", "net pips", metric):
        table.add_column(col, justify="left" if col in ("run id", "parameters") else "right")
    for row in rows[:30]:
        params = ", ".join(f"{k[6:]}={v}" for k, v in row.items() if k.startswith("param."))
        value = row.get(metric)
        table.add_row(
            str(row.get("run_id")),
            str(row.get("symbol")),
            params,
            str(row.get("state", "done")),
            str(row.get("trades")),
            f"{row.get('net_pips', 0.0):,.1f}",
            "-" if value is None else f"{value:,.3f}",
        )
    out.print(table)
    print_problems(out, stored.get("failed", []), {})
    out.print("each backtest is a run of its own: `fxd runs show RUN_ID`")
