"""Where a strategy finds the adapted parameters it trades with (``use_optimized_parameters``).

:class:`FixedAdaptations` holds deployed adaptations loaded before a run (a backtest, a
walk-forward fold given only those made before its first test bar): picklable, no database in
a worker. :class:`StoredAdaptations` asks the store on every bar, so a paper run picks up a
deployment at its next bar. Both answer with :func:`~forex_diffusion.core.adaptation.
newest_adaptation`: made from earlier bars, the bar's regime first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pandas as pd

from forex_diffusion.core.adaptation import Adaptation, newest_adaptation
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage import Store
from forex_diffusion.storage.repositories.adaptations import AdaptationRepository

__all__ = ["AdaptationSource", "FixedAdaptations", "StoredAdaptations"]


class AdaptationSource(Protocol):
    """The adaptation in force for a series' bar at ``ts`` in ``regime`` (``None``: trade
    the configured parameters)."""

    def at(
        self, symbol: str, timeframe: str, *, regime: str | None, ts: pd.Timestamp
    ) -> Adaptation | None: ...


class FixedAdaptations:
    """Adaptations loaded before the run (deployment order, oldest first)."""

    def __init__(self, adaptations: Sequence[Adaptation]) -> None:
        self.adaptations = tuple(adaptations)

    def at(
        self, symbol: str, timeframe: str, *, regime: str | None, ts: pd.Timestamp
    ) -> Adaptation | None:
        mine = [a for a in self.adaptations if a.symbol == symbol and a.timeframe == timeframe]
        return newest_adaptation(mine, regime=regime, at=ts)


class StoredAdaptations:
    """The store's deployed adaptations, read again on every bar."""

    def __init__(self, store: Store) -> None:
        self.repository = AdaptationRepository(store)

    def at(
        self, symbol: str, timeframe: str, *, regime: str | None, ts: pd.Timestamp
    ) -> Adaptation | None:
        found = self.repository.deployed(Symbol.parse(symbol), Timeframe.parse(timeframe))
        return newest_adaptation(found, regime=regime, at=ts)
