from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.trading_config import BrokerConfig
from forex_diffusion.trading.costs import (
    CostModel,
    rollover_nights,
    rollover_nights_per_bar,
    spread_bucket,
)


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


@pytest.mark.parametrize(
    ("start", "end", "nights"),
    [
        ("2017-03-07 21:00", "2017-03-07 22:00", 1),  # Tuesday: the bar closing at 17:00 NY
        ("2017-03-07 22:00", "2017-03-07 23:00", 0),  # opens at the rollover: not inside
        ("2017-03-08 21:59", "2017-03-08 22:00", 3),  # Wednesday, an M1 bar
        (
            "2017-03-06 00:00",
            "2017-03-13 00:00",
            7,
        ),  # a week: Mon..Thu 1+1+3+1, Fri 1, none at the weekend
        ("2017-03-10 22:00", "2017-03-12 22:00", 0),  # the weekend
    ],
)
def test_rollover_nights(start: str, end: str, nights: int) -> None:
    assert rollover_nights(utc(start), utc(end)) == nights


def test_primed_buckets_equal_the_one_by_one_ones() -> None:
    from forex_diffusion.trading import costs

    index = pd.date_range("2017-03-01", "2017-04-15", freq="h", tz="UTC")  # spans the DST change
    one_by_one = [costs._bucket(t) for t in index]
    costs._BUCKETS.clear()
    costs.prime_spread_buckets(index)
    assert [costs.spread_bucket(t) for t in index] == one_by_one


@pytest.mark.parametrize(
    ("freq", "unit"),
    [("1min", "ns"), ("30min", "us"), ("1h", "us"), ("4h", "ns"), ("1D", "us"), ("7D", "ns")],
)
def test_vectorised_costs_equal_the_per_bar_functions(freq: str, unit: str) -> None:
    # from a Wednesday over the March DST change, and over the November one; either unit
    index = pd.DatetimeIndex([])
    for start in ("2017-03-08 12:00", "2017-11-01 12:00"):
        index = index.append(
            pd.date_range(
                start, periods=1500 if freq != "7D" else 100, freq=freq, tz="UTC", unit=unit
            )
        ).unique()
    duration = pd.Timedelta(freq)
    nights = rollover_nights_per_bar(index, duration)
    assert nights.tolist() == [rollover_nights(ts, ts + duration) for ts in index]
    assert nights.sum() > 0
    model = CostModel(BrokerConfig())
    spreads = model.spread_pips_per_bar("EURUSD", index)
    assert np.array_equal(spreads, [model.spread_pips("EURUSD", ts) for ts in index])
