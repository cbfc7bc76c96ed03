from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forex_diffusion.core import ConfigError
from forex_diffusion.features.feature_name_utils import (
    FEATURE_NAME_PATTERN,
    auto_fix_feature_names,
    get_feature_conflicts,
    standardize_dataframe_columns,
    standardize_feature_name,
    standardize_feature_names,
    validate_feature_names,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SMA_20", "sma_20"),
        ("sma20", "sma_20"),
        ("RSI-14", "rsi_14"),
        ("bbUpper", "bb_upper"),
        ("MACD Signal", "macd_signal"),
        ("ATR(14)", "atr_14"),
        ("MACDSignal", "macd_signal"),
        ("volatilité", "volatilite"),
        ("\u03c3_vol", "u_963_vol"),
        ("20SMA", "f_20_sma"),
        ("1h_return", "f_1h_return"),
        ("", "feature"),
        ("__x__", "x"),
        ("rsi_h4_14", "rsi_h4_14"),
        ("bb_upper_20_2p5", "bb_upper_20_2p5"),
        ("EMA 12/26", "ema_12_26"),
    ],
)
def test_shapes(raw: str, expected: str) -> None:
    assert standardize_feature_name(raw) == expected


@given(st.text(max_size=40))
def test_output_is_standard_and_idempotent(raw: str) -> None:
    name = standardize_feature_name(raw)
    assert FEATURE_NAME_PATTERN.match(name)
    assert standardize_feature_name(name) == name


def test_conflicts_validation_and_fixing() -> None:
    assert get_feature_conflicts(["SMA_20", "sma_20", "rsi_14"]) == {"sma_20": ["SMA_20", "sma_20"]}
    assert validate_feature_names(["sma_20", "rsi_h4_14"]) == (True, [])
    assert validate_feature_names(["sma_20", "SMA20", "x y", 5]) == (False, ["SMA20", "x y", "5"])
    assert standardize_feature_names(["A B", "cD"]) == ["a_b", "c_d"]
    assert auto_fix_feature_names(["RSI(14)", "bbUpper"]) == ["rsi_14", "bb_upper"]
    with pytest.raises(ConfigError, match=r"conflict: 'SMA_20', 'sma_20' -> 'sma_20'"):
        auto_fix_feature_names(["SMA_20", "sma_20"])
    frame = pd.DataFrame({"RSI-14": [1.0], "bbUpper": [2.0]})
    fixed = auto_fix_feature_names(frame)
    assert list(fixed.columns) == ["rsi_14", "bb_upper"]
    assert list(frame.columns) == ["RSI-14", "bbUpper"]  # the input is left alone
    with pytest.raises(ConfigError, match="conflict"):
        standardize_dataframe_columns(pd.DataFrame({"SMA_20": [1], "sma_20": [2]}))
