"""Statistics of stored signal decisions: what the gate saw, what it passed, and whether the
passed signals did better than the rejected ones afterwards.

Hit rates use :func:`~forex_diffusion.intelligence.outcomes.signal_outcomes` (the close at
expiry beyond the entry by more than the spread). The expectancy is the mean result, in units of
the initial risk (R: entry to stop), of the trade each signal describes: in at the entry, out at
the target, the stop or the expiry bar's close, the spread paid once. Under a driftless price it
is about minus the spread over the risk whatever the target and stop, so, unlike the
target-first rate, it does not favour a group for where it puts its target; ``spread_cost_r``
(the mean spread over the risk) shows how much of a difference comes from wider stops paying
less spread per unit of risk rather than from direction.

Passed and rejected signals are compared with a bootstrap over decision days (UTC): signals
decided on the same day overlap in time and share their outcome, so they are resampled together.
Treating thousands of overlapping signals as independent (a two-proportion z-test) halves the
standard error on an H1 study and reads noise as skill. Each comparison reports the difference,
the one-sided p-value (H1: passed do better) and the smallest true difference the test would
detect four times in five at the 5 % level.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.intelligence.outcomes import signal_outcomes
from forex_diffusion.intelligence.signal_quality_scorer import DIMENSIONS

__all__ = ["cluster_comparison", "signal_statistics"]

RESAMPLES = 2000
MIN_CLUSTERS = 10
_DETECTABLE = NormalDist().inv_cdf(0.95) + NormalDist().inv_cdf(0.80)


def _rate(values: np.ndarray) -> float | None:
    known = values[~np.isnan(values)]
    return float(known.mean()) if len(known) else None


def _group(
    hits: np.ndarray, first: np.ndarray, r: np.ndarray, cost: np.ndarray, mask: np.ndarray
) -> dict[str, Any]:
    known = mask & ~np.isnan(r)
    return {
        "count": int(mask.sum()),
        "resolved": int((~np.isnan(hits[mask])).sum()),
        "hit_rate": _rate(hits[mask]),
        "target_first_rate": _rate(first[mask]),
        "expectancy_r": _rate(r[mask]),
        "spread_cost_r": _rate(cost[known]),
    }


def cluster_comparison(
    values: np.ndarray,
    passed: np.ndarray,
    clusters: np.ndarray,
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, float] | None:
    """Mean of ``values`` where ``passed`` minus the mean elsewhere, with a one-sided p-value
    (H1: passed higher) and the detectable difference (80 % power at 5 %) from a bootstrap
    that resamples whole ``clusters`` with replacement. NaN values are unknown outcomes and
    left out. None when either group is empty or there are fewer than ``MIN_CLUSTERS``
    clusters (the bootstrap would say nothing)."""
    known = ~np.isnan(values)
    v, p = values[known], passed[known].astype(bool)
    if not p.any() or p.all():
        return None
    codes, uniques = pd.factorize(clusters[known])
    n = len(uniques)
    if n < MIN_CLUSTERS:
        return None
    sums = np.stack([np.bincount(codes, v * p, n), np.bincount(codes, v * ~p, n)])
    counts = np.stack([np.bincount(codes, 1.0 * p, n), np.bincount(codes, 1.0 * ~p, n)])
    observed = float(sums[0].sum() / counts[0].sum() - sums[1].sum() / counts[1].sum())
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=resamples)
    s, c = weights @ sums.T, weights @ counts.T
    ok = (c > 0).all(axis=1)
    diff = s[ok, 0] / c[ok, 0] - s[ok, 1] / c[ok, 1]
    se = float(diff.std(ddof=1))
    # centred bootstrap: the resampled differences around the observed one stand in for the
    # difference's distribution when passed and rejected do equally well
    p_value = float((np.sum(diff - observed >= observed) + 1) / (len(diff) + 1))
    return {
        "difference": observed,
        "p_value": p_value,
        "standard_error": se,
        "detectable_difference": _DETECTABLE * se,
    }


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
    entry, stop = signals["entry_price"].to_numpy(float), signals["stop_price"].to_numpy(float)
    sign = np.where(signals["direction"].to_numpy() == "bull", 1.0, -1.0)
    risk = np.abs(entry - stop)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(
            risk > 0, (sign * (out["exit_price"].to_numpy() - entry) - spread) / risk, np.nan
        )
        cost = np.where(risk > 0, spread / risk, np.nan)
    groups = {
        "passed": _group(hits, first, r, cost, passed),
        "rejected": _group(hits, first, r, cost, ~passed),
        "selected": _group(hits, first, r, cost, selected),
        "all": _group(hits, first, r, cost, np.ones(len(passed), bool)),
    }
    sources = signals["source"].to_numpy()
    by_source = {
        str(src): {
            "passed": _group(hits, first, r, cost, passed & (sources == src)),
            "rejected": _group(hits, first, r, cost, ~passed & (sources == src)),
        }
        for src in sorted(set(sources.tolist()))
    }
    days = pd.DatetimeIndex(signals["ts"]).floor("D").to_numpy()
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
        "comparison": {
            "clusters": len(np.unique(days)),
            "cluster": "decision day (UTC)",
            "hit_rate": cluster_comparison(hits, passed, days),
            "expectancy_r": cluster_comparison(r, passed, days),
        },
        "comparison_by_source": {
            str(src): {
                "hit_rate": cluster_comparison(hits[mine], passed[mine], days[mine]),
                "expectancy_r": cluster_comparison(r[mine], passed[mine], days[mine]),
            }
            for src in sorted(set(sources.tolist()))
            for mine in [sources == src]
        },
    }
