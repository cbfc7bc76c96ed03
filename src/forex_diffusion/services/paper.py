"""Paper trading on the store's live feed: start, resume, pause, stop and inspect paper runs.

Two ways to trade a run, over the same trading-layer machinery
(:mod:`forex_diffusion.trading.paper`, :mod:`forex_diffusion.trading.paper_control`):

- **in this thread** (``fxd paper``): :func:`start_paper_run` or :func:`resume_paper_run` gives a
  :class:`PaperSession`, :func:`trade` trades it until no new bar comes (``until_idle``) or
  Ctrl-C, and returns a :class:`PaperOutcome`;
- **in a server's threads** (the API's engine control): :func:`start_in_server`,
  :func:`pause_in_server`, :func:`resume_in_server`, :func:`stop_in_server`,
  :func:`server_status` and :func:`server_runs` over a :class:`PaperSupervisor`, each answering
  a :class:`PaperStatus`.

A new run trades the root config's ``[trading]`` section with the strategy chosen (its
parameters checked, :func:`~forex_diffusion.services.config.with_strategy`) and its
``[signals]`` section as its gate; both are stored with the run and in its hash, and a resume
rebuilds the engine, strategy and gate from what the run stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.services.config import Scalar, with_strategy
from forex_diffusion.services.forecast import fused_fit_end, with_registered_checkpoint
from forex_diffusion.storage import CandleRepository, Store
from forex_diffusion.trading.paper import PaperRun, resume_paper, start_paper
from forex_diffusion.trading.paper_control import PaperSupervisor

__all__ = [
    "OnBar",
    "PaperOutcome",
    "PaperPosition",
    "PaperSession",
    "PaperStartRequest",
    "PaperStatus",
    "PaperSupervisor",
    "pause_in_server",
    "resume_in_server",
    "resume_paper_run",
    "server_runs",
    "server_status",
    "start_in_server",
    "start_paper_run",
    "stop_in_server",
    "trade",
]

OnBar = Callable[[int, pd.Timestamp], None]
"""``on_bar(done, ts)``: ``done`` bars traded in this session, the last one at ``ts``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperStartRequest:
    """A new paper run on one series: its id (default: a new ``paper-...`` one), a strategy
    (default: the config's) and its parameters over the configured ones, and the time after
    which it trades (earlier bars warm it up; default: every stored bar)."""

    symbol: Symbol
    timeframe: Timeframe
    run_id: str | None = None
    strategy: str | None = None
    params: dict[str, Scalar] = field(default_factory=dict)
    start: pd.Timestamp | None = None


def _run_config(
    store: Store, config: RootConfig, request: PaperStartRequest
) -> tuple[str, RootConfig]:
    """The run id and the root config the run trades with (the strategy checked; a fused
    strategy's diffusion forecaster given the newest registered checkpoint fitted before its
    fit bars end, stored with the run so that a resume forecasts with the same)."""
    cfg = with_strategy(config, request.strategy, request.params)
    if cfg.trading.strategy == "fused":
        candles = CandleRepository(store).load(request.symbol, request.timeframe)
        if len(candles):
            warm = 0 if request.start is None else int((candles.index < request.start).sum())
            cfg = with_registered_checkpoint(
                store,
                cfg,
                request.symbol,
                request.timeframe,
                fit_end=fused_fit_end(candles, warm, cfg),
            )
    return request.run_id or f"paper-{uuid.uuid4().hex[:10]}", cfg


# -- in this thread ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PaperSession:
    """A paper run ready to trade in this thread: the run and what it trades with."""

    run: PaperRun
    trading: TradingConfig
    signals: SignalsConfig
    resumed_after: pd.Timestamp | None = None
    """The last bar traded before this session (a resumed run), else ``None``."""

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.run.run_id

    @property
    def symbol(self) -> str:
        """The run's symbol (canonical)."""
        return self.run.symbol

    @property
    def timeframe(self) -> str:
        """The run's timeframe (canonical)."""
        return self.run.timeframe


@dataclass(frozen=True, slots=True)
class PaperOutcome:
    """Where a session of a paper run ended."""

    run_id: str
    bars: int
    """Bars traded in this session."""
    last: pd.Timestamp | None
    """The last bar the run has traded (in any session)."""
    state: str
    reason: str | None
    trades: int
    """Trades closed in this session."""
    open_positions: int
    equity: float
    currency: str
    interrupted: bool
    """The session ended on Ctrl-C (the run is resumable)."""


def start_paper_run(store: Store, config: RootConfig, request: PaperStartRequest) -> PaperSession:
    """Create a paper run trading ``config``'s ``[trading]`` (with the request's strategy) and
    gated by its ``[signals]``, both stored with the run; ready to :func:`trade`. A
    :class:`DataError` for a series without bars, a :class:`ConfigError` naming a wrong
    strategy or parameter."""
    run_id, cfg = _run_config(store, config, request)
    run = start_paper(
        store,
        run_id=run_id,
        symbol=request.symbol.name,
        timeframe=request.timeframe.value,
        config=cfg.trading,
        start=request.start,
        signals=cfg.signals,
    )
    return PaperSession(run, cfg.trading, cfg.signals)


def resume_paper_run(store: Store, run_id: str) -> PaperSession:
    """Rebuild a stored paper run from its stored ``trading`` and ``signals`` and replay it to
    its last bar; ready to :func:`trade` on. A :class:`NotFoundError` for an unknown run, a
    :class:`ConflictError` when another process trades it, a :class:`RiskLimitError` after
    its drawdown kill-switch."""
    run = resume_paper(store, run_id)
    return PaperSession(run, run.engine.config, run.engine.strategy.gate, run.last)


def trade(
    session: PaperSession,
    *,
    until_idle: bool,
    poll_seconds: float,
    on_bar: OnBar | None = None,
) -> PaperOutcome:
    """Trade the stored bars after the run's last one, then each new bar as it arrives, until
    no new bar comes (``until_idle``) or Ctrl-C (``interrupted``; the run stays resumable). A
    :class:`RunFailedError` when the engine fails on a bar (stored up to it)."""
    run = session.run
    done = 0

    def tick(ts: pd.Timestamp) -> None:
        nonlocal done
        done += 1
        if on_bar is not None:
            on_bar(done, ts)

    interrupted = False
    try:
        run.loop(until_idle=until_idle, poll_seconds=poll_seconds, on_bar=tick)
    except KeyboardInterrupt:
        interrupted = True
    engine = run.engine
    account = engine.broker.account()
    return PaperOutcome(
        run_id=run.run_id,
        bars=done,
        last=run.last,
        state=engine.state.value,
        reason=engine.reason,
        trades=engine.trade_count,
        open_positions=len(engine.broker.positions()),
        equity=account.equity,
        currency=account.currency,
        interrupted=interrupted,
    )


# -- in a server's threads ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class PaperPosition:
    """An open position of a paper run."""

    position_key: str
    symbol: str
    side: str
    units: float
    entry_price: float
    entry_time: str | None
    stop_loss: float | None
    take_profit: float | None
    swap: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PaperPosition:
        """From a snapshot's or the store's position row."""
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperStatus:
    """A paper run: live from its engine when it is in this server, else as stored (see
    :mod:`forex_diffusion.trading.paper_control` for what each field says)."""

    run_id: str
    symbol: str
    timeframe: str
    strategy: str | None
    state: str
    trading: bool
    active: bool
    in_server: bool
    resumable: bool
    resume_blocked: str | None
    reason: str | None
    last_bar: str | None
    bars: int
    trades: int
    currency: str
    balance: float
    equity: float
    margin_used: float
    open_pnl: float
    positions: tuple[PaperPosition, ...]

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> PaperStatus:
        """From a :class:`PaperSupervisor` snapshot."""
        fields = {k: snapshot[k] for k in cls.__dataclass_fields__ if k != "positions"}
        positions = tuple(PaperPosition.from_row(p) for p in snapshot["positions"])
        return cls(**fields, positions=positions)


def start_in_server(
    supervisor: PaperSupervisor, config: RootConfig, request: PaperStartRequest
) -> PaperStatus:
    """Create a paper run as :func:`start_paper_run` does and trade it in a thread of
    ``supervisor``. A :class:`NotFoundError` for a series without bars, a
    :class:`ConflictError` for a run id already in the server, a :class:`ConfigError` naming a
    wrong strategy or parameter."""
    run_id, cfg = _run_config(supervisor.store, config, request)
    return PaperStatus.from_snapshot(
        supervisor.start(
            run_id=run_id,
            symbol=request.symbol.name,
            timeframe=request.timeframe.value,
            config=cfg.trading,
            start=request.start,
            signals=cfg.signals,
        )
    )


def pause_in_server(supervisor: PaperSupervisor, run_id: str) -> PaperStatus:
    """Open no new positions (open ones are still managed); a :class:`ConflictError` when the
    run is not trading in this server."""
    return PaperStatus.from_snapshot(supervisor.pause(run_id))


def resume_in_server(supervisor: PaperSupervisor, run_id: str) -> PaperStatus:
    """Trade again: a paused run resumes, a stopped or crashed stored one is rebuilt from what
    it stored (its gate too) and trades on in a new thread."""
    return PaperStatus.from_snapshot(supervisor.resume(run_id))


def stop_in_server(supervisor: PaperSupervisor, run_id: str) -> PaperStatus:
    """Stop the run after its current bar; it stays resumable."""
    return PaperStatus.from_snapshot(supervisor.stop(run_id))


def server_status(supervisor: PaperSupervisor, run_id: str) -> PaperStatus:
    """A paper run's state: live when it is in this server, else from the store (a
    :class:`NotFoundError` when the store has no such paper run)."""
    return PaperStatus.from_snapshot(supervisor.snapshot(run_id))


def server_runs(supervisor: PaperSupervisor) -> list[PaperStatus]:
    """Every paper run started or resumed in this server."""
    return [PaperStatus.from_snapshot(s) for s in supervisor.list()]
