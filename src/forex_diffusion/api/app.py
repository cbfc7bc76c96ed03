"""The HTTP API (FastAPI): the store's data, runs and the live feed, for the dashboard and tools.

``create_app(store, token=...)`` builds the app; ``fxd serve`` runs it with uvicorn on
127.0.0.1:8000 (binding elsewhere is an explicit choice). OpenAPI docs at ``/docs`` and
``/redoc``, their scripts served from the installed ``fastapi-offline`` package (no CDN).

Engine control of paper runs is under ``/paper`` (:mod:`.paper`), the dashboard under
``/dashboard`` (:mod:`.dashboard`), what every endpoint answers in :mod:`.schemas`.

Reading is open; changing anything (``POST /candles``, ``POST /paper...``) needs
``Authorization: Bearer <token>`` with the token of ``[api] token`` (``FXD_API__TOKEN``): 401
without a token, 403 with a wrong one, 503 when the server has none configured. The token is
compared in constant time and never logged. Request bodies refuse unknown fields. Endpoints
raise the project's errors; :mod:`.errors` maps them to HTTP once (422 bad input naming the
field or bar, 404 unknown, 409 conflict, 503 store unavailable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, FastAPI, Path, Query
from fastapi_offline import FastAPIOffline
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from forex_diffusion import __version__
from forex_diffusion.api import errors
from forex_diffusion.api.common import bearer, parse_series, plain, records, utc_time
from forex_diffusion.api.dashboard import mount_dashboard
from forex_diffusion.api.paper import paper_router
from forex_diffusion.api.schemas import (
    CandleOut,
    CorrectionOut,
    ForecastOut,
    Health,
    IndicatorRow,
    PatternOut,
    Ready,
    RunDetail,
    RunOut,
    SeriesOut,
    SignalOut,
    WriteResult,
)
from forex_diffusion.core.errors import (
    ConfigError,
    ConflictError,
    ModelError,
    NotFoundError,
    StorageError,
    one_line,
)
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data.candles import OHLCV
from forex_diffusion.storage import (
    CandleRepository,
    PatternEventRepository,
    RunRepository,
    Store,
    TradingRepository,
)
from forex_diffusion.trading.paper_control import PaperSupervisor

__all__ = ["MAX_BARS", "Bar", "NewBars", "create_app", "from_config"]

SymbolPath = Annotated[str, Path(description="Currency pair, e.g. EURUSD.")]
TimeframePath = Annotated[str, Path(description="Timeframe, e.g. H1.")]
MAX_BARS = 10_000
"""Bars one ``POST /candles`` may carry (larger imports: ``fxd data import``)."""


class Bar(BaseModel):
    """One closed bar: its open time (ISO 8601 with an offset; Z for UTC) and prices. The
    candle contract is checked with the bar's time in the answer: finite prices > 0,
    ``low <= min(open, close) <= max(open, close) <= high``, volume >= 0."""

    model_config = ConfigDict(extra="forbid")

    time: AwareDatetime
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return utc_time(value, "time")


class NewBars(BaseModel):
    """Bars to append to a series of the live feed, or to correct (see ``POST /candles``)."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(max_length=16)
    timeframe: str = Field(max_length=8)
    bars: list[Bar] = Field(min_length=1, max_length=MAX_BARS)
    correction: bool = Field(
        default=False,
        description="replace bars at or before the newest bar a run has traded; each bar "
        "that changes is recorded with its old and new values",
    )
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="why (a correction only)"
    )

    def frame(self) -> pd.DataFrame:
        """The bars as a candle frame, in the order given."""
        index = pd.DatetimeIndex([b.time for b in self.bars], name="time")
        return pd.DataFrame({c: [float(getattr(b, c)) for b in self.bars] for c in OHLCV}, index)


class ForecastRequest(BaseModel):
    """A forecast from the newest stored bar of a series."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(max_length=16)
    timeframe: str = Field(max_length=8)
    model: Literal["auto", "diffusion", "random_walk"] = Field(
        default="diffusion",
        description="auto: the diffusion model when one is registered, else the random walk",
    )
    horizons: list[int] | None = Field(
        default=None,
        max_length=100,
        description="subset of the model's horizons (bars); default: all",
    )
    samples: int = Field(default=200, ge=10, le=5000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)


def create_app(
    store: Store,
    *,
    token: str | None = None,
    trading: TradingConfig | None = None,
    poll_seconds: float = 1.0,
) -> FastAPI:
    """The API and dashboard over ``store``.

    Parameters
    ----------
    store
        The store every endpoint reads and writes.
    token
        The bearer token of the mutating endpoints (none: they answer 503).
    trading
        Default trading config of paper runs started over the API.
    poll_seconds
        How often a paper run looks for new bars once it has traded the stored ones.
    """
    supervisor = PaperSupervisor(store, poll_seconds=poll_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        supervisor.shutdown()

    app = FastAPIOffline(
        title="forex_diffusion",
        version=__version__,
        description="FX forecasts, patterns, signals and trading runs from the store; "
        "engine control of paper runs; the dashboard at /dashboard.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no call to validator.swagger.io
    )
    app.state.supervisor = supervisor
    errors.install(app)

    def _candles(symbol: str, timeframe: str) -> pd.DataFrame:
        sym, tf = parse_series(symbol, timeframe)
        frame = CandleRepository(store).load(sym, tf)
        if frame.empty:
            raise NotFoundError(f"no {sym} {tf.value} candles in the store")
        return frame

    authorised = bearer(token)

    @app.get("/health", tags=["service"], response_model=Health)
    def health() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok", "version": __version__}

    @app.get("/ready", tags=["service"], response_model=Ready)
    def ready() -> dict[str, Any]:
        """The store answers and its schema is current (503 otherwise)."""
        revision = store.revision()
        if revision != store.head():
            raise StorageError(
                f"store schema at {revision}, the code needs {store.head()}: fxd db upgrade"
            )
        return {"status": "ready", "store": store.display_url, "schema": revision}

    @app.get("/symbols", tags=["data"], response_model=list[SeriesOut])
    def symbols() -> list[dict[str, Any]]:
        """Every stored series with its first and last bar and bar count."""
        return [
            {
                "symbol": s.symbol,
                "timeframe": s.timeframe,
                "first": s.first.isoformat(),
                "last": s.last.isoformat(),
                "bars": s.bars,
            }
            for s in CandleRepository(store).series()
        ]

    @app.get("/candles/{symbol}/{timeframe}", tags=["data"], response_model=list[CandleOut])
    def candles(
        symbol: SymbolPath,
        timeframe: TimeframePath,
        last: Annotated[int, Query(ge=1, le=100_000)] = 500,
    ) -> list[dict[str, Any]]:
        """The newest ``last`` bars of a series (404 for an unknown series)."""
        sym, tf = parse_series(symbol, timeframe)
        frame = CandleRepository(store).load(sym, tf, last=last)
        if frame.empty:
            raise NotFoundError(f"no {sym} {tf.value} candles in the store")
        return records(frame.rename_axis("time").reset_index())

    @app.post(
        "/candles", tags=["data"], dependencies=[Depends(authorised)], response_model=WriteResult
    )
    def append(new: NewBars) -> dict[str, Any]:
        """Append closed bars to a series, or correct stored ones, in one transaction or not
        at all.

        The bars are checked as ``fxd data import --timeframe`` checks a file: the candle
        contract, in order and without duplicates, and the timeframe's spacing (an H1 bar at
        05:30 is refused); a 422 names the bar and field. A bar identical to the stored one
        changes nothing. A new or changed bar at or before the newest bar a run has traded on
        the series is a 409 naming the bar and the run, unless ``correction`` is set: then
        every bar it replaces is recorded (``GET /candles/{symbol}/{timeframe}/corrections``)
        with its old values (null for a bar that was missing) and the new ones; a correction
        that changes nothing records nothing."""
        sym, tf = parse_series(new.symbol, new.timeframe)
        result = CandleRepository(store).write(
            sym, tf, new.frame(), correction=new.correction, reason=new.reason
        )
        return {
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "corrected": result.corrected,
        }

    @app.get(
        "/candles/{symbol}/{timeframe}/corrections",
        tags=["data"],
        response_model=list[CorrectionOut],
    )
    def corrections(
        symbol: SymbolPath,
        timeframe: TimeframePath,
        last: Annotated[int, Query(ge=1, le=10_000)] = 200,
    ) -> list[dict[str, Any]]:
        """Bars corrected after a run had traded on them (``POST /candles`` with
        ``correction``), the newest ``last``, oldest first."""
        sym, tf = parse_series(symbol, timeframe)
        return CandleRepository(store).corrections(sym, tf, last=last)

    @app.get("/indicators/{symbol}/{timeframe}", tags=["data"], response_model=list[IndicatorRow])
    def indicators(
        symbol: SymbolPath,
        timeframe: TimeframePath,
        spec: Annotated[
            str, Query(max_length=500, description="e.g. rsi_14,atr_14,macd_12_26_9")
        ] = "rsi_14",
        last: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> list[dict[str, Any]]:
        """Indicator values of the newest ``last`` bars (the whole stored history warms up);
        an unknown indicator in ``spec`` is a 422 naming it."""
        from forex_diffusion.features import calculate_indicators

        values = calculate_indicators(_candles(symbol, timeframe), spec)
        return records(values.iloc[-last:].rename_axis("time").reset_index())

    @app.post("/forecast", tags=["forecast"], response_model=ForecastOut)
    def forecast(request: ForecastRequest) -> dict[str, Any]:
        """Price quantiles per horizon from the newest stored bar: the newest diffusion model
        registered for the series (409 when there is none, or when it cannot be loaded), or
        the random walk."""
        from forex_diffusion.forecast.baselines import RandomWalkEstimator
        from forex_diffusion.forecast.diffusion import DiffusionPredictor
        from forex_diffusion.storage import TrainedModelRepository

        frame = _candles(request.symbol, request.timeframe)
        sym, tf = parse_series(request.symbol, request.timeframe)
        predictor: Any
        found = None
        if request.model != "random_walk":
            found = TrainedModelRepository(store).latest(sym.name, tf.value)
        if found is None and request.model == "diffusion":
            raise ConflictError(f"no diffusion model for {sym} {tf.value}: fxd train")
        if found is not None:
            try:
                predictor = DiffusionPredictor.load(found["path"])
            except ModelError as exc:  # deleted, or written by an older version: say the fix
                raise ModelError(
                    f"the newest diffusion model for {sym} {tf.value} cannot be loaded "
                    f"({one_line(exc)}): retrain with fxd train"
                ) from exc
        else:
            predictor = RandomWalkEstimator(symbol=sym.name, timeframe=tf.value).fit(frame)
        result = predictor.predict(frame, num_samples=request.samples, seed=request.seed)
        wanted = request.horizons or list(result.horizons)
        unknown = sorted(set(wanted) - set(result.horizons))
        if unknown:
            raise ConfigError(f"horizons: {unknown} not among the model's {list(result.horizons)}")
        levels = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
        return {
            "model": "diffusion" if found is not None else "random_walk",
            "model_id": result.model_id,
            "origin": result.origin_ts.isoformat(),
            "origin_price": result.origin_price,
            "quantiles": [
                {"horizon": h, **{f"q{round(q * 100):02d}": result.quantile(q, h) for q in levels}}
                for h in wanted
            ],
        }

    @app.get("/signals/{symbol}/{timeframe}", tags=["signals"], response_model=list[SignalOut])
    def signals(
        symbol: SymbolPath,
        timeframe: TimeframePath,
        run_id: Annotated[str | None, Query(description="a run's signals (default: none)")] = None,
        last: Annotated[int, Query(ge=1, le=10_000)] = 200,
    ) -> list[dict[str, Any]]:
        """Stored fused signals with their six quality dimensions, composite and verdict."""
        from forex_diffusion.storage import FusedSignalRepository

        sym, tf = parse_series(symbol, timeframe)
        return records(FusedSignalRepository(store).load(sym, tf, run_id=run_id).tail(last))

    @app.get("/patterns/{symbol}/{timeframe}", tags=["data"], response_model=list[PatternOut])
    def patterns(
        symbol: SymbolPath,
        timeframe: TimeframePath,
        kinds: Annotated[str, Query(description="Comma-separated kinds.")] = "",
        last: Annotated[int, Query(ge=1, le=10_000)] = 200,
    ) -> list[dict[str, Any]]:
        """Stored pattern events of a series, newest ``last`` (see ``fxd patterns``)."""
        sym, tf = parse_series(symbol, timeframe)
        wanted = [k for k in kinds.split(",") if k] or None
        frame = PatternEventRepository(store).load(sym, tf, kinds=wanted, last=last)
        return records(frame)

    @app.get("/runs", tags=["runs"], response_model=list[RunOut])
    def runs(
        kind: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> list[dict[str, Any]]:
        """Runs, newest first."""
        return [plain(r) for r in RunRepository(store).list(kind=kind, limit=limit)]

    @app.get("/runs/{run_id}", tags=["runs"], response_model=RunDetail)
    def run(run_id: str) -> dict[str, Any]:
        """A run with its trades and equity curve (404 for an unknown run)."""
        found = RunRepository(store).get(run_id)
        if found is None:
            raise NotFoundError(f"no run {run_id!r}")
        repo = TradingRepository(store)
        return {
            **plain(found),
            "trades": records(repo.trades(run_id)),
            "equity": records(repo.equity(run_id).reset_index()),
            "positions": repo.positions(run_id),
        }

    app.include_router(
        paper_router(supervisor, trading=trading or TradingConfig(), auth=authorised)
    )
    mount_dashboard(app)
    return app


def from_config() -> FastAPI:
    """The app for the configured store and token (``load_config``: the config file and the
    ``FXD_`` variables); the factory ``fxd serve`` hands to uvicorn."""
    from forex_diffusion.core.config import load_config

    config = load_config()
    store = Store.from_config(config.storage)
    store.ensure_schema()
    return create_app(store, token=config.api.token, trading=config.trading)
