"""Statistics of stored signal decisions: what the gate saw, what it passed, and whether the
passed signals did better than the rejected ones afterwards.

Hit rates use :func:`~forex_diffusion.intelligence.outcomes.signal_outcomes` (the close at
expiry beyond the entry by more than the spread). The comparison of passed and rejected signals
comes with a one-sided two-proportion z-test (H1: passed hit more often), so a difference of a
few points on a few hundred signals is not read as skill.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.intelligence.outcomes import signal_outcomes
from forex_diffusion.intelligence.signal_quality_scorer import DIMENSIONS

__all__ = ["signal_statistics"]


def _rate(values: np.ndarray) -> float | None:
    known = values[~np.isnan(values)]
    return float(known.mean()) if len(known) else None


def _group(hits: np.ndarray, first: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
    return {
        "count": int(mask.sum()),
        "resolved": int((~np.isnan(hits[mask])).sum()),
        "hit_rate": _rate(hits[mask]),
        "target_first_rate": _rate(first[mask]),
    }


def _one_sided_p(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    n1, n2 = a["resolved"], b["resolved"]
    if not n1 or not n2 or a["hit_rate"] is None or b["hit_rate"] is None:
        return None
    pooled = (a["hit_rate"] * n1 + b["hit_rate"] * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    return float(1.0 - NormalDist().cdf((a["hit_rate"] - b["hit_rate"]) / se))


def signal_statistics(
    signals: pd.DataFrame, candles: pd.DataFrame, *, spread: float
) -> dict[str, Any]:
    """The statistics of stored decisions (``FusedSignalRepository.load`` frame) on their
    candles: per-dimension distribution, pass rate per source and per pattern family, and hit
    rates of passed versus rejected signals with the p-value of the difference."""
    if signals.empty:
        return {"count": 0, "dimensions": {}, "pass_rate_by_source": {}, "hit_rates": {}}
    meta = signals["metadata"]
    family = np.array(
        [
            m.get("family", s) if s == "pattern" else s
            for m, s in zip(meta, signals["source"], strict=True)
        ]
    )
    passed = signals["passed"].to_numpy(bool)
    selected = np.array([bool(m.get("selected", p)) for m, p in zip(meta, passed, strict=True)])
    out = signal_outcomes(
        candles,
        decided_at=pd.DatetimeIndex(signals["ts"]),
        direction=signals["direction"].to_numpy(),
        entry=signals["entry_price"].to_numpy(float),
        target=signals["target_price"].to_numpy(float),
        stop=signals["stop_price"].to_numpy(float),
        valid_until=pd.DatetimeIndex(signals["valid_until"]),
        spread=spread,
    )
    hits, first = out["direction_hit"].to_numpy(), out["target_first"].to_numpy()
    groups = {
        "passed": _group(hits, first, passed),
        "rejected": _group(hits, first, ~passed),
        "selected": _group(hits, first, selected),
        "all": _group(hits, first, np.ones(len(passed), bool)),
    }
    by_source = {
        str(src): {
            "passed": _group(hits, first, passed & (signals["source"] == src).to_numpy()),
            "rejected": _group(hits, first, ~passed & (signals["source"] == src).to_numpy()),
        }
        for src in sorted(signals["source"].unique())
    }
    return {
        "count": len(signals),
        "first_signal": signals["ts"].min().isoformat(),
        "last_signal": signals["ts"].max().isoformat(),
        "pass_rate": float(passed.mean()),
        "dimensions": {
            d: {
                "mean": float(signals[d].mean()),
                "std": float(signals[d].std(ddof=0)),
                "min": float(signals[d].min()),
                "max": float(signals[d].max()),
            }
            for d in (*DIMENSIONS, "composite")
        },
        "count_by_source": {k: int(v) for k, v in signals["source"].value_counts().items()},
        "pass_rate_by_source": {
            str(k): float(v) for k, v in signals.groupby("source")["passed"].mean().items()
        },
        "pass_rate_by_family": {
            str(k): float(passed[family == k].mean()) for k in sorted(set(family.tolist()))
        },
        "hit_rates": groups,
        "hit_rates_by_source": by_source,
        "passed_minus_rejected": (
            None
            if groups["passed"]["hit_rate"] is None or groups["rejected"]["hit_rate"] is None
            else groups["passed"]["hit_rate"] - groups["rejected"]["hit_rate"]
        ),
        "p_value_passed_better": _one_sided_p(groups["passed"], groups["rejected"]),
    }
