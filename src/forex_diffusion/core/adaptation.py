"""Adapted trading parameters: what the adaptive parameter system may change, and a deployed
adaptation as the engine reads it.

A fused strategy with ``use_optimized_parameters`` on (``[signals]``, the default) trades with
the newest deployed, validated adaptation for its symbol, timeframe and regime that was made
from bars before the bar it decides on (and, in a walk-forward fold, before the fold's first
test bar): ``threshold`` replaces the gate's threshold, ``stop_multiple`` and
``target_multiple`` scale the signal's stop and target distances, ``size_multiplier`` scales
the size the risk limits allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from forex_diffusion.core.config import GATE_THRESHOLD
from forex_diffusion.core.errors import ConfigError

__all__ = ["PARAMETERS", "Adaptation", "TradingParameters", "newest_adaptation"]

PARAMETERS = ("threshold", "stop_multiple", "target_multiple", "size_multiplier")
"""The parameters an adaptation may change."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingParameters:
    """The parameters the adaptive system may change."""

    threshold: float = GATE_THRESHOLD
    stop_multiple: float = 1.0
    target_multiple: float = 1.0
    size_multiplier: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold must be in [0, 1], got {self.threshold}")
        for name in ("stop_multiple", "target_multiple", "size_multiplier"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")

    def replace(self, name: str, value: float) -> TradingParameters:
        if name not in PARAMETERS:
            known = ", ".join(PARAMETERS)
            raise ConfigError(f"unknown trading parameter {name!r} (one of {known})")
        return TradingParameters(**{**self.as_dict(), name: value})

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in PARAMETERS}

    @classmethod
    def from_dict(
        cls, values: Mapping[str, float], *, where: str = "parameters"
    ) -> TradingParameters:
        unknown = set(values) - set(PARAMETERS)
        if unknown:
            raise ConfigError(f"{where}: unknown trading parameter(s) {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in values.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class Adaptation:
    """A deployed adaptation: its id, series and regime (``None``: every regime), the last bar
    it was made from (``made_until``) and the full parameter set it trades with."""

    adaptation_id: str
    symbol: str
    timeframe: str
    regime: str | None
    made_until: pd.Timestamp
    params: TradingParameters = field(default_factory=TradingParameters)


def newest_adaptation(
    adaptations: Sequence[Adaptation], *, regime: str | None, at: pd.Timestamp
) -> Adaptation | None:
    """The adaptation in force on the bar at ``at`` in ``regime``: among those made from bars
    before ``at``, the newest for that regime, else the newest for every regime (the list is
    in deployment order, oldest first)."""
    usable = [a for a in adaptations if a.made_until < at]
    specific = [a for a in usable if regime is not None and a.regime == regime]
    general = [a for a in usable if a.regime is None]
    found = specific or general
    return found[-1] if found else None
