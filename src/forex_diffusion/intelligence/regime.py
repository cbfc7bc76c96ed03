"""Market regime detection: a Gaussian mixture on causal, pair-relative features.

Features per bar (only bars <= t): the 24-bar move in units of ATR x sqrt(24) (trend), and the
log ratio of 24-bar to 720-bar realised volatility (volatility regime). Both are relative to the
pair's own volatility, so no threshold is absolute. The mixture is fitted once on a training
span; each component is named by its mean: ``volatile`` if its volatility ratio exceeds
log(1.4), else ``trending_up``/``trending_down`` if its trend is beyond +-1 (a move larger than
a random walk's typical one), else ``ranging``. The confidence of a bar is the posterior
probability of its regime (summed over the components that share the name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import DataError
from forex_diffusion.features.consolidated_indicators import calculate_indicators
from forex_diffusion.features.kernels import rolling_std

__all__ = ["REGIMES", "RegimeDetector", "regime_features"]

REGIMES = ("trending_up", "trending_down", "ranging", "volatile")
TREND_BARS, SHORT_VOL, LONG_VOL = 24, 24, 720
TREND_LEVEL = 1.0  # a move beyond 1 ATR x sqrt(n): more than a random walk's typical move
VOLATILE_LEVEL = float(np.log(1.4))  # short-term volatility 40 % above its own reference


def regime_features(candles: pd.DataFrame) -> np.ndarray:
    """``(bars, 2)``: normalised trend and log volatility ratio; NaN until both exist."""
    close = candles["close"].to_numpy(float)
    atr = calculate_indicators(candles, {"atr": {"period": 14}})["atr_14"].to_numpy()
    trend = np.full(len(close), np.nan)
    trend[TREND_BARS:] = (close[TREND_BARS:] - close[:-TREND_BARS]) / (
        atr[TREND_BARS:] * np.sqrt(TREND_BARS)
    )
    returns = np.r_[np.nan, np.diff(np.log(close))]
    short = np.full(len(close), np.nan)
    long = np.full(len(close), np.nan)
    if len(close) > LONG_VOL:
        short[1:] = rolling_std(returns[1:], SHORT_VOL)
        long[1:] = rolling_std(returns[1:], LONG_VOL)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(short / long)
    return np.column_stack([trend, ratio])


@dataclass
class RegimeDetector:
    """Fit on a training span, then label every bar causally.

    Parameters
    ----------
    components
        Mixture components (at least 4, so each regime can get one).
    seed
        Random state of the mixture's initialisation.
    """

    components: int = 6
    seed: int = 0

    def fit(self, candles: pd.DataFrame) -> RegimeDetector:
        from sklearn.mixture import GaussianMixture

        x = regime_features(candles)
        x = x[np.isfinite(x).all(axis=1)]
        if len(x) < 20 * self.components:
            raise DataError(
                f"too few bars to fit the regime model ({len(x)} usable rows; "
                f"needs {20 * self.components})"
            )
        self.mixture_ = GaussianMixture(
            n_components=self.components, covariance_type="full", random_state=self.seed, n_init=3
        ).fit(x)
        means = self.mixture_.means_
        names = np.where(
            means[:, 1] > VOLATILE_LEVEL,
            "volatile",
            np.where(
                means[:, 0] > TREND_LEVEL,
                "trending_up",
                np.where(means[:, 0] < -TREND_LEVEL, "trending_down", "ranging"),
            ),
        ).astype(object)
        self.names_ = names
        return self

    def predict(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Per bar: ``regime`` (one of ``REGIMES``, empty during warm-up), ``confidence`` (its
        probability) and ``p_<regime>`` for each of the four regimes."""
        if not hasattr(self, "mixture_"):
            raise DataError("the regime detector is not fitted: call fit() first")
        x = regime_features(candles)
        ok = np.isfinite(x).all(axis=1)
        regime = np.full(len(x), "", dtype=object)
        probs = np.full((len(x), len(REGIMES)), np.nan)
        confidence = np.full(len(x), np.nan)
        if ok.any():
            post = self.mixture_.predict_proba(x[ok])
            probs[ok] = np.column_stack([post[:, self.names_ == r].sum(axis=1) for r in REGIMES])
            regime[ok] = np.asarray(REGIMES, dtype=object)[probs[ok].argmax(axis=1)]
            confidence[ok] = probs[ok].max(axis=1)
        frame = pd.DataFrame({"regime": regime, "confidence": confidence}, index=candles.index)
        for i, name in enumerate(REGIMES):
            frame[f"p_{name}"] = probs[:, i]
        return frame

    def current(self, candles: pd.DataFrame) -> tuple[str, float]:
        """The regime of the last bar and its probability (the ``regime_confidence``)."""
        last = self.predict(candles.iloc[-(LONG_VOL + 2) :]).iloc[-1]
        if last["regime"] == "":
            raise DataError(f"need at least {LONG_VOL + 2} bars to tell the regime")
        return str(last["regime"]), float(last["confidence"])
