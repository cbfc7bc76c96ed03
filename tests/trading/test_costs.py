from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core.trading_config import BrokerConfig
from forex_diffusion.trading.costs import CostModel, spread_bucket


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("ts", "bucket"),
    [
        ("2017-03-06 13:00", "overlap"),  # 08:00 New York, 13:00 London
        ("2017-03-06 09:00", "london"),
        ("2017-03-06 19:00", "new_york"),
        ("2017-03-06 02:00", "asia"),
        ("2017-03-06 22:00", "rollover"),  # 17:00 New York (EST)
        ("2017-07-10 21:00", "rollover"),  # 17:00 New York (EDT)
        ("2017-03-05 22:00", "sunday_open"),
        ("2017-03-05 23:00", "sunday_open"),
        ("2017-03-06 00:00", "asia"),
    ],
)
def test_spread_bucket_follows_the_sessions(ts: str, bucket: str) -> None:
    assert spread_bucket(utc(ts)) == bucket


def test_spread_is_tightest_in_the_overlap_and_widest_at_the_sunday_open() -> None:
    costs = CostModel(BrokerConfig())
    pips = {
        name: costs.spread_pips("EURUSD", utc(ts))
        for name, ts in {
            "overlap": "2017-03-06 13:00",
            "asia": "2017-03-06 02:00",
            "rollover": "2017-03-06 22:00",
            "sunday": "2017-03-05 22:00",
        }.items()
    }
    assert pips["overlap"] < pips["asia"] < pips["rollover"] < pips["sunday"]
    assert costs.spread_pips("NZDCAD", utc("2017-03-06 13:00")) == 1.5  # the default pair


@pytest.mark.parametrize(
    ("basis", "expected"),
    [("mid", (1.09997, 1.10003)), ("bid", (1.1, 1.10006)), ("ask", (1.09994, 1.1))],
)
def test_quotes_put_the_spread_on_the_other_side(basis: str, expected: tuple[float, float]) -> None:
    costs = CostModel(BrokerConfig(price_basis=basis))  # type: ignore[arg-type]
    bid, ask = costs.quotes("EURUSD", utc("2017-03-06 13:00"), 1.1)  # 0.6 pip spread
    assert bid == pytest.approx(expected[0]) and ask == pytest.approx(expected[1])


def test_commission_and_swap_rates() -> None:
    costs = CostModel(BrokerConfig(commission_per_lot=3.5))
    assert costs.commission(250_000) == pytest.approx(8.75)
    assert costs.swap_pips("EURUSD", "long") == -0.6
    assert costs.swap_pips("XAUXAG", "short") == -0.5  # the default


def test_a_spread_table_missing_a_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match=r"spreads.EURUSD: missing \['sunday_open'\]"):
        BrokerConfig(
            spreads={
                "default": BrokerConfig().spreads["default"],
                "EURUSD": {"overlap": 1, "london": 1, "new_york": 1, "asia": 1, "rollover": 1},
            }
        )
