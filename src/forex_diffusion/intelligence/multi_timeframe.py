"""Multi-timeframe agreement: do the higher timeframes' trends agree with a signal?

Each higher timeframe votes with the sign of (fast EMA - slow EMA) on its *closed* bars, joined
to the base bars by :func:`~forex_diffusion.features.indicator_pipeline.build_features` (a higher
bar counts only from the base bar whose close ends it). A timeframe without enough history
abstains (counts as 0.5). The bull agreement is the mean vote mapped to [0, 1]; a bear signal's
agreement is one minus it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forex_diffusion.core.types import Timeframe
from forex_diffusion.features.indicator_pipeline import build_features

__all__ = ["mtf_agreement", "mtf_bull_agreement"]


def mtf_bull_agreement(
    candles: pd.DataFrame,
    *,
    timeframe: Timeframe | str,
    higher: Sequence[Timeframe | str] = ("H4", "D1"),
    fast: int = 10,
    slow: int = 30,
) -> pd.Series:
    """Per base bar: the share of higher timeframes trending up (0.5 where they abstain)."""
    specs = {tf: [f"ema_{fast}", f"ema_{slow}"] for tf in higher}
    frame = build_features(
        candles,
        timeframe=timeframe,
        indicators=[],
        higher=specs,
        calendar=False,
        returns=(),
        volatility=(),
    )
    votes = []
    for tf in higher:
        tag = Timeframe.parse(tf).value.lower()
        diff = (frame[f"ema_{tag}_{fast}"] - frame[f"ema_{tag}_{slow}"]).to_numpy()
        votes.append(np.where(np.isnan(diff), 0.0, np.sign(diff)))
    share = (np.mean(votes, axis=0) + 1.0) / 2.0
    return pd.Series(share, index=candles.index, name="mtf_bull_agreement")


def mtf_agreement(bull_agreement: float, direction: str) -> float:
    """The ``mtf_agreement`` dimension of a signal in ``direction`` (bull or bear)."""
    return float(bull_agreement if direction == "bull" else 1.0 - bull_agreement)
