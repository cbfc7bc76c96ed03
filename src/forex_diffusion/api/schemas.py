"""What the API answers: one pydantic model per response shape, so ``/openapi.json`` documents
every endpoint's body. Times are ISO 8601 strings in UTC (``2017-01-02T05:00:00+00:00``), as the
store's frames print them; run bookkeeping times are epoch milliseconds, as stored."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CandleOut",
    "CorrectionOut",
    "EquityOut",
    "ForecastOut",
    "Health",
    "IndicatorRow",
    "PaperSnapshot",
    "PatternOut",
    "PositionOut",
    "QuantileRow",
    "Ready",
    "RunDetail",
    "RunOut",
    "SeriesOut",
    "SignalOut",
    "TradeOut",
    "WriteResult",
]

Time = str
"""An ISO 8601 time in UTC."""


class Health(BaseModel):
    """The process answers."""

    status: Literal["ok"]
    version: str


class Ready(BaseModel):
    """The store answers and its schema is the one the code needs."""

    model_config = ConfigDict(populate_by_name=True)

    status: Literal["ready"]
    store: str = Field(description="the store's URL without credentials")
    revision: str = Field(alias="schema", description="the store's migration revision")


class SeriesOut(BaseModel):
    """A stored (symbol, timeframe) series."""

    symbol: str
    timeframe: str
    first: Time
    last: Time
    bars: int


class CandleOut(BaseModel):
    """A stored bar (open time)."""

    time: Time
    open: float
    high: float
    low: float
    close: float
    volume: float


class WriteResult(BaseModel):
    """What ``POST /candles`` did: new bars, changed bars overwritten, identical bars left
    alone, and of the new and changed ones those recorded as corrections."""

    inserted: int
    updated: int
    unchanged: int
    corrected: int


class CorrectionOut(BaseModel):
    """A stored bar replaced by a correction: its old values (null for a bar that was
    missing) and its new ones."""

    time: Time
    old: dict[str, float] | None
    new: dict[str, float]
    reason: str | None
    recorded_at: Time


class IndicatorRow(BaseModel):
    """A bar's time and one number (or null while warming up) per column of the spec."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    time: Time


class PatternOut(BaseModel):
    """A stored pattern event (see ``docs/patterns.md``)."""

    pattern_key: str
    kind: str
    direction: str
    start_ts: Time
    confirm_ts: Time
    state: str
    score: float
    scale_atr: float | None
    bars_span: int | None
    target_price: float | None
    failure_price: float | None
    horizon_bars: int | None
    touches: int | None
    overlay: dict[str, Any] | None


class SignalOut(BaseModel):
    """A stored fused signal: the six quality dimensions, the composite and the verdict."""

    signal_id: str
    source: str
    direction: str
    strength: float
    pattern_strength: float
    mtf_agreement: float
    regime_confidence: float
    volume_confirmation: float
    sentiment_alignment: float
    correlation_safety: float
    composite: float
    passed: bool
    regime: str | None
    entry_price: float | None
    target_price: float | None
    stop_price: float | None
    ts: Time
    valid_until: Time | None
    metadata: dict[str, Any]


class QuantileRow(BaseModel):
    """Price quantiles at one horizon (bars after the origin)."""

    horizon: int
    q05: float
    q10: float
    q25: float
    q50: float
    q75: float
    q90: float
    q95: float


class ForecastOut(BaseModel):
    """A forecast from the newest stored bar."""

    model: Literal["diffusion", "random_walk"] = Field(description="the model that ran")
    model_id: str
    origin: Time = Field(description="the newest bar the forecast saw")
    origin_price: float
    quantiles: list[QuantileRow]


class RunOut(BaseModel):
    """A run as stored (times in epoch ms). ``status``: running, paused, stopped, done,
    failed, or interrupted (a live run whose process is gone)."""

    run_id: str
    kind: str
    status: str
    config_hash: str
    config: dict[str, Any] | None
    symbol: str | None
    timeframe: str | None
    strategy: str | None
    started_at: int
    finished_at: int | None
    last_bar_ts: int | None = Field(description="the newest bar the run processed")
    error: str | None
    metrics: dict[str, Any] | None
    heartbeat_at: int | None = None
    owner: str | None = Field(default=None, description="host:pid of the live process")


class TradeOut(BaseModel):
    """A closed trade, costs in the account currency."""

    entry_time: Time
    exit_time: Time
    symbol: str
    direction: str
    entry_price: float
    exit_price: float
    units: float
    pnl: float
    pnl_pips: float
    commission: float
    swap: float
    spread_cost: float
    slippage_cost: float
    exit_reason: str | None
    source: str | None
    risk: float | None


class EquityOut(BaseModel):
    """The account at a bar."""

    time: Time
    balance: float
    equity: float
    margin_used: float
    open_pnl: float


class PositionOut(BaseModel):
    """An open position."""

    position_key: str
    symbol: str
    side: str
    units: float
    entry_price: float
    entry_time: Time | None
    stop_loss: float | None
    take_profit: float | None
    swap: float


class RunDetail(RunOut):
    """A run with its closed trades, equity curve and open positions."""

    trades: list[TradeOut]
    equity: list[EquityOut]
    positions: list[PositionOut]


class PaperSnapshot(BaseModel):
    """A paper run: live from its engine when it is in this server, else from the store."""

    run_id: str
    symbol: str
    timeframe: str
    strategy: str | None
    state: str = Field(
        description="running, paused, stopped, failed; for a run not in this server its stored "
        "status (interrupted: its process is gone)"
    )
    trading: bool = Field(description="the engine opens positions: running, in a live thread")
    active: bool = Field(
        description="its thread in this server processes bars (true while paused too)"
    )
    in_server: bool = Field(description="started or resumed in this server")
    resumable: bool = Field(description="POST /paper/{run_id}/resume is not refused")
    resume_blocked: str | None = Field(description="why it cannot be resumed (the kill-switch)")
    reason: str | None = Field(description="why it is paused or failed")
    last_bar: Time | None
    bars: int = Field(description="bars processed in this server")
    trades: int
    currency: str
    balance: float
    equity: float
    margin_used: float
    open_pnl: float
    positions: list[PositionOut]
