"""Self-contained HTML reports of a backtest (plotly, its JavaScript inlined: no CDN).

Sections: price candles with pattern overlays, forecast fans at chosen origins, entries and
exits; equity and drawdown; the metrics table; P&L per signal source; the quality gate's
statistics (pass rate per source and the distribution of each dimension).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from forex_diffusion.core.events import Forecast
from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.intelligence.evaluation.signal_statistics import signal_statistics

__all__ = ["PatternMark", "pattern_marks", "scanned_marks", "write_report"]

PatternMark = tuple[pd.Timestamp, str, str, float]
"""A pattern to mark on the chart: (confirm time, key, direction, price)."""

_STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 10px}
td.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-size:13px}
"""


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_cell(v)}</td>'
            if isinstance(v, int | float)
            else f"<td>{_cell(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return html.escape(str(value))


def _price_figure(
    candles: pd.DataFrame,
    trades: pd.DataFrame,
    patterns: Sequence[PatternMark],
    forecasts: Sequence[Forecast],
    bar: pd.Timedelta,
) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Candlestick(
            x=candles.index,
            open=candles["open"],
            high=candles["high"],
            low=candles["low"],
            close=candles["close"],
            name="price",
        )
    )
    for direction, color, symbol in (
        ("bull", "green", "triangle-up"),
        ("bear", "red", "triangle-down"),
    ):
        marks = [p for p in patterns if p[2] == direction]
        if marks:
            fig.add_trace(
                go.Scatter(
                    x=[m[0] for m in marks],
                    y=[m[3] for m in marks],
                    mode="markers",
                    marker={"symbol": symbol, "color": color, "size": 7, "opacity": 0.6},
                    text=[m[1] for m in marks],
                    name=f"{direction} patterns",
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    for k, fc in enumerate(forecasts):
        times = [fc.origin_ts + h * bar for h in fc.horizons]
        x = [fc.origin_ts, *times]
        for lo, hi, alpha in ((0.1, 0.9, 0.15), (0.25, 0.75, 0.3)):
            low = [fc.origin_price, *(fc.quantile(lo, h) for h in fc.horizons)]
            high = [fc.origin_price, *(fc.quantile(hi, h) for h in fc.horizons)]
            fig.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=high + low[::-1],
                    fill="toself",
                    mode="none",
                    fillcolor=f"rgba(31,119,180,{alpha})",
                    name=f"forecast {lo:.0%}-{hi:.0%}",
                    legendgroup="fan",
                    showlegend=k == 0,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[fc.origin_price, *(fc.median(h) for h in fc.horizons)],
                mode="lines",
                line={"color": "rgb(31,119,180)", "dash": "dot"},
                name="forecast median",
                legendgroup="fan",
                showlegend=k == 0,
            )
        )
    if len(trades):
        shown = trades[
            (trades["entry_time"] >= candles.index[0]) & (trades["entry_time"] <= candles.index[-1])
        ]
        for side, color, symbol in (
            ("long", "green", "triangle-up"),
            ("short", "red", "triangle-down"),
        ):
            t = shown[shown["direction"] == side]
            fig.add_trace(
                go.Scatter(
                    x=t["entry_time"],
                    y=t["entry_price"],
                    mode="markers",
                    name=f"{side} entries",
                    marker={
                        "symbol": symbol,
                        "color": color,
                        "size": 11,
                        "line": {"width": 1, "color": "black"},
                    },
                    text=t["source"],
                    hovertemplate="entry %{y:.5f} (%{text})<extra></extra>",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=shown["exit_time"],
                y=shown["exit_price"],
                mode="markers",
                name="exits",
                marker={"symbol": "x", "color": "black", "size": 8},
                text=shown["exit_reason"],
                hovertemplate="exit %{y:.5f} (%{text})<extra></extra>",
            )
        )
    fig.update_layout(height=600, xaxis_rangeslider_visible=False, margin={"t": 30})
    return fig


def _equity_figure(equity: pd.Series) -> go.Figure:
    peaks = equity.cummax()
    drawdown = (equity - peaks) / peaks
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.04
    )
    fig.add_trace(go.Scatter(x=equity.index, y=equity, name="equity"), row=1, col=1)
    fig.add_trace(
        go.Scatter(
            x=drawdown.index,
            y=drawdown,
            name="drawdown",
            fill="tozeroy",
            line={"color": "firebrick"},
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(tickformat=".1%", row=2, col=1)
    fig.update_layout(height=450, margin={"t": 30})
    return fig


def _gate_section(signals: pd.DataFrame | None, candles: pd.DataFrame, symbol: str) -> str:
    if signals is None or signals.empty:
        return '<p class="note">This strategy scores no signals through the quality gate.</p>'
    spread = get_instrument(symbol).from_pips(1.0)
    stats = signal_statistics(signals, candles, spread=spread)
    rates = [(k, v) for k, v in stats["pass_rate_by_source"].items()]
    dims = [(k, d["mean"], d["std"], d["min"], d["max"]) for k, d in stats["dimensions"].items()]
    hits = [
        (k, g["count"], g["hit_rate"], g["expectancy_r"]) for k, g in stats["hit_rates"].items()
    ]
    return (
        f"<p>{stats['count']:,} signals scored, pass rate {stats['pass_rate']:.1%}.</p>"
        + _table(rates, ["source", "pass rate"])
        + _table(dims, ["dimension", "mean", "std", "min", "max"])
        + _table(
            hits,
            [
                "group",
                "signals",
                "hit rate (close at expiry beyond entry + 1 pip)",
                "expectancy (R, trade to target, stop or expiry)",
            ],
        )
    )


def write_report(
    path: str | Path,
    *,
    title: str,
    symbol: str,
    timeframe_delta: pd.Timedelta,
    candles: pd.DataFrame,
    trades: pd.DataFrame,
    equity: pd.Series,
    metrics: Mapping[str, Any],
    pnl_by_source: Mapping[str, float],
    patterns: Sequence[PatternMark] = (),
    forecasts: Sequence[Forecast] = (),
    signals: pd.DataFrame | None = None,
    signal_errors: Mapping[str, int] | None = None,
    decisions: Mapping[str, Any] | None = None,
    comparison: Mapping[str, Any] | None = None,
    max_bars: int = 3000,
) -> Path:
    """Write the report; the price chart shows the last ``max_bars`` bars (the rest stay in
    the equity curve and the tables); ``signal_errors``: candidates skipped per signal source
    after an error (``BacktestResult.signal_errors``); ``decisions``: how the strategy decided
    (``BacktestResult.decisions``; a walk-forward's last fold); ``comparison``: a
    ``--compare`` study's table (:func:`forex_diffusion.backtest.comparison.compare`). Returns
    the path."""
    shown = candles.iloc[-max_bars:]
    price = _price_figure(
        shown,
        trades,
        [p for p in patterns if p[0] >= shown.index[0]],
        [f for f in forecasts if f.origin_ts >= shown.index[0]],
        timeframe_delta,
    )
    metric_rows = [(k, v) for k, v in metrics.items() if k != "costs"]
    metric_rows += [(f"cost: {k}", v) for k, v in dict(metrics.get("costs", {})).items()]
    by_source = sorted(pnl_by_source.items(), key=lambda kv: kv[1])
    bars = go.Figure(
        go.Bar(
            x=[v for _, v in by_source],
            y=[k for k, _ in by_source],
            orientation="h",
            marker_color=["firebrick" if v < 0 else "seagreen" for _, v in by_source],
        )
    )
    bars.update_layout(height=120 + 40 * len(by_source), margin={"t": 20})
    counts = trades["source"].value_counts() if len(trades) else pd.Series(dtype=int)
    source_rows = [(k, int(counts.get(k, 0)), v) for k, v in by_source]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f'<p class="note">{len(candles):,} bars from {candles.index[0]:%Y-%m-%d %H:%M} to '
        f"{candles.index[-1]:%Y-%m-%d %H:%M} UTC; {len(trades):,} trades. The price chart shows "
        f"the last {len(shown):,} bars.</p>",
        "<h2>Price, patterns, forecasts, entries and exits</h2>",
        price.to_html(full_html=False, include_plotlyjs=True),
        "<h2>Equity and drawdown</h2>",
        _equity_figure(equity).to_html(full_html=False, include_plotlyjs=False),
        "<h2>Metrics</h2>",
        _table(metric_rows, ["metric", "value"]),
        "<h2>P&amp;L by signal source</h2>",
        bars.to_html(full_html=False, include_plotlyjs=False),
        _table(source_rows, ["source", "trades", "net P&L"]),
        "<h3>Signal sources skipped after errors</h3>",
        _table(sorted((signal_errors or {}).items()), ["source", "errors"])
        if signal_errors
        else '<p class="note">none: no signal source failed.</p>',
        "<h2>Quality gate</h2>",
        _gate_section(signals, candles, symbol),
        "<h2>Decision and meta-model</h2>",
        _decision_section(decisions or {}),
        _comparison_section(comparison) if comparison else "",
        "</body></html>",
    ]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(parts), encoding="utf-8")
    return out


def _comparison_section(comparison: Mapping[str, Any]) -> str:
    """The decision rules, flat and random entries on the same folds."""
    rows = [
        (
            r["rule"],
            r["trades"],
            r["net_pnl"],
            r["total_return"],
            r["max_drawdown"],
            r["sharpe"] if r["sharpe"] is not None else "-",
            r["deflated_sharpe"] if r["deflated_sharpe"] is not None else "-",
            r["expectancy_r"] if r["expectancy_r"] is not None else "-",
        )
        for r in comparison["rows"]
    ]
    rnd = comparison["random"]
    pbo = comparison["pbo"]
    return "".join(
        [
            "<h2>Decision rules compared on the same folds</h2>",
            _table(
                rows,
                ["rule", "trades", "net P&L", "return", "max dd", "Sharpe", "DSR", "R/trade"],
            ),
            f'<p class="note">{html.escape(str(comparison["rule"]))} against {rnd["seeds"]} '
            f"random replays of its trades (same sides, holding times, median size): net P&amp;L "
            f"{rnd['rule_pnl']:,.2f} against a median of {rnd['median_pnl']:,.2f} (5-95 %: "
            f"{rnd['p05_pnl']:,.2f} .. {rnd['p95_pnl']:,.2f}), better than "
            f"{rnd['percentile']:.0%} of them, p = {rnd['p_value']:.3f}. Deflated Sharpe ratios "
            f"over {comparison['trials']} configurations tried; probability of backtest "
            f"overfitting of the choice among the rules (CSCV): "
            f"{'-' if pbo is None else format(pbo, '.2f')}.</p>",
        ]
    )


def _decision_section(decisions: Mapping[str, Any]) -> str:
    """The decision rule's reasons, any long stretch without an edge, and the meta-model's
    out-of-fold scores per fold with its reliability curve (the last fit)."""
    if not decisions:
        return '<p class="note">this strategy has no candidates to decide on.</p>'
    parts = [
        f'<p class="note">decision <b>{html.escape(str(decisions["decision"]))}</b>, '
        f"min_edge_r {decisions['min_edge_r']:+.2f} R: {decisions['bars_with_edge']:,} of "
        f"{decisions['bars']:,} bars had a candidate past the gate whose expected R after costs "
        f"cleared it.</p>",
        _table(sorted(decisions.get("reasons", {}).items()), ["reason", "candidates"]),
    ]
    if decisions.get("notice"):
        parts.append(f'<p class="note"><b>{html.escape(decisions["notice"])}</b></p>')
    if decisions.get("forecaster"):
        parts.append(f'<p class="note">forecaster: {html.escape(decisions["forecaster"])}.</p>')
    meta = decisions.get("meta_model")
    if not meta:
        parts.append('<p class="note">no meta-model was fitted (too few labelled candidates).</p>')
        return "".join(parts)
    made = meta.get("oof_selected_r")
    made = "-" if made is None else f"{made:+.3f} R"
    parts.append(
        f'<p class="note">meta-model {html.escape(str(meta["kind"]))} with '
        f"{html.escape(str(meta['calibration']))} calibration, fitted "
        f"{decisions.get('meta_fits', 0)} times; the last on {meta['rows']:,} labelled "
        f"candidates ({meta['data_start']} to {meta['data_end']}, data hash "
        f"{str(meta['data_hash'])[:12]}), {'used' if meta.get('used') else 'not used'}: "
        f"its out-of-fold Brier score must beat the base rate's, and the candidates past the "
        f"gate it would have traded out of fold ({meta.get('oof_selected', 0):,}; at least "
        f"{meta.get('oof_min', '-')}) must have made money after costs ({made} each).</p>"
    )
    folds = [
        (
            f["fold"],
            f["rows"],
            f["base_rate"],
            f["brier"],
            f["brier_base"],
            f["log_loss"],
            f"{f['test_start'][:16]} .. {f['test_end'][:16]}",
        )
        for f in meta.get("folds", [])
    ]
    parts.append(
        _table(folds, ["fold", "rows", "base rate", "Brier", "Brier (base)", "log loss", "test"])
    )
    curve = [
        (f["fold"], r["predicted"], r["observed"], r["count"])
        for f in meta.get("folds", [])
        for r in f["reliability"]
    ]
    parts.append("<h3>Reliability (out of fold)</h3>")
    parts.append(_table(curve, ["fold", "predicted", "observed", "candidates"]))
    return "".join(parts)


def pattern_marks(signals: pd.DataFrame | None) -> list[PatternMark]:
    """Marks for the pattern signals that passed the gate (or, without signals, nothing)."""
    if signals is None or signals.empty:
        return []
    passed = signals[(signals["source"] == "pattern") & signals["passed"]]
    return [
        (pd.Timestamp(ts), str(meta.get("detail", "pattern")), str(direction), float(price))
        for ts, meta, direction, price in zip(
            passed["ts"],
            passed["metadata"],
            passed["direction"],
            passed["entry_price"],
            strict=True,
        )
        if np.isfinite(price)
    ]


def scanned_marks(candles: pd.DataFrame, *, min_score: float = 0.7) -> list[PatternMark]:
    """Marks for the directional candle patterns scoring at least ``min_score`` (for strategies
    that do not trade patterns: context on the chart)."""
    from forex_diffusion.patterns.registry import PatternRegistry

    events = PatternRegistry().scan(candles)
    events = events[(events["direction"] != "neutral") & (events["score"] >= min_score)]
    close = candles["close"].to_numpy(float)
    at = pd.DatetimeIndex(candles.index).get_indexer(pd.DatetimeIndex(events["confirm_ts"]))
    return [
        (pd.Timestamp(candles.index[int(i)]), str(key), str(direction), float(close[i]))
        for i, key, direction in zip(at, events["pattern_key"], events["direction"], strict=True)
    ]
