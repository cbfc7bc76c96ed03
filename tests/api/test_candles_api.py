"""``POST /candles`` over real HTTP: the same checks as ``fxd data import --timeframe`` (the
candle contract and the timeframe's spacing), answered with a 422 naming the bar and field,
never a 500; a bar a paper run has traded is changed only by a recorded correction; a refused
request writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forex_diffusion.api.app import MAX_BARS, create_app
from forex_diffusion.data import load_sample
from forex_diffusion.storage import CandleRepository, Store
from tests.api.http import call, serving, wait_for

TOKEN = "candles-token"
STORED = 300


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = Store(f"sqlite:///{tmp_path / 'candles.sqlite'}")
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample().iloc[:STORED])
    with serving(create_app(store, token=TOKEN, poll_seconds=0.1)) as url:
        yield url, store
    store.dispose()


def bars(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"time": ts.isoformat(), **{k: float(row[k]) for k in row.index}}
        for ts, row in frame.iterrows()
    ]


def post(url: str, new: list[dict[str, Any]], **extra: Any) -> tuple[int, Any]:
    body = {"symbol": "EURUSD", "timeframe": "H1", "bars": new, **extra}
    return call(f"{url}/candles", "POST", body, token=TOKEN)


def stored(store: Store) -> pd.DataFrame:
    return CandleRepository(store).load("EURUSD", "H1")


NEW = load_sample().iloc[STORED : STORED + 3]


def test_duplicated_and_unsorted_bars_name_the_bar(served: tuple[str, Store]) -> None:
    url, store = served
    before = stored(store)
    new = bars(NEW)
    code, err = post(url, [new[0], new[1], new[1]])  # was a 500 (the upsert's unique key)
    assert code == 422, err
    assert err["bar"] == "2017-01-18 11:00 UTC" and err["field"] == "time" and err["row"] == 2
    assert "duplicated" in err["detail"] and "11:00 UTC" in err["detail"]
    code, err = post(url, [new[1], new[0], new[2]])
    assert code == 422 and err["bar"] == "2017-01-18 10:00 UTC" and "out of order" in err["detail"]
    pd.testing.assert_frame_equal(stored(store), before)


def test_bars_off_the_timeframe_are_refused(served: tuple[str, Store]) -> None:
    """What ``fxd data import --timeframe H1`` refuses: an H1 bar at 05:30 (it was stored)."""
    url, store = served
    off = {**bars(NEW)[0], "time": "2017-01-18T05:30:00+00:00"}
    code, err = post(url, [off])
    assert code == 422, err
    assert (err["bar"], err["field"]) == ("2017-01-18 05:30 UTC", "time")
    assert "not on the H1 grid" in err["detail"]
    code, err = post(url, [bars(NEW)[0], {**bars(NEW)[1], "time": "2017-01-18T10:30:00Z"}])
    assert code == 422 and "less than one H1 bar" in err["detail"]
    assert len(stored(store)) == STORED


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"high": float("nan")}, "high", "not finite"),
        ({"close": float("inf")}, "close", "not finite"),
        ({"low": 0.0}, "low", "price must be > 0"),
        ({"open": -1.0}, "open", "price must be > 0"),
        ({"volume": -5.0}, "volume", "volume must be >= 0"),
        ({"high": 1.0, "low": 1.1, "open": 1.05, "close": 1.05}, "high", "high is below low"),
        ({"high": 1.07, "low": 1.06, "open": 1.05, "close": 1.065}, "low", "low is above"),
    ],
)
def test_prices_that_break_the_contract_name_bar_and_field(
    served: tuple[str, Store], change: dict[str, float], field: str, words: str
) -> None:
    url, store = served
    new = bars(NEW)
    new[1] = {**new[1], **change}
    code, err = post(url, new)  # NaN and inf travel as JSON's NaN / Infinity
    assert code == 422, err
    assert (err["bar"], err["field"], err["row"]) == ("2017-01-18 11:00 UTC", field, 1)
    assert words in err["detail"]
    assert len(stored(store)) == STORED  # the good bars of the batch are not written either


def test_unparseable_bodies_are_422_never_500(served: tuple[str, Store]) -> None:
    url, _store = served
    good = bars(NEW)[0]
    # a NaN beside a missing field: FastAPI's own handler failed to encode it (a 500)
    code, err = post(url, [{k: v for k, v in good.items() if k != "high"} | {"low": float("nan")}])
    assert code == 422 and any(e["loc"][-1] == "high" for e in err["detail"]), err
    code, err = post(url, [{**good, "time": "9999-12-31T00:00:00Z"}])  # was a 500
    assert code == 422 and "not between 1970 and 2200" in json.dumps(err)
    code, err = post(url, [{**good, "time": "2017-01-18T11:00:00"}])
    assert code == 422 and "timezone" in json.dumps(err)
    code, err = post(url, [good] * (MAX_BARS + 1))
    assert code == 422 and err["detail"][0]["loc"] == ["body", "bars"]


def test_unknown_fields_are_refused_naming_them(served: tuple[str, Store]) -> None:
    url, store = served
    code, err = post(url, [{**bars(NEW)[0], "spread": 1.2}])
    assert code == 422 and err["detail"][0]["loc"] == ["body", "bars", 0, "spread"], err
    code, err = post(url, bars(NEW), repair=True)
    assert code == 422 and err["detail"][0]["loc"] == ["body", "repair"], err
    code, err = post(url, bars(NEW), reason="late")
    assert code == 422 and err["detail"].startswith("reason: only a correction"), err
    assert len(stored(store)) == STORED


def test_bars_a_paper_run_traded_change_only_as_a_correction(
    served: tuple[str, Store],
) -> None:
    url, store = served
    sample = load_sample()
    start = {"symbol": "EURUSD", "timeframe": "H1", "run_id": "p-feed", "strategy": "sma_cross"}
    assert call(f"{url}/paper", "POST", start, token=TOKEN)[0] == 201
    last = sample.index[STORED - 1].isoformat()
    wait_for(lambda: call(f"{url}/paper/p-feed")[1]["last_bar"] == last, what="the run to trade")
    old = sample.iloc[STORED - 5 : STORED - 4]
    fixed = old.assign(close=old["high"])
    code, err = post(url, bars(fixed))  # was accepted: the store changed under the run
    assert code == 409, err
    assert "2017-01-18 05:00 UTC" in err["detail"] and "run p-feed" in err["detail"]
    assert err["error"] == "ConflictError"
    assert stored(store).loc[old.index[0], "close"] == old["close"].iloc[0]
    # the same bars again change nothing (a retried request), and new bars append
    assert post(url, bars(sample.iloc[STORED - 3 : STORED]))[1]["unchanged"] == 3
    code, result = post(url, bars(fixed), correction=True, reason="the feed re-sent it")
    assert code == 200, result
    assert (result["updated"], result["corrected"]) == (1, 1)
    assert stored(store).loc[old.index[0], "close"] == old["high"].iloc[0]
    code, recorded = call(f"{url}/candles/EURUSD/H1/corrections")
    assert code == 200 and len(recorded) == 1
    assert recorded[0]["time"] == old.index[0].isoformat()
    assert recorded[0]["old"]["close"] == old["close"].iloc[0]
    assert recorded[0]["new"]["close"] == old["high"].iloc[0]
    assert recorded[0]["reason"] == "the feed re-sent it"
    code, again = post(url, bars(fixed), correction=True)  # changes nothing: nothing recorded
    assert code == 200 and (again["unchanged"], again["corrected"]) == (1, 0)
    assert len(call(f"{url}/candles/EURUSD/H1/corrections")[1]) == 1
    assert post(url, bars(NEW))[1]["inserted"] == 3
