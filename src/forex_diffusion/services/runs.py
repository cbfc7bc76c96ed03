"""What a stored run did: its record, trades, orders and figures, read from the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from forex_diffusion.backtest.metrics import performance
from forex_diffusion.core.errors import NotFoundError
from forex_diffusion.storage import RunRepository, Store, TradingRepository

__all__ = ["RunDetails", "run_details"]


@dataclass(frozen=True, slots=True)
class RunDetails:
    """A stored run: its record's columns, its trades and orders, the figures it was stored
    with (``stored``), its trading figures (``figures``: recomputed from its stored bars, or
    as stored for a run kept without its bars; empty when it has none) and both together with
    the trade counts per source and exit reason (``metrics``)."""

    run_id: str
    kind: str
    status: str
    symbol: str | None
    timeframe: str | None
    strategy: str | None
    last_bar_ts: int | None
    error: str | None
    config: dict[str, Any]
    stored: dict[str, Any]
    figures: dict[str, Any]
    metrics: dict[str, Any]
    trades: pd.DataFrame
    orders: list[dict[str, Any]]

    @property
    def symbols(self) -> list[str]:
        """The run's symbol, or a sweep's symbols (stored without one when several)."""
        return [self.symbol] if self.symbol else list(self.config.get("symbols") or [])

    @property
    def is_sweep(self) -> bool:
        """A sweep: its backtests are runs of their own, ranked in ``stored["results"]``."""
        return "results" in self.stored


def run_details(store: Store, run_id: str) -> RunDetails:
    """A stored run's details (see :class:`RunDetails`); :class:`NotFoundError` for an
    unknown id."""
    run = RunRepository(store).get(run_id)
    if run is None:
        raise NotFoundError(f"no run {run_id!r} in the store (see `fxd runs list`)")
    repo = TradingRepository(store)
    trades, equity = repo.trades(run_id), repo.equity(run_id)
    config = run["config"] or {}
    initial = float(
        (config.get("trading") or {}).get("broker", {}).get("initial_balance")
        or (equity["balance"].iloc[0] if len(equity) else 0.0)
        or 1.0
    )
    stored = run["metrics"] or {}
    # recomputed from the stored bars; a run stored without its bars (a sweep's backtests)
    # shows the figures it was stored with
    figures = (
        performance(equity["equity"], trades, initial=initial)
        if len(equity)
        else dict(stored.get("metrics") or {})
    )
    metrics: dict[str, Any] = {
        **stored,
        **figures,
        "trades_by_source": {str(k): int(v) for k, v in trades["source"].value_counts().items()},
        "exit_reasons": {str(k): int(v) for k, v in trades["exit_reason"].value_counts().items()},
    }
    return RunDetails(
        run_id=run_id,
        kind=run["kind"],
        status=run["status"],
        symbol=run["symbol"],
        timeframe=run["timeframe"],
        strategy=run["strategy"],
        last_bar_ts=run["last_bar_ts"],
        error=run["error"],
        config=config,
        stored=stored,
        figures=figures,
        metrics=metrics,
        trades=trades,
        orders=repo.orders(run_id),
    )
