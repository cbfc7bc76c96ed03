"""What a strategy is: typed parameters, a warm-up, and an ``on_bar`` hook returning intents.

A strategy never sees a bar after the one it is called on: :class:`BarView` holds the closed
bars up to now. It says *what* it wants (:class:`Intent`: long, short or flat, with a stop and
target); the engine sizes, checks risk, and sends orders that fill at the next bar's open.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from forex_diffusion.core.base_config import FrozenModel
from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.events import FusedSignal, Position
from forex_diffusion.core.registry import Registry
from forex_diffusion.trading.adaptations import AdaptationSource
from forex_diffusion.trading.broker import Account
from forex_diffusion.trading.costs import CostModel
from forex_diffusion.trading.strategies.params import ParamInfo, describe_params, validate_params

__all__ = [
    "NOTHING",
    "STRATEGIES",
    "BarView",
    "Decision",
    "Intent",
    "Rules",
    "Strategy",
    "StrategyParams",
    "check_strategy",
    "make_strategy",
    "strategy_parameters",
    "strategy_summary",
]


class StrategyParams(FrozenModel):
    """Base of a strategy's parameters (frozen, unknown names rejected)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """What a strategy wants on ``symbol``: be ``long``, ``short`` or ``flat``.

    Going long closes any short first (a reversal); an intent for the side already held does
    nothing. ``units`` fixes the size; without it the engine sizes from ``stop``.
    """

    symbol: str
    direction: Literal["long", "short", "flat"]
    stop: float | None = None
    target: float | None = None
    units: float | None = None
    trailing_pips: float | None = None
    time_stop_bars: int | None = None
    source: str = "strategy"
    signal: FusedSignal | None = None
    size_multiplier: float = 1.0
    """Scales the size the risk limits allow (an adapted ``size_multiplier``)."""
    win_probability: float | None = None
    """The calibrated probability that the target is reached first (Kelly sizing)."""
    payoff: float | None = None
    """Mean win over mean loss, in R after costs (Kelly sizing)."""
    volatility_ratio: float | None = None
    """Median ATR over the current ATR (``volatility_adjusted`` sizing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What a strategy decided on one closed bar: its ``intents`` (empty: nothing to do) and
    the signals it ``scored`` on the bar with the gate's verdict (``True``: passed), which the
    engine stores with the bar whether or not they traded."""

    intents: tuple[Intent, ...] = ()
    scored: tuple[tuple[FusedSignal, bool], ...] = ()

    @classmethod
    def of(cls, *intents: Intent) -> Decision:
        """A decision of these intents, no signals scored."""
        return cls(intents=intents)


NOTHING = Decision()
"""The decision to do nothing."""


@dataclass(frozen=True, slots=True)
class Rules:
    """A strategy's decisions over a whole series at once, for the compiled backtest.

    Element ``t`` of each array is computed from bars ``0..t`` only. On bar ``t`` the strategy
    wants ``long`` when ``go_long[t]`` and it is not long, else ``short`` when ``go_short[t]``
    and it is not short, else ``flat`` when it is long and ``exit_long[t]`` or short and
    ``exit_short[t]``; every position has ``units`` and no stop, target or trailing stop.
    This must equal what :meth:`Strategy.on_bar` returns bar by bar (tested per strategy).
    """

    go_long: np.ndarray
    go_short: np.ndarray
    exit_long: np.ndarray
    exit_short: np.ndarray
    units: float
    source: str


class BarView:
    """What a strategy sees on a closed bar: the closed bars up to it, the positions on the
    symbol and the account.

    ``candles`` is the candle frame (built on first use when the engine hands arrays);
    :meth:`column` gives one column as a NumPy array without building it, the fast way for
    strategies that only need prices.
    """

    __slots__ = ("_arrays", "_candles", "_make", "account", "positions", "symbol", "timeframe")

    def __init__(
        self,
        symbol: str,
        timeframe: str,
        candles: pd.DataFrame | Callable[[], pd.DataFrame],
        positions: Sequence[Position],
        account: Account,
        *,
        arrays: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.symbol, self.timeframe = symbol, timeframe
        self.positions, self.account = positions, account
        self._candles = candles if isinstance(candles, pd.DataFrame) else None
        self._make = None if isinstance(candles, pd.DataFrame) else candles
        self._arrays = arrays

    @property
    def candles(self) -> pd.DataFrame:
        """The closed bars up to this one (open time index, OHLCV columns)."""
        if self._candles is None:
            assert self._make is not None
            self._candles = self._make()
        return self._candles

    def column(self, name: str) -> np.ndarray:
        """One column of :attr:`candles` as floats (``open``, ``high``, ``low``, ``close``,
        ``volume``)."""
        if self._arrays is not None:
            return self._arrays[name]
        return self.candles[name].to_numpy(float)

    def __len__(self) -> int:
        return len(self.column("close"))

    @property
    def side(self) -> str | None:
        """``long``/``short`` when positions on the symbol are all one way, else ``None``."""
        sides = {p.side for p in self.positions}
        return sides.pop() if len(sides) == 1 else None

    @property
    def close(self) -> float:
        """The close of the bar being decided on."""
        return float(self.column("close")[-1])


class Strategy(ABC):
    """A trading strategy; subclasses set ``name``, ``Params`` and implement :meth:`on_bar`."""

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams

    def __init__(
        self,
        params: StrategyParams | Mapping[str, Any] | None = None,
        *,
        signals: SignalsConfig | None = None,
    ) -> None:
        self.gate = signals or SignalsConfig()
        """The fusion and quality gate configuration (``[signals]``) of strategies that fuse
        signals; the root config's section in every run."""
        self.adaptations: AdaptationSource | None = None
        """Where adapted parameters come from (set by the run when ``[signals]
        use_optimized_parameters`` is on); strategies that fuse signals read it per bar."""
        self.adaptations_used: dict[str, int] = {}
        """Adaptation id -> bars decided with it (stored with the run)."""
        self.costs: CostModel | None = None
        """The broker's costs (the engine sets them): what strategies that value their plans
        charge them."""
        self.run_id = ""
        """The run this strategy trades in (the engine sets it): part of its signals' ids."""
        if isinstance(params, StrategyParams):
            self.params = params
        else:
            self.params = validate_params(self.name, self.Params, params)

    @property
    def warmup(self) -> int:
        """Bars needed before the first decision."""
        return 1

    def start(self, symbol: str, timeframe: str) -> None:  # noqa: B027 (optional hook)
        """Called once per series before its first bar (fit models here, causally)."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release what the strategy holds outside this process (the engine calls it when it
        stops)."""

    def signal_errors(self) -> dict[str, int]:
        """Handled failures so far, by signal source: a source that raised an expected
        error and was skipped, a forecast that timed out (results and reports show them)."""
        return {}

    def decision_summary(self) -> dict[str, Any]:
        """How the strategy decided over the run (results and reports show it); empty for
        strategies without candidates."""
        return {}

    @abstractmethod
    def on_bar(self, view: BarView) -> Decision:
        """The decision on this closed bar: its intents and the signals scored."""

    def rules(self, columns: Mapping[str, np.ndarray]) -> Rules | None:
        """The decisions of :meth:`on_bar` over whole columns (``open`` ... ``close``) as
        :class:`Rules`, or ``None`` when they cannot be written that way with these
        parameters (the backtest then runs bar by bar)."""
        return None


STRATEGIES: Registry[type[Strategy]] = Registry("strategy")


def make_strategy(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    signals: SignalsConfig | None = None,
) -> Strategy:
    """A registered strategy by name with its parameters checked; ``signals``: the
    ``[signals]`` section of the run's config (the gate of strategies that fuse signals)."""
    return STRATEGIES.get(name)(params, signals=signals)


def check_strategy(name: str, params: Mapping[str, Any] | None = None) -> StrategyParams:
    """The parameters of a registered strategy, checked as :func:`make_strategy` checks them,
    without building the strategy."""
    return validate_params(name, STRATEGIES.get(name).Params, params)


def strategy_parameters(name: str) -> list[ParamInfo]:
    """The parameters of a registered strategy: name, type, default, bounds, description."""
    return describe_params(STRATEGIES.get(name).Params)


def strategy_summary(name: str) -> str:
    """The first paragraph of a registered strategy's docstring, on one line."""
    doc = inspect.getdoc(STRATEGIES.get(name)) or ""
    return " ".join(doc.split("\n\n")[0].split()).replace("``", "`")
