// The forex_diffusion dashboard: reads the API of the server that serves it, draws with the
// plotly.js bundled in the plotly package. No framework, no build step.
"use strict";

const TF_MS = { M1: 6e4, M5: 3e5, M15: 9e5, M30: 18e5, H1: 36e5, H4: 144e5, D1: 864e5, W1: 6048e5 };
const DIMENSIONS = [
  "pattern_strength", "mtf_agreement", "regime_confidence",
  "volume_confirmation", "sentiment_alignment", "correlation_safety",
];
const $ = (id) => document.getElementById(id);
const view = { forecastKey: null, forecast: null, timer: null, busy: false, refreshes: 0 };

class ApiError extends Error {
  constructor(status, detail) { super(`${status}: ${detail}`); this.status = status; }
}

async function api(path, { method = "GET", body, auth = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) headers.Authorization = `Bearer ${$("token").value}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && data.detail !== undefined ? JSON.stringify(data.detail) : response.statusText;
    throw new ApiError(response.status, detail);
  }
  return data;
}

function status(text, isError = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

const fmt = {
  num: (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? "-" :
    Number(v).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })),
  time: (v) => (v ? String(v).replace("T", " ").slice(0, 16) : "-"),
};

function fill(tableId, rows, columns, emptyText) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren();
  if (!rows.length) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = columns.length || 1;
    td.className = "empty";
    td.textContent = emptyText;
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of columns) {
      const td = tr.insertCell();
      const value = column(row, td);
      if (value instanceof Node) td.append(value); else td.textContent = value;
    }
  }
}

// -- series and runs ---------------------------------------------------------------------------
function selectedSeries() {
  const [symbol, timeframe] = ($("series").value || " ").split(" ");
  return { symbol, timeframe };
}

function setOptions(select, options, keep) {
  const current = keep ?? select.value;
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  if (options.some(([value]) => value === current)) select.value = current;
  return select.value;
}

async function loadSeries() {
  const series = await api("/symbols");
  const options = series.map((s) => [`${s.symbol} ${s.timeframe}`,
    `${s.symbol} ${s.timeframe} (${s.bars.toLocaleString("en-US")} bars)`]);
  setOptions($("series"), options);
  return series;
}

async function loadRuns(paper) {
  const runs = await api("/runs?limit=200");
  const { symbol, timeframe } = selectedSeries();
  const options = runs.map((r) => [r.run_id,
    `${r.run_id} · ${r.kind} · ${r.strategy ?? "-"} · ${r.symbol ?? ""} ${r.timeframe ?? ""} · ${r.status}`]);
  let keep = $("run").value;
  if (!keep) {
    const live = paper.find((p) => p.active);
    const ofSeries = runs.find((r) => r.symbol === symbol && r.timeframe === timeframe &&
      (r.kind === "backtest" || r.kind === "paper"));
    keep = live ? live.run_id : ofSeries ? ofSeries.run_id : runs.length ? runs[0].run_id : "";
  }
  options.unshift(["", "(no run)"]);
  return setOptions($("run"), options, keep);
}

// -- the price chart ---------------------------------------------------------------------------
function patternTraces(events, firstTime, candles) {
  // chart, harmonic and wave events as markers with their geometry; the (many) candlestick
  // patterns as markers that start hidden (click their legend entry to show them)
  const byTime = new Map(candles.map((c) => [c.time, c]));
  const groups = new Map();
  const lines = { x: [], y: [] };
  for (const e of events) {
    if (e.confirm_ts < firstTime) continue;
    const bar = byTime.get(e.confirm_ts);
    if (!bar) continue;
    const side = e.direction === "bull" || e.direction === "bear" ? e.direction : "neutral";
    const family = e.kind === "candle" ? "candle" : "chart";
    const key = `${family} ${side}`;
    if (!groups.has(key)) groups.set(key, { family, side, x: [], y: [], text: [] });
    const group = groups.get(key);
    group.x.push(e.confirm_ts);
    group.y.push(side === "bear" ? bar.high : bar.low);
    group.text.push(`${e.pattern_key} (${e.kind}, ${e.state}), score ${fmt.num(e.score)}`);
    for (const segment of (e.overlay && e.overlay.lines) || []) {
      lines.x.push(segment[0][0], segment[1][0], null);
      lines.y.push(segment[0][1], segment[1][1], null);
    }
  }
  const style = { bull: ["triangle-up", "#15803d"], bear: ["triangle-down", "#b91c1c"],
    neutral: ["diamond", "#6b7280"] };
  const traces = [{ type: "scatter", mode: "lines", name: "pattern lines", x: lines.x, y: lines.y,
    line: { color: "#7c3aed", width: 1 }, hoverinfo: "skip", connectgaps: false }];
  for (const group of groups.values()) {
    const [symbol, color] = style[group.side];
    traces.push({
      type: "scatter", mode: "markers", name: `${group.side} ${group.family} patterns`,
      x: group.x, y: group.y, text: group.text, hoverinfo: "text+x",
      visible: group.family === "candle" ? "legendonly" : true,
      marker: { symbol, size: group.family === "candle" ? 6 : 10, color,
        line: { width: 1, color: "#111827" } },
    });
  }
  return traces;
}

function gaps(candles, timeframe) {
  // weekends and holidays as range breaks, so that the chart has no empty stretches
  const step = TF_MS[timeframe] || 36e5;
  const out = [];
  for (let i = 1; i < candles.length; i += 1) {
    const previous = Date.parse(candles[i - 1].time);
    if (Date.parse(candles[i].time) - previous > 2 * step) {
      out.push({ bounds: [new Date(previous + step).toISOString(), candles[i].time] });
    }
  }
  return out;
}

function fanTraces(forecast, timeframe) {
  if (!forecast) return [];
  const origin = Date.parse(forecast.origin);
  const step = TF_MS[timeframe] || 36e5;
  const x = [forecast.origin, ...forecast.quantiles.map((q) => new Date(origin + q.horizon * step).toISOString())];
  const band = (key) => [forecast.origin_price, ...forecast.quantiles.map((q) => q[key])];
  const edge = (key, fillColor) => ({
    type: "scatter", mode: "lines", x, y: band(key), line: { width: 0 }, hoverinfo: "y",
    showlegend: false, fill: fillColor ? "tonexty" : "none", fillcolor: fillColor,
  });
  return [
    edge("q05"), edge("q95", "rgba(37, 99, 235, 0.15)"),
    edge("q25"), edge("q75", "rgba(37, 99, 235, 0.30)"),
    { type: "scatter", mode: "lines", name: `forecast median (${forecast.model_id})`, x, y: band("q50"),
      line: { color: "#2563eb", dash: "dot" } },
  ];
}

async function loadForecast(symbol, timeframe, lastTime) {
  const key = `${symbol} ${timeframe} ${lastTime}`;
  if (view.forecastKey === key) return view.forecast;
  try {
    view.forecast = await api("/forecast", {
      method: "POST", body: { symbol, timeframe, model: "auto", samples: 200 },
    });
    $("forecast-note").textContent = view.forecast.model === "diffusion"
      ? `fan: diffusion model ${view.forecast.model_id}, 5-95% and 25-75% quantiles`
      : "fan: random walk (no trained diffusion model: fxd train)";
  } catch (error) {
    view.forecast = null;
    $("forecast-note").textContent = `no forecast: ${error.message}`;
  }
  view.forecastKey = key;
  return view.forecast;
}

async function drawPrice(run) {
  const { symbol, timeframe } = selectedSeries();
  if (!symbol || !timeframe) return;
  const candles = await api(`/candles/${symbol}/${timeframe}?last=${$("bars").value}`);
  const events = await api(`/patterns/${symbol}/${timeframe}?last=2000`);
  const last = candles[candles.length - 1];
  const forecast = await loadForecast(symbol, timeframe, last.time);
  const traces = [
    { type: "candlestick", name: `${symbol} ${timeframe}`, x: candles.map((c) => c.time),
      open: candles.map((c) => c.open), high: candles.map((c) => c.high),
      low: candles.map((c) => c.low), close: candles.map((c) => c.close) },
    ...patternTraces(events, candles[0].time, candles),
    ...fanTraces(forecast, timeframe),
  ];
  if (run && run.symbol === symbol && run.trades.length) {
    const first = candles[0].time;
    const shown = run.trades.filter((t) => t.entry_time >= first);
    traces.push({ type: "scatter", mode: "markers", name: "trade entries",
      x: shown.map((t) => t.entry_time), y: shown.map((t) => t.entry_price),
      text: shown.map((t) => `${t.direction} ${fmt.num(t.units, 0)} (${fmt.num(t.pnl_pips, 1)} pips)`),
      marker: { symbol: "circle-open", size: 10, color: "#111827" } });
  }
  const layout = {
    margin: { l: 60, r: 20, t: 10, b: 30 },
    xaxis: { rangeslider: { visible: false }, rangebreaks: gaps(candles, timeframe) },
    legend: { orientation: "h", y: 1.06 }, uirevision: `${symbol} ${timeframe}`,
  };
  await Plotly.react("price-chart", traces, layout, { responsive: true, displaylogo: false });
  $("price-chart").dataset.lastBar = last.time;
}

// -- the selected run --------------------------------------------------------------------------
function flatMetrics(run, live) {
  const rows = [["kind", run.kind], ["status", run.status], ["strategy", run.strategy ?? "-"],
    ["last bar", fmt.time(run.last_bar_ts ? new Date(run.last_bar_ts).toISOString() : null)]];
  if (live) {
    rows.push(["bars traded here", fmt.num(live.bars, 0)], ["equity", `${fmt.num(live.equity)} ${live.currency}`],
      ["balance", fmt.num(live.balance)], ["open P&L", fmt.num(live.open_pnl)],
      ["margin used", fmt.num(live.margin_used)], ["closed trades", fmt.num((run.trades || []).length, 0)]);
  }
  const m = run.metrics || {};
  const inner = m.metrics || {};
  for (const [k, v] of [["trades", m.trade_count], ["net pips", m.net_pips]]) {
    if (v !== undefined) rows.push([k, fmt.num(v, k === "trades" ? 0 : 1)]);
  }
  for (const [k, v] of Object.entries(inner)) {
    if (typeof v === "number") rows.push([k, fmt.num(v, 4)]);
  }
  return rows;
}

async function drawRun(runId, paper) {
  if (!runId) {
    $("run-title").textContent = "(none selected)";
    fill("metrics", [], [], "select a run");
    fill("trades", [], [], "no run");
    fill("positions", [], [], "no run");
    fill("signals", [], [], "no run");
    Plotly.purge("equity-chart");
    return null;
  }
  const run = await api(`/runs/${encodeURIComponent(runId)}`);
  const live = paper.find((p) => p.run_id === runId);
  $("run-title").textContent = `${run.run_id}${live ? ` (${live.state})` : ""}`;
  fill("metrics", flatMetrics(run, live), [(r) => r[0], (r) => String(r[1])], "no figures");
  const equity = run.equity || [];
  await Plotly.react("equity-chart", [
    { type: "scatter", mode: "lines", name: "equity", x: equity.map((e) => e.time), y: equity.map((e) => e.equity) },
    { type: "scatter", mode: "lines", name: "balance", x: equity.map((e) => e.time), y: equity.map((e) => e.balance),
      line: { dash: "dot" } },
  ], { margin: { l: 60, r: 10, t: 10, b: 30 }, legend: { orientation: "h" } },
  { responsive: true, displaylogo: false });
  const positions = live ? live.positions : run.positions || [];
  fill("positions", positions, [
    (p) => p.symbol, (p, td) => { td.className = p.side === "long" ? "bull" : "bear"; return p.side; },
    (p) => fmt.num(p.units, 0), (p) => fmt.num(p.entry_price, 5), (p) => fmt.time(p.entry_time),
    (p) => fmt.num(p.stop_loss, 5), (p) => fmt.num(p.take_profit, 5),
  ], "no open positions");
  const trades = (run.trades || []).slice(-200).reverse();
  $("trade-count").textContent = `${(run.trades || []).length} closed, newest first`;
  fill("trades", trades, [
    (t) => fmt.time(t.entry_time), (t) => fmt.time(t.exit_time),
    (t, td) => { td.className = t.direction === "long" ? "bull" : "bear"; return t.direction; },
    (t) => fmt.num(t.units, 0), (t) => fmt.num(t.pnl_pips, 1),
    (t, td) => { td.className = t.pnl >= 0 ? "pass" : "fail"; return fmt.num(t.pnl); },
    (t) => t.exit_reason ?? "-", (t) => t.source ?? "-",
  ], "no closed trades");
  if (run.symbol && run.timeframe) {
    const signals = (await api(`/signals/${run.symbol}/${run.timeframe}?run_id=${encodeURIComponent(runId)}&last=100`)).reverse();
    fill("signals", signals, [
      (s) => fmt.time(s.ts), (s) => s.source,
      (s, td) => { td.className = s.direction; return s.direction; },
      (s) => fmt.num(s.strength),
      ...DIMENSIONS.map((d) => (s) => fmt.num(s[d])), (s) => fmt.num(s.composite),
      (s, td) => { td.className = s.passed ? "pass" : "fail"; return s.passed ? "pass" : "reject"; },
    ], "no scored signals in this run (the fused strategy stores them)");
  }
  return run;
}

// -- paper runs --------------------------------------------------------------------------------
function controlButtons(p) {
  // pause while it trades, stop while its thread runs (paused too), resume only when the API
  // says it can be resumed: never after the kill-switch, whose reason is shown instead
  const span = document.createElement("span");
  const actions = [];
  if (p.trading) actions.push("pause");
  if (p.resumable) actions.push("resume");
  if (p.active) actions.push("stop");
  for (const action of actions) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action;
    button.dataset.action = action;
    button.dataset.run = p.run_id;
    span.append(button);
  }
  if (p.resume_blocked) {
    const note = document.createElement("span");
    note.className = "blocked";
    note.textContent = "cannot resume";
    note.title = p.resume_blocked;
    span.append(note);
  }
  return span;
}

function drawPaper(paper) {
  fill("paper", paper, [
    (p) => p.run_id, (p) => `${p.symbol} ${p.timeframe}`, (p) => p.strategy,
    (p, td) => { td.title = p.reason ?? ""; return p.state; }, (p) => fmt.time(p.last_bar),
    (p) => p.bars.toLocaleString("en-US"), (p) => `${fmt.num(p.equity)} ${p.currency}`,
    (p) => String(p.positions.length), (p) => controlButtons(p),
  ], "no paper run in this server");
}

async function control(action, runId) {
  try {
    await api(`/paper/${encodeURIComponent(runId)}/${action}`, { method: "POST", auth: true });
    status(`${action}: ${runId}`);
  } catch (error) {
    status(`${action} ${runId}: ${error.message}`, true);
  }
  await refresh();
}

async function startPaper(event) {
  event.preventDefault();
  const { symbol, timeframe } = selectedSeries();
  const body = { symbol, timeframe };
  if ($("strategy").value.trim()) body.strategy = $("strategy").value.trim();
  if ($("from").value.trim()) body.from = $("from").value.trim();  // as fxd paper start --from
  try {
    const run = await api("/paper", { method: "POST", body, auth: true });
    $("run").value = "";
    status(`started ${run.run_id}`);
    await refresh(run.run_id);
  } catch (error) {
    status(`start: ${error.message}`, true);
  }
}

// -- refresh -----------------------------------------------------------------------------------
async function refresh(selectRun) {
  if (view.busy) return;
  view.busy = true;
  try {
    await loadSeries();
    const paper = await api("/paper");
    drawPaper(paper);
    const runId = await loadRuns(paper);
    if (selectRun) $("run").value = selectRun;
    const run = await drawRun($("run").value || runId, paper);
    await drawPrice(run);
    view.refreshes += 1;
    document.body.dataset.refreshes = String(view.refreshes);
    status(`updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    status(`refresh failed: ${error.message}`, true);
  } finally {
    view.busy = false;
  }
}

function schedule() {
  clearInterval(view.timer);
  if ($("auto").checked) {
    const seconds = Math.max(1, Number($("interval").value) || 5);
    view.timer = setInterval(refresh, seconds * 1000);
  }
}

function init() {
  $("token").value = sessionStorage.getItem("fxd-token") || "";
  $("token").addEventListener("change", () => sessionStorage.setItem("fxd-token", $("token").value));
  $("reload").addEventListener("click", () => refresh());
  for (const id of ["series", "bars", "run"]) $(id).addEventListener("change", () => refresh());
  $("auto").addEventListener("change", schedule);
  $("interval").addEventListener("change", schedule);
  $("paper-start").addEventListener("submit", startPaper);
  document.querySelector("#paper tbody").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) control(button.dataset.action, button.dataset.run);
  });
  const params = new URLSearchParams(window.location.search);
  if (params.has("interval")) $("interval").value = params.get("interval");
  refresh(params.get("run") || undefined).then(schedule);
}

init();
