"""How commands print what several of them show: metric values, failed runs, skipped signal
sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from forex_diffusion.cli.context import console, wide_console

if TYPE_CHECKING:
    from forex_diffusion.services.data import SampleImport

__all__ = ["fmt_metric", "print_problems", "print_sample", "print_walkforward"]

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


def print_decisions(out: Console, decisions: list[dict[str, Any]]) -> None:
    """Per run (a fold): the decision rule's reasons, the meta-model's skill and any stretch
    with no candidate clearing the edge."""
    for n, d in enumerate(decisions, 1):
        if not d:
            continue
        label = f"fold {n}: " if len(decisions) > 1 else ""
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(d.get("reasons", {}).items()))
        meta = d.get("meta_model") or {}
        checked = ""
        if meta.get("oof_selected") is not None:
            made = meta.get("oof_selected_r")
            checked = f", out of fold it would have traded {meta['oof_selected']:,}" + (
                f" making {made:+.3f} R each" if made is not None else ""
            )
        skill = (
            f"; meta-model Brier {meta['brier']:.4f} vs base rate {meta['brier_base']:.4f}"
            f"{checked} ({'used' if meta.get('used') else 'not used'})"
            if meta.get("brier") is not None
            else "; no meta-model fitted"
        )
        out.print(
            f"{label}decision {d['decision']} (min_edge_r {d['min_edge_r']:+.2f} R): "
            f"candidates {reasons}; bars with an edge {d['bars_with_edge']:,} of "
            f"{d['bars']:,}{skill}",
            soft_wrap=True,
            markup=False,
        )
        if d.get("notice"):
            out.print(f"{label}{d['notice']}", soft_wrap=True, markup=False)
        if d.get("forecaster"):
            out.print(f"{label}forecaster: {d['forecaster']}", soft_wrap=True, markup=False)


def print_comparison(comparison: dict[str, Any]) -> None:
    """The decision rules, flat and random entries side by side (a ``--compare`` study)."""
    out = wide_console(120)
    table = Table(title=f"decision rules on the same folds (studied: {comparison['rule']})")
    for col in ("rule", "trades", "net P&L", "return", "max dd", "sharpe", "DSR", "R/trade"):
        table.add_column(col, justify="left" if col == "rule" else "right")

    def num(value: Any, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    for r in comparison["rows"]:
        table.add_row(
            r["rule"],
            f"{r['trades']:,}",
            f"{r['net_pnl']:,.2f}",
            fmt_metric("total_return", r["total_return"]),
            fmt_metric("max_drawdown", r["max_drawdown"]),
            num(r["sharpe"], ".2f"),
            num(r["deflated_sharpe"], ".3f"),
            num(r["expectancy_r"], "+.3f"),
        )
    rnd = comparison["random"]
    table.add_row(
        f"random ({rnd['seeds']} seeds, median)",
        "same",
        f"{rnd['median_pnl']:,.2f}",
        "",
        "",
        "",
        "",
        "",
    )
    out.print(table)
    pbo = comparison["pbo"]
    out.print(
        f"{comparison['rule']} vs random entries with its sides and holding times: net P&L "
        f"{rnd['rule_pnl']:,.2f} against a median of {rnd['median_pnl']:,.2f} (5-95 %: "
        f"{rnd['p05_pnl']:,.2f} .. {rnd['p95_pnl']:,.2f}); it beats {rnd['percentile']:.0%} "
        f"of them, p = {rnd['p_value']:.3f}. Deflated Sharpe over {comparison['trials']} "
        f"configurations tried; PBO of choosing among the rules "
        f"{'-' if pbo is None else format(pbo, '.2f')} ({comparison['days']} days).",
        soft_wrap=True,
        markup=False,
    )


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


def print_sample(imported: SampleImport) -> None:
    """The bundled sample's summary after ``fxd data sample`` (and ``fxd demo``) imported it."""
    candles, written = imported.candles, imported.written
    table = Table(
        title="Bundled sample: EURUSD H1 2017 (ask), gym-anytrading 2.0.0, MIT", show_header=False
    )
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("store", imported.store_url),
        (
            "bars",
            f"{len(candles):,} ({written.inserted:,} new, {written.unchanged:,} already stored)",
        ),
        ("first bar (UTC)", candles.index[0].strftime("%Y-%m-%d %H:%M")),
        ("last bar (UTC)", candles.index[-1].strftime("%Y-%m-%d %H:%M")),
        ("gaps (weekends excluded)", f"{imported.gaps} ({imported.missing_bars} bars)"),
        ("first open / last close", f"{imported.first_open:.5f} / {imported.last_close:.5f}"),
        ("lowest low / highest high", f"{imported.lowest_low:.5f} / {imported.highest_high:.5f}"),
        ("year return", f"{imported.year_return * 100:+.2f} %"),
        ("mean H1 range", f"{imported.mean_range_pips:.1f} pips"),
        (
            "mean daily range (NY close)",
            f"{imported.mean_daily_range_pips:.1f} pips over {imported.days} days",
        ),
        ("H1 volatility, annualised", f"{imported.volatility * 100:.2f} %"),
    ]
    for what, value in rows:
        table.add_row(what, value)
    console.print(table)
    console.print(f"store: {imported.store_url}", soft_wrap=True)
    console.print("next: `fxd data list`, `fxd data show EURUSD H1 --last 10`")
