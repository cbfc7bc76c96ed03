"""Correlated exposure: rolling correlations between pairs and the ``correlation_safety``
dimension.

A new EURUSD long next to an open GBPUSD long adds most of a second bet on the dollar; next to a
USDCHF long it mostly hedges. ``correlation_safety`` is one minus the correlated exposure the
new position would add: the sum over open positions of ``max(0, rho * side_open * side_new)``
(hedges do not subtract), a second position on the same pair and side counting fully.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.types import Symbol

__all__ = ["correlation_safety", "rolling_correlations"]


def rolling_correlations(
    closes: Mapping[str, pd.Series], *, window: int = 240, at: pd.Timestamp | None = None
) -> dict[tuple[str, str], float]:
    """Correlation of log returns of every pair of symbols over the last ``window`` common bars
    at or before ``at`` (default: the newest common bar). Pairs with too little overlap are
    left out (read as uncorrelated)."""
    if window < 10:
        raise DataError(f"correlation window must be at least 10 bars, got {window}")
    frame = pd.DataFrame({Symbol.parse(k).name: v for k, v in closes.items()}).sort_index()
    if at is not None:
        frame = frame.loc[:at]
    returns = pd.DataFrame(
        np.log(frame.to_numpy(float)), index=frame.index, columns=frame.columns
    ).diff()
    out: dict[tuple[str, str], float] = {}
    names = list(returns.columns)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = returns[[a, b]].dropna().tail(window)
            if len(both) < window // 2:
                continue
            rho = float(np.corrcoef(both[a], both[b])[0, 1])
            if np.isfinite(rho):
                out[(a, b)] = rho
    return out


def correlation_safety(
    direction: str,
    symbol: str,
    open_positions: Mapping[str, int],
    correlations: Mapping[tuple[str, str], float],
) -> float:
    """1 minus the correlated exposure a new position would add.

    ``open_positions`` maps symbol -> +1 (long) / -1 (short) (net side per pair);
    ``correlations`` holds return correlations keyed by either order of the two symbols.
    """
    sign = 1 if direction == "bull" else -1
    exposure = 0.0
    for other, side in open_positions.items():
        if other == symbol:
            exposure += 1.0 if side == sign else 0.0
            continue
        rho = correlations.get((symbol, other), correlations.get((other, symbol), 0.0))
        exposure += max(0.0, rho * side * sign)
    return float(np.clip(1.0 - exposure, 0.0, 1.0))
