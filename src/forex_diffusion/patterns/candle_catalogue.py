"""The 61 TA-Lib candlestick functions: readable keys, bars spanned, family and direction rule.

Families drive the score's trend term (DESIGN: a pure function of bars up to confirmation):

* ``reversal``: the better the prior trend runs against the pattern's direction, the better;
* ``continuation``: the better the prior trend runs with it;
* ``indecision``: no direction (doji, spinning top, high wave...), trend term fixed at 0.5.

Direction rule: ``sign`` takes TA-Lib's sign (+ bull, - bear, +-200 a confirmation); ``neutral``
for indecision patterns; ``bull``/``bear`` where TA-Lib always answers +100 for a pattern that
has one direction (dragonfly doji and takuri are bullish, the gravestone doji bearish).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALIASES", "CANDLES", "CandleInfo"]


@dataclass(frozen=True, slots=True)
class CandleInfo:
    """One TA-Lib candlestick function and how this layer reads it."""

    key: str
    talib_function: str
    span: int
    family: str
    direction: str = "sign"


_R, _C, _I = "reversal", "continuation", "indecision"
CANDLES: tuple[CandleInfo, ...] = (
    CandleInfo("two_crows", "CDL2CROWS", 3, _R),
    CandleInfo("three_black_crows", "CDL3BLACKCROWS", 3, _R),
    CandleInfo("three_inside", "CDL3INSIDE", 3, _R),
    CandleInfo("three_line_strike", "CDL3LINESTRIKE", 4, _C),
    CandleInfo("three_outside", "CDL3OUTSIDE", 3, _R),
    CandleInfo("three_stars_in_the_south", "CDL3STARSINSOUTH", 3, _R),
    CandleInfo("three_white_soldiers", "CDL3WHITESOLDIERS", 3, _R),
    CandleInfo("abandoned_baby", "CDLABANDONEDBABY", 3, _R),
    CandleInfo("advance_block", "CDLADVANCEBLOCK", 3, _R),
    CandleInfo("belt_hold", "CDLBELTHOLD", 1, _R),
    CandleInfo("breakaway", "CDLBREAKAWAY", 5, _R),
    CandleInfo("closing_marubozu", "CDLCLOSINGMARUBOZU", 1, _C),
    CandleInfo("concealing_baby_swallow", "CDLCONCEALBABYSWALL", 4, _R),
    CandleInfo("counterattack", "CDLCOUNTERATTACK", 2, _R),
    CandleInfo("dark_cloud_cover", "CDLDARKCLOUDCOVER", 2, _R),
    CandleInfo("doji", "CDLDOJI", 1, _I, "neutral"),
    CandleInfo("doji_star", "CDLDOJISTAR", 2, _R),
    CandleInfo("dragonfly_doji", "CDLDRAGONFLYDOJI", 1, _R, "bull"),
    CandleInfo("engulfing", "CDLENGULFING", 2, _R),
    CandleInfo("evening_doji_star", "CDLEVENINGDOJISTAR", 3, _R),
    CandleInfo("evening_star", "CDLEVENINGSTAR", 3, _R),
    CandleInfo("side_by_side_white_lines", "CDLGAPSIDESIDEWHITE", 3, _C),
    CandleInfo("gravestone_doji", "CDLGRAVESTONEDOJI", 1, _R, "bear"),
    CandleInfo("hammer", "CDLHAMMER", 1, _R),
    CandleInfo("hanging_man", "CDLHANGINGMAN", 1, _R),
    CandleInfo("harami", "CDLHARAMI", 2, _R),
    CandleInfo("harami_cross", "CDLHARAMICROSS", 2, _R),
    CandleInfo("high_wave", "CDLHIGHWAVE", 1, _I, "neutral"),
    CandleInfo("hikkake", "CDLHIKKAKE", 3, _R),
    CandleInfo("modified_hikkake", "CDLHIKKAKEMOD", 4, _R),
    CandleInfo("homing_pigeon", "CDLHOMINGPIGEON", 2, _R),
    CandleInfo("identical_three_crows", "CDLIDENTICAL3CROWS", 3, _R),
    CandleInfo("in_neck", "CDLINNECK", 2, _C),
    CandleInfo("inverted_hammer", "CDLINVERTEDHAMMER", 1, _R),
    CandleInfo("kicking", "CDLKICKING", 2, _R),
    CandleInfo("kicking_by_length", "CDLKICKINGBYLENGTH", 2, _R),
    CandleInfo("ladder_bottom", "CDLLADDERBOTTOM", 5, _R),
    CandleInfo("long_legged_doji", "CDLLONGLEGGEDDOJI", 1, _I, "neutral"),
    CandleInfo("long_line", "CDLLONGLINE", 1, _C),
    CandleInfo("marubozu", "CDLMARUBOZU", 1, _C),
    CandleInfo("matching_low", "CDLMATCHINGLOW", 2, _R),
    CandleInfo("mat_hold", "CDLMATHOLD", 5, _C),
    CandleInfo("morning_doji_star", "CDLMORNINGDOJISTAR", 3, _R),
    CandleInfo("morning_star", "CDLMORNINGSTAR", 3, _R),
    CandleInfo("on_neck", "CDLONNECK", 2, _C),
    CandleInfo("piercing", "CDLPIERCING", 2, _R),
    CandleInfo("rickshaw_man", "CDLRICKSHAWMAN", 1, _I, "neutral"),
    CandleInfo("rising_falling_three_methods", "CDLRISEFALL3METHODS", 5, _C),
    CandleInfo("separating_lines", "CDLSEPARATINGLINES", 2, _C),
    CandleInfo("shooting_star", "CDLSHOOTINGSTAR", 1, _R),
    CandleInfo("short_line", "CDLSHORTLINE", 1, _I, "neutral"),
    CandleInfo("spinning_top", "CDLSPINNINGTOP", 1, _I, "neutral"),
    CandleInfo("stalled_pattern", "CDLSTALLEDPATTERN", 3, _R),
    CandleInfo("stick_sandwich", "CDLSTICKSANDWICH", 3, _R),
    CandleInfo("takuri", "CDLTAKURI", 1, _R, "bull"),
    CandleInfo("tasuki_gap", "CDLTASUKIGAP", 3, _C),
    CandleInfo("thrusting", "CDLTHRUSTING", 2, _C),
    CandleInfo("tristar", "CDLTRISTAR", 3, _R),
    CandleInfo("unique_three_river", "CDLUNIQUE3RIVER", 3, _R),
    CandleInfo("upside_gap_two_crows", "CDLUPSIDEGAP2CROWS", 3, _R),
    CandleInfo("gap_three_methods", "CDLXSIDEGAP3METHODS", 3, _C),
)

ALIASES: dict[str, tuple[str, str | None]] = {
    # the report's keys: (detector key, direction kept or None for all)
    "bullish_engulfing": ("engulfing", "bull"),
    "bearish_engulfing": ("engulfing", "bear"),
    "harami_bull": ("harami", "bull"),
    "harami_bear": ("harami", "bear"),
    "bullish_harami": ("harami", "bull"),
    "bearish_harami": ("harami", "bear"),
    "harami_cross_bull": ("harami_cross", "bull"),
    "harami_cross_bear": ("harami_cross", "bear"),
    "three_inside_up": ("three_inside", "bull"),
    "three_inside_down": ("three_inside", "bear"),
    "three_outside_up": ("three_outside", "bull"),
    "three_outside_down": ("three_outside", "bear"),
    "rising_three_methods": ("rising_falling_three_methods", "bull"),
    "falling_three_methods": ("rising_falling_three_methods", "bear"),
    "bullish_kicker": ("kicking", "bull"),
    "bearish_kicker": ("kicking", "bear"),
    "piercing_line": ("piercing", None),
    "dark_cloud": ("dark_cloud_cover", None),
    "doji_standard": ("doji", None),
    "three_soldiers": ("three_white_soldiers", None),
    "black_crows": ("three_black_crows", None),
}
