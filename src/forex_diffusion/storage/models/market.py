"""Market-side rows: candles, pattern events, forecasts and fused signals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forex_diffusion.storage.models.base import Base, IdPk, now_ms

__all__ = ["CandleCorrectionRow", "CandleRow", "ForecastRow", "FusedSignalRow", "PatternEventRow"]


class CandleRow(Base):
    """One bar; unique by (symbol, timeframe, ts)."""

    __tablename__ = "candles"

    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(4), primary_key=True)
    ts: Mapped[int] = mapped_column(primary_key=True, doc="bar open time, epoch ms UTC")
    open: Mapped[float]
    high: Mapped[float]
    low: Mapped[float]
    close: Mapped[float]
    volume: Mapped[float]


class CandleCorrectionRow(Base):
    """A stored bar replaced after a run had traded on it: the old and new values."""

    __tablename__ = "candle_corrections"
    __table_args__ = (Index("ix_candle_corrections_series", "symbol", "timeframe", "ts"),)

    id: Mapped[IdPk]
    symbol: Mapped[str] = mapped_column(String(16))
    timeframe: Mapped[str] = mapped_column(String(4))
    ts: Mapped[int] = mapped_column(doc="bar open time, epoch ms UTC")
    old: Mapped[dict[str, Any] | None]
    new: Mapped[dict[str, Any]]
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[int] = mapped_column(default=now_ms)


class PatternEventRow(Base):
    """A detected pattern (``core.events.PatternEvent``)."""

    __tablename__ = "pattern_events"
    __table_args__ = (
        UniqueConstraint("symbol", "timeframe", "pattern_key", "start_ts", "confirm_ts", "run_id"),
        Index("ix_pattern_events_lookup", "symbol", "timeframe", "confirm_ts"),
    )

    id: Mapped[IdPk]
    run_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("runs.run_id"))
    symbol: Mapped[str] = mapped_column(String(16))
    timeframe: Mapped[str] = mapped_column(String(4))
    pattern_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    start_ts: Mapped[int]
    confirm_ts: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    score: Mapped[float]
    scale_atr: Mapped[float | None]
    touches: Mapped[int | None]
    bars_span: Mapped[int | None]
    target_price: Mapped[float | None]
    failure_price: Mapped[float | None]
    horizon_bars: Mapped[int | None]
    overlay: Mapped[dict[str, Any] | None]
    created_at: Mapped[int] = mapped_column(default=now_ms)


class ForecastRow(Base):
    """A probabilistic forecast (``core.events.Forecast``): quantiles per horizon."""

    __tablename__ = "forecasts"
    __table_args__ = (Index("ix_forecasts_lookup", "symbol", "timeframe", "origin_ts"),)

    id: Mapped[IdPk]
    run_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("runs.run_id"))
    model_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("trained_models.model_id"))
    symbol: Mapped[str] = mapped_column(String(16))
    timeframe: Mapped[str] = mapped_column(String(4))
    origin_ts: Mapped[int] = mapped_column(doc="the last bar the forecast saw")
    horizons: Mapped[list[Any]]
    quantile_levels: Mapped[list[Any]]
    quantiles: Mapped[list[Any]] = mapped_column(doc="[horizon][level] price")
    created_at: Mapped[int] = mapped_column(default=now_ms)


class FusedSignalRow(Base):
    """A fused signal with its six quality dimensions and the gate's verdict."""

    __tablename__ = "fused_signals"
    __table_args__ = (Index("ix_fused_signals_lookup", "symbol", "timeframe", "ts"),)

    id: Mapped[IdPk]
    signal_id: Mapped[str] = mapped_column(String(64), unique=True)
    run_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("runs.run_id"))
    source: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(16))
    timeframe: Mapped[str] = mapped_column(String(4))
    direction: Mapped[str] = mapped_column(String(8))
    strength: Mapped[float]
    pattern_strength: Mapped[float]
    mtf_agreement: Mapped[float]
    regime_confidence: Mapped[float]
    volume_confirmation: Mapped[float]
    sentiment_alignment: Mapped[float]
    correlation_safety: Mapped[float]
    composite: Mapped[float]
    passed: Mapped[bool]
    regime: Mapped[str | None] = mapped_column(String(32))
    entry_price: Mapped[float | None]
    target_price: Mapped[float | None]
    stop_price: Mapped[float | None]
    ts: Mapped[int]
    valid_until: Mapped[int | None]
    signal_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    created_at: Mapped[int] = mapped_column(default=now_ms)
