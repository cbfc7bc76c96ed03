"""Replay stored signals on their candles under a set of trading parameters.

The adaptive parameter system validates a proposed change by replaying the recent signals with
the old and the new value. A signal is traded when its composite clears ``threshold``; its stop
and target sit at ``stop_multiple`` / ``target_multiple`` times their original distance from the
entry; the trade exits at the first of target, stop (a bar touching both exits at the stop) or
the close of its expiry bar, pays ``spread`` once and is sized by ``size_multiplier``. The
result is the list of trades in pips, so two parameter sets can be compared trade by trade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.adaptation import TradingParameters
from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.intelligence.outcomes import signal_outcomes

__all__ = ["ReplayResult", "TradingParameters", "replay_signals"]


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Trades of a replay: which signals traded and their P&L in pips (sized)."""

    signal_ids: tuple[str, ...]
    pnl_pips: np.ndarray

    @property
    def total(self) -> float:
        return float(self.pnl_pips.sum())

    @property
    def expectancy(self) -> float:
        return float(self.pnl_pips.mean()) if len(self.pnl_pips) else 0.0

    def same_as(self, other: ReplayResult) -> bool:
        """Whether two replays made the same trades with the same results."""
        return self.signal_ids == other.signal_ids and bool(
            np.allclose(self.pnl_pips, other.pnl_pips, rtol=0, atol=1e-9)
        )


def replay_signals(
    signals: pd.DataFrame,
    candles: pd.DataFrame,
    params: TradingParameters,
    *,
    symbol: str,
    spread_pips: float = 1.0,
) -> ReplayResult:
    """Replay ``signals`` (columns ``signal_id, direction, composite, entry_price,
    target_price, stop_price, ts, valid_until`` as stored by the fusion) on ``candles``."""
    pip = get_instrument(symbol).pip_size
    take = signals[signals["composite"].to_numpy(float) >= params.threshold]
    entry = take["entry_price"].to_numpy(float)
    out = signal_outcomes(
        candles,
        decided_at=pd.DatetimeIndex(take["ts"]),
        direction=take["direction"].to_numpy(),
        entry=entry,
        target=entry + params.target_multiple * (take["target_price"].to_numpy(float) - entry),
        stop=entry + params.stop_multiple * (take["stop_price"].to_numpy(float) - entry),
        valid_until=pd.DatetimeIndex(take["valid_until"]),
    )
    done = out["exit_price"].notna().to_numpy()
    sign = np.where(take["direction"].to_numpy() == "bull", 1.0, -1.0)
    pips = sign * (out["exit_price"].to_numpy() - entry) / pip - spread_pips
    ids = tuple(str(v) for v in take["signal_id"].to_numpy()[done])
    return ReplayResult(ids, pips[done] * params.size_multiplier)
