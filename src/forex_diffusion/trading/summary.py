"""The headline figures of a trading run, from its trades and equity curve."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["run_metrics"]


def run_metrics(trades: pd.DataFrame, equity: pd.Series, *, initial: float) -> dict[str, Any]:
    """Trade count, win rate, net P&L, profit factor, costs, max drawdown and final equity.

    ``trades``: the ``TradingRepository.trades`` frame; ``equity``: equity per bar.
    Profit factor is gross profit over gross loss (``None`` without a losing trade).
    """
    pnl = trades["pnl"].to_numpy(float) if len(trades) else np.zeros(0)
    wins, losses = pnl[pnl > 0].sum(), -pnl[pnl < 0].sum()
    curve = np.r_[initial, equity.to_numpy(float)]
    peak = np.maximum.accumulate(curve)
    drawdown = float(((peak - curve) / peak).max())
    return {
        "trades": len(pnl),
        "win_rate": float((pnl > 0).mean()) if len(pnl) else None,
        "net_pnl": float(pnl.sum()),
        "profit_factor": float(wins / losses) if losses > 0 else None,
        "costs": {
            c: float(trades[c].sum()) if len(trades) else 0.0
            for c in ("commission", "swap", "spread_cost", "slippage_cost")
        },
        "max_drawdown": drawdown,
        "final_equity": float(curve[-1]),
        "return": float(curve[-1] / initial - 1),
        "trades_by_source": {
            str(k): int(v) for k, v in trades["source"].fillna("-").value_counts().items()
        }
        if len(trades)
        else {},
        "exit_reasons": {str(k): int(v) for k, v in trades["exit_reason"].value_counts().items()}
        if len(trades)
        else {},
    }
