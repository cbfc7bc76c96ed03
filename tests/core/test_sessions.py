from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forex_diffusion.core.sessions import (
    Session,
    active_sessions,
    is_market_open,
    market_open_mask,
    rollover_multiplier,
    rollover_time,
    rollovers_between,
    session_flags,
    week_close,
    week_open,
)
from forex_diffusion.data import load_sample


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        ("2017-07-07 20:59", True),  # Friday, New York on EDT: close at 21:00 UTC
        ("2017-07-07 21:00", False),
        ("2017-01-06 21:59", True),  # Friday, New York on EST: close at 22:00 UTC
        ("2017-01-06 22:00", False),
        ("2017-01-07 12:00", False),  # Saturday
        ("2017-01-08 21:59", False),  # Sunday before 17:00 EST
        ("2017-01-08 22:00", True),
        ("2017-07-09 21:00", True),  # Sunday 17:00 EDT
        ("2017-03-15 03:00", True),  # Wednesday night
    ],
)
def test_market_open_at_the_week_edges(when: str, is_open: bool) -> None:
    assert is_market_open(utc(when)) is is_open
    assert bool(market_open_mask(pd.DatetimeIndex([utc(when)]))[0]) is is_open


def test_naive_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        is_market_open(datetime(2017, 1, 3, 12))


def test_week_open_and_close() -> None:
    assert week_open(utc("2017-01-04 12:00")) == utc("2017-01-01 22:00")
    assert week_close(utc("2017-01-04 12:00")) == utc("2017-01-06 22:00")
    assert week_open(utc("2017-01-01 22:00")) == utc("2017-01-01 22:00")
    assert week_open(utc("2017-01-01 21:59")) == utc("2016-12-25 22:00")
    # Saturday belongs to the week that just closed
    assert week_close(utc("2017-07-08 10:00")) == utc("2017-07-07 21:00")
    # the week that opens on EST and closes after the March DST change
    assert week_open(utc("2017-03-15 00:00")) == utc("2017-03-12 21:00")


def test_rollover_time_and_triple_wednesday() -> None:
    assert rollover_time(date(2017, 7, 5)) == utc("2017-07-05 21:00")
    assert rollover_time(date(2017, 1, 4)) == utc("2017-01-04 22:00")
    mults = [rollover_multiplier(date(2017, 7, d)) for d in range(2, 9)]  # Sun..Sat
    assert mults == [0, 1, 1, 3, 1, 1, 0]


def test_rollovers_between_a_week() -> None:
    rolls = rollovers_between(utc("2017-07-03 00:00"), utc("2017-07-10 00:00"))
    assert [t.day for t, _ in rolls] == [3, 4, 5, 6, 7]
    assert sum(m for _, m in rolls) == 7  # seven days of swap for a week held
    # half-open interval: a start exactly on a rollover excludes it, an end includes it
    assert rollovers_between(utc("2017-07-05 21:00"), utc("2017-07-06 21:00")) == [
        (utc("2017-07-06 21:00"), 1)
    ]


def test_active_sessions_in_summer_and_when_closed() -> None:
    assert active_sessions(utc("2017-07-05 07:30")) == {Session.LONDON, Session.TOKYO}
    assert active_sessions(utc("2017-07-05 13:00")) == {Session.LONDON, Session.NEW_YORK}
    assert active_sessions(utc("2017-07-08 13:00")) == frozenset()


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2015, 1, 1),
        max_value=datetime(2030, 1, 1),
        timezones=st.just(UTC),
    )
)
def test_vectorised_twins_match_scalar_functions(when: datetime) -> None:
    stamp = pd.Timestamp(when)
    index = pd.DatetimeIndex([stamp])
    assert bool(market_open_mask(index)[0]) is is_market_open(stamp)
    flags = session_flags(index).iloc[0]
    expected = {s for s in Session if flags[f"session_{s.value}"]}
    assert expected == set(active_sessions(stamp))


def test_every_bar_of_the_real_sample_is_in_market_hours() -> None:
    candles = load_sample("EURUSD", "H1")
    assert market_open_mask(candles.index).all()
