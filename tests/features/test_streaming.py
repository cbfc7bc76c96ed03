from __future__ import annotations

import numpy as np
import pytest

from forex_diffusion.data import load_sample
from forex_diffusion.features import calculate_indicators, streaming
from tests.data.strategies import random_candles

SPECS = [
    "sma_20",
    "ema_20",
    "rsi_14",
    "atr_14",
    "macd_12_26_9",
    "bb_20_2",
    "stoch_5_3_3",
    "adx_14",
    "donchian_20",
    "keltner_20_10_2",
    "willr_14",
    "cci_14",
    "roc_10",
    "hurst_64",
    "macd_26_12_9",
    "adx_3",
]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("data", ["sample", "random"])
def test_streaming_equals_batch(spec: str, data: str) -> None:
    candles = load_sample().iloc[:1500] if data == "sample" else random_candles(1500, seed=9)
    batch = calculate_indicators(candles, spec).to_numpy()
    ind = streaming(spec)
    rows = []
    for bar in candles.to_dict("records"):
        rows.append(np.atleast_1d(ind.update(bar)))
    got = np.array(rows, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(batch))
    ok = ~np.isnan(batch)
    np.testing.assert_allclose(got[ok], batch[ok], rtol=1e-9, atol=1e-9)
    assert list(ind.values) == ind.columns
    np.testing.assert_allclose(list(ind.values.values()), batch[-1], rtol=1e-9)


def test_close_only_indicators_take_a_number() -> None:
    rsi = streaming("rsi_2")
    assert [round(v, 6) if v == v else None for v in map(rsi.update, [1, 2, 1, 2, 3])] == [
        None,
        None,
        50.0,
        75.0,
        87.5,
    ]
    with pytest.raises(ValueError, match="takes one indicator"):
        streaming("rsi,atr")
