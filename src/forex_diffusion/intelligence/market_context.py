"""The market as the quality gate sees it on one bar's close: regime, higher timeframes, volume,
sentiment, and the book of open positions.

:class:`ContextBuilder` computes every per-bar input of the quality dimensions for a whole
candle frame at once (each value uses bars up to its own only: the prefix test holds) and hands
out a :class:`BarContext` per bar; the live engine asks for the newest bar only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forex_diffusion.core.config import SignalsConfig
from forex_diffusion.core.instruments import get_instrument
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.features.consolidated_indicators import calculate_indicators
from forex_diffusion.intelligence.multi_timeframe import mtf_bull_agreement
from forex_diffusion.intelligence.regime import REGIMES, RegimeDetector
from forex_diffusion.intelligence.sentiment import SentimentFeed

__all__ = ["BarContext", "ContextBuilder", "higher_timeframes"]

_ORDER = tuple(Timeframe)
VOLUME_WINDOW = 20


def higher_timeframes(timeframe: Timeframe | str, count: int = 2) -> tuple[Timeframe, ...]:
    """The ``count`` canonical timeframes above ``timeframe`` (H1 -> H4, D1)."""
    tf = Timeframe.parse(timeframe)
    i = _ORDER.index(tf)
    return _ORDER[i + 1 : i + 1 + count]


@dataclass(frozen=True, slots=True, kw_only=True)
class BarContext:
    """Everything the dimensions need about one bar (``timestamp``: its open time).

    ``regime`` is ``None`` without a detector or during its warm-up; ``regime_probs`` then is
    empty. ``volume_ratio`` is the bar's tick volume over the mean of the previous 20 (NaN
    without volume). ``long_share`` is the retail long share in force (``None``: no feed).
    ``open_positions``: symbol -> +1 long / -1 short; ``correlations``: pair -> rho.
    """

    symbol: str
    timeframe: str
    timestamp: pd.Timestamp
    close: float
    atr: float
    spread: float
    regime: str | None = None
    regime_probs: Mapping[str, float] = field(default_factory=dict)
    mtf_bull: float = 0.5
    volume_ratio: float = float("nan")
    long_share: float | None = None
    open_positions: Mapping[str, int] = field(default_factory=dict)
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)

    @property
    def bar(self) -> pd.Timedelta:
        return pd.Timedelta(Timeframe.parse(self.timeframe).delta)


class ContextBuilder:
    """Per-bar inputs of the quality dimensions for one symbol and timeframe.

    Parameters
    ----------
    regime
        A fitted :class:`RegimeDetector` (fitted on earlier bars); ``None``: no regime.
    sentiment
        A retail sentiment feed; ``None``: sentiment is neutral (0.5).
    spread_pips
        The spread the signals must clear, in pips.
    higher
        Higher timeframes that vote on the trend (default: the two above the base).
    """

    def __init__(
        self,
        *,
        symbol: str,
        timeframe: str,
        regime: RegimeDetector | None = None,
        sentiment: SentimentFeed | None = None,
        spread_pips: float = 1.0,
        higher: Sequence[str] | None = None,
    ) -> None:
        self.symbol = Symbol.parse(symbol).name
        self.timeframe = Timeframe.parse(timeframe)
        self.regime = regime
        self.sentiment = sentiment
        self.spread = get_instrument(self.symbol).from_pips(spread_pips)
        self.higher = tuple(
            Timeframe.parse(t) for t in (higher or higher_timeframes(self.timeframe))
        )

    @classmethod
    def from_config(
        cls,
        config: SignalsConfig,
        *,
        symbol: str,
        timeframe: str,
        regime: RegimeDetector | None = None,
    ) -> ContextBuilder:
        """The context ``[signals]`` configures: its spread and its sentiment feed."""
        feed = SentimentFeed.from_csv(config.sentiment_file) if config.sentiment_file else None
        return cls(
            symbol=symbol,
            timeframe=timeframe,
            regime=regime,
            sentiment=feed,
            spread_pips=config.spread_pips,
        )

    def frame(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Per bar: ``close``, ``atr``, ``regime`` and ``p_<regime>``, ``mtf_bull``,
        ``volume_ratio`` and ``long_share``."""
        out = pd.DataFrame(index=candles.index)
        out["close"] = candles["close"].to_numpy(float)
        out["atr"] = calculate_indicators(candles, {"atr": {"period": 14}})["atr_14"].to_numpy()
        if self.regime is not None:
            regimes = self.regime.predict(candles)
            out["regime"] = regimes["regime"].to_numpy()
            for name in REGIMES:
                out[f"p_{name}"] = regimes[f"p_{name}"].to_numpy()
        else:
            out["regime"] = ""
        if self.higher:
            out["mtf_bull"] = mtf_bull_agreement(
                candles, timeframe=self.timeframe, higher=[t.value for t in self.higher]
            ).to_numpy()
        else:
            out["mtf_bull"] = 0.5
        volume = candles["volume"].to_numpy(float)
        previous = (
            pd.Series(volume).shift(1).rolling(VOLUME_WINDOW, min_periods=VOLUME_WINDOW).mean()
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            out["volume_ratio"] = np.where(previous > 0, volume / previous.to_numpy(), np.nan)
        if self.sentiment is not None:
            closes = pd.DatetimeIndex(candles.index) + self.timeframe.delta
            out["long_share"] = self.sentiment.long_share(self.symbol, closes)
        else:
            out["long_share"] = np.nan
        return out

    def at(
        self,
        frame: pd.DataFrame,
        position: int,
        *,
        open_positions: Mapping[str, int] | None = None,
        correlations: Mapping[tuple[str, str], float] | None = None,
    ) -> BarContext:
        """The context of the bar at ``position`` of a :meth:`frame` result."""
        row = frame.iloc[position]
        regime = str(row["regime"]) or None
        probs = {r: float(row[f"p_{r}"]) for r in REGIMES} if regime else {}
        share = float(row["long_share"])
        return BarContext(
            symbol=self.symbol,
            timeframe=self.timeframe.value,
            timestamp=pd.Timestamp(frame.index[position]),
            close=float(row["close"]),
            atr=float(row["atr"]),
            spread=self.spread,
            regime=regime,
            regime_probs=probs,
            mtf_bull=float(row["mtf_bull"]),
            volume_ratio=float(row["volume_ratio"]),
            long_share=None if share != share else share,
            open_positions=dict(open_positions or {}),
            correlations=dict(correlations or {}),
        )

    def latest(
        self,
        candles: pd.DataFrame,
        *,
        open_positions: Mapping[str, int] | None = None,
        correlations: Mapping[tuple[str, str], float] | None = None,
    ) -> BarContext:
        """The context of the newest bar (what the live engine asks for)."""
        return self.at(
            self.frame(candles), -1, open_positions=open_positions, correlations=correlations
        )
