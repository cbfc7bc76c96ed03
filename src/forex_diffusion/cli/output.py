"""How commands print what several of them show: metric values, failed runs, skipped signal
sources."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from forex_diffusion.cli.context import wide_console

__all__ = ["fmt_metric", "print_problems", "print_walkforward"]

PERCENT = ("total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure")


def fmt_metric(key: str, value: Any) -> str:
    """A metric as a table shows it: percentages for returns and rates, 2 decimals else."""
    if value is None:
        return "-"
    if key in PERCENT:
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def print_problems(
    out: Console, failed: list[dict[str, Any]], signal_errors: dict[str, int]
) -> None:
    """The runs that failed (with ``--keep-going``) and the handled signal-source failures."""
    for f in failed:
        label = f"fold {f['fold']} " if "fold" in f else ""
        out.print(f"FAILED {label}run {f['run_id']}: {f['error']}", soft_wrap=True, markup=False)
    if signal_errors:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(signal_errors.items()))
        out.print(f"signal sources skipped after errors: {counts}", soft_wrap=True)


def print_walkforward(result: dict[str, Any], *, title: str) -> None:
    """The per-fold table of a stored walk-forward summary and its chained total."""
    out = wide_console(120)
    table = Table(title=title)
    for col in ("fold", "train", "test", "trades", "net pips", "return", "sharpe", "max dd"):
        table.add_column(col, justify="left" if col in ("train", "test") else "right")
    for f in result["folds"]:
        m = f["metrics"]
        table.add_row(
            str(f["fold"]),
            f"{f['train_from'][:10]} .. {f['train_to'][:10]}",
            f"{f['test_from'][:10]} .. {f['test_to'][:10]}",
            str(f["trade_count"]),
            f"{f['net_pips']:,.1f}",
            fmt_metric("total_return", m["total_return"]),
            fmt_metric("sharpe", m["sharpe"]),
            fmt_metric("max_drawdown", m["max_drawdown"]),
        )
    m = result["metrics"]
    table.add_row(
        "all",
        "",
        "chained",
        str(result["trade_count"]),
        f"{result['net_pips']:,.1f}",
        fmt_metric("total_return", m["total_return"]),
        fmt_metric("sharpe", m["sharpe"]),
        fmt_metric("max_drawdown", m["max_drawdown"]),
    )
    out.print(table)
