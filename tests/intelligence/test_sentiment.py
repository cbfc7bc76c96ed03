from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import ConfigError, DataError
from forex_diffusion.intelligence.sentiment import SentimentFeed, sentiment_alignment


def test_alignment_is_contrarian() -> None:
    assert sentiment_alignment("bear", 0.7) == 0.7
    assert sentiment_alignment("bull", 0.7) == pytest.approx(0.3)
    assert sentiment_alignment("bull", None) == 0.5
    assert sentiment_alignment("bull", float("nan")) == 0.5
    with pytest.raises(ConfigError, match="long share"):
        sentiment_alignment("bull", 1.5)


def test_feed_lookup_is_causal_and_expires(tmp_path: Path) -> None:
    path = tmp_path / "sentiment.csv"
    path.write_text(
        "time,symbol,long_pct\n"
        "2017-03-01T08:00:00Z,EUR/USD,60\n"
        "2017-03-01T10:00:00Z,EURUSD,70\n"
        "2017-03-01T09:00:00Z,GBPUSD,40\n"
    )
    feed = SentimentFeed.from_csv(path, max_age=pd.Timedelta(hours=5))
    times = pd.DatetimeIndex(
        [
            "2017-03-01 07:59",
            "2017-03-01 08:00",
            "2017-03-01 09:59",
            "2017-03-01 10:00",
            "2017-03-01 15:00",
            "2017-03-01 15:01",
        ],
        tz="UTC",
    )
    got = feed.long_share("EURUSD", times)
    np.testing.assert_allclose(got, [np.nan, 0.6, 0.6, 0.7, 0.7, np.nan])
    assert np.isnan(feed.long_share("USDJPY", times)).all()


def test_short_pct_and_epoch_times(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("time,symbol,short_pct\n1488355200,EURUSD,25\n")
    feed = SentimentFeed.from_csv(path)
    ts = pd.DatetimeIndex(["2017-03-01 09:00"], tz="UTC")
    assert feed.long_share("EURUSD", ts)[0] == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("time,symbol\n2017-03-01,EURUSD\n", "missing long_pct or short_pct"),
        (
            "time,symbol,long_pct\n2017-03-01,EURUSD,60\n2017-03-02,EURUSD,160\n",
            "line 3, column 'long_pct': 160.0 is not a percentage",
        ),
        ("time,symbol,long_pct\n2017-03-01,EURUSD,sixty\n", "line 2, column 'long_pct'"),
        ("time,symbol,long_pct\n2017-03-01,EUR,60\n", "line 2, column 'symbol'"),
        ("time,symbol,long_pct,short_pct\n2017-03-01,EURUSD,60,30\n", "is not 100"),
        ("time,symbol,long_pct\nyesterday,EURUSD,60\n", "line 2, column 'time'"),
    ],
)
def test_bad_feeds_name_line_and_column(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(DataError, match=message):
        SentimentFeed.from_csv(path)
