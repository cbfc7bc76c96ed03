"""Rolling-origin evaluation of forecasters against the baselines, on held-out bars only.

Protocol ``rolling`` (EURUSD H1 sample): the first 80 % of bars fit the models (the diffusion
model validates on the last eighth of that, i.e. 70 % train / 10 % validation), the last 20 %
are the test: forecasts from every ``step``-th origin whose future is fully inside the data.
Nothing is tuned on the test origins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.base import Predictor
from forex_diffusion.forecast.baselines import BASELINE_NAMES
from forex_diffusion.forecast.metrics import (
    DEFAULT_LEVELS,
    coverage,
    crps_samples,
    diebold_mariano,
    direction_hit_rate,
    weighted_quantile_loss,
)

__all__ = ["RollingSplit", "evaluate_forecasts", "rolling_split", "verdict"]

INTERVALS = (0.5, 0.8, 0.95)
REFERENCE = "random_walk"


@dataclass(frozen=True, slots=True)
class RollingSplit:
    """Where fitting ends and which bar positions are test origins."""

    fit_end: int  # bars [0, fit_end) fit the models
    origins: np.ndarray


def rolling_split(
    n_bars: int, *, horizon: int, test_fraction: float = 0.2, step: int = 6
) -> RollingSplit:
    """The split of the ``rolling`` protocol."""
    fit_end = round(n_bars * (1 - test_fraction))
    origins = np.arange(fit_end, n_bars - horizon, step)
    if fit_end < 500 or len(origins) < 10:
        raise DataError(
            f"{n_bars} bars are too few for a rolling evaluation "
            f"(need 500 to fit and 10 test origins)"
        )
    return RollingSplit(fit_end=fit_end, origins=origins)


def evaluate_forecasts(
    candles: pd.DataFrame,
    predictors: Mapping[str, Predictor],
    origins: np.ndarray,
    *,
    num_samples: int = 100,
    seed: int = 0,
    on_model: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per model and horizon: CRPS (price, sample form), WQL, coverage of the 50/80/95 %
    central intervals, direction hit rate of the median, and the Diebold-Mariano p-value of the
    per-origin CRPS against the random walk (negative statistic: better than the walk)."""
    close = candles["close"].to_numpy(float)
    forecasts: dict[str, list[Forecast]] = {}
    for name, predictor in predictors.items():
        if on_model is not None:
            on_model(name)
        forecasts[name] = predictor.predict_batch(
            candles, origins.tolist(), num_samples=num_samples, seed=seed
        )
    horizons = next(iter(forecasts.values()))[0].horizons
    step = int(np.median(np.diff(origins))) if len(origins) > 1 else 1
    per_origin: dict[tuple[str, int], np.ndarray] = {}
    rows: list[dict[str, object]] = []
    for name, fcs in forecasts.items():
        for i, h in enumerate(horizons):
            y = close[origins + h]
            samples = np.stack([f.samples[:, i] for f in fcs if f.samples is not None], axis=1)
            crps = crps_samples(samples, y)
            per_origin[(name, h)] = crps
            row = {
                "model": name,
                "horizon": h,
                "crps": float(crps.mean()),
                "wql": weighted_quantile_loss(
                    np.stack(
                        [np.interp(DEFAULT_LEVELS, f.quantile_levels, f.quantiles[i]) for f in fcs]
                    ),
                    y,
                    DEFAULT_LEVELS,
                ),
                "hit_rate": direction_hit_rate(
                    [f.origin_price for f in fcs], [f.median(h) for f in fcs], y
                ),
                "origins": len(origins),
            }
            for level in INTERVALS:
                lo = np.quantile(samples, (1 - level) / 2, axis=0)
                hi = np.quantile(samples, (1 + level) / 2, axis=0)
                row[f"coverage_{int(level * 100)}"] = coverage(y, lo, hi)
            rows.append(row)
    table = pd.DataFrame(rows)
    p_values = []
    for model, horizon in zip(table["model"].tolist(), table["horizon"].tolist(), strict=True):
        if model == REFERENCE or (REFERENCE, horizon) not in per_origin:
            p_values.append(math.nan)
            continue
        lags = max(1, math.ceil(int(horizon) / step))
        _, p = diebold_mariano(
            per_origin[(model, horizon)], per_origin[(REFERENCE, horizon)], horizon=lags
        )
        p_values.append(p)
    table["dm_p_vs_rw"] = p_values
    best = table.groupby("horizon")["crps"].transform("min")
    table["best"] = table["crps"] == best
    return table


def verdict(
    table: pd.DataFrame, *, model: str, baselines: Sequence[str] = BASELINE_NAMES
) -> list[str]:
    """One line per horizon: is ``model`` at or below the best baseline, or how far behind;
    and the coverage of its 80 % interval (rows of :func:`evaluate_forecasts`)."""
    lines = []
    for horizon, rows in table.groupby("horizon", sort=True):
        mine = rows[rows["model"] == model]
        others = rows[rows["model"].isin(baselines)]
        if mine.empty or others.empty:
            continue
        best = others.iloc[int(np.argmin(others["crps"].to_numpy(float)))]
        crps, p = float(mine["crps"].iloc[0]), float(mine["dm_p_vs_rw"].iloc[0])
        gap = crps / float(best["crps"]) - 1
        where = (
            f"at or below the best baseline ({best['model']}, {gap:+.1%})"
            if gap <= 0
            else f"behind the best baseline {best['model']} by {gap:.1%}"
        )
        lines.append(
            f"h={horizon}: {model} {where}; DM p vs RW {'-' if p != p else f'{p:.3f}'}; "
            f"80 % coverage {float(mine['coverage_80'].iloc[0]):.3f}"
        )
    return lines
