"""Every API endpoint fuzzed from the app's own OpenAPI schema (schemathesis over real HTTP):
whatever arrives, the answer is never a server error, and a rejected write leaves the store as
it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from forex_diffusion.api.app import create_app
from forex_diffusion.data import load_sample, validate_candles
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.storage import CandleRepository, PatternEventRepository, RunRepository, Store
from tests.api.http import serving

TOKEN = "fuzz-token"
BARS = 400


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    store = Store(f"sqlite:///{path}")
    store.ensure_schema()
    sample = load_sample().iloc[:BARS]
    CandleRepository(store).upsert("EURUSD", "H1", sample)
    PatternEventRepository(store).replace("EURUSD", "H1", PatternRegistry().detect(sample))
    with serving(create_app(store, token=TOKEN, poll_seconds=0.2)) as url:
        yield url, store
    store.dispose()


def _operations(url: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_input_makes_a_server_error(fuzzed: tuple[str, Store]) -> None:
    url, _store = fuzzed
    operations = _operations(url)
    paths = {op.path for op in operations}
    assert {"/candles", "/forecast", "/paper", "/paper/{run_id}/pause"} <= paths
    statuses: dict[str, list[int]] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def fuzz(case: Any) -> None:
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {TOKEN}"},
                checks=[not_a_server_error],
                timeout=60,
            )
            statuses.setdefault(case.operation.label, []).append(response.status_code)

        fuzz()
    assert len(statuses) == len(operations)
    tried = sum(len(v) for v in statuses.values())
    assert tried >= 5 * len(operations), statuses
    codes = {c for v in statuses.values() for c in v}
    assert 422 in codes and codes & {200, 201}  # bad input refused, good input served
    print(f"{tried} requests over {len(operations)} operations; status codes {sorted(codes)}")


BREAKS = ("duplicate", "unsorted", "off_grid", "not_finite", "not_positive", "high_below_low")
PRICES = ("open", "high", "low", "close")


@st.composite
def broken_candles(draw: st.DrawFn, kind: str) -> tuple[str, dict[str, Any]]:
    """A ``POST /candles`` body of sample bars (stored ones and new ones) with one break of
    the candle contract or of the H1 spacing, of the given ``kind``."""
    sample = load_sample()
    n = draw(st.integers(1, 6))
    first = draw(st.integers(0, BARS + 20 - n))
    rows = [
        {"time": ts.isoformat(), **{k: float(row[k]) for k in row.index}}
        for ts, row in sample.iloc[first : first + n].iterrows()
    ]
    at = draw(st.integers(0, n - 1))
    if kind == "duplicate" or (kind == "unsorted" and n == 1):
        rows.insert(draw(st.integers(0, n)), dict(rows[at]))
    elif kind == "unsorted":
        other = draw(st.integers(0, n - 1).filter(lambda i: i != at))
        rows[at], rows[other] = rows[other], rows[at]
    elif kind == "off_grid":
        shift = pd.Timedelta(seconds=draw(st.integers(1, 3599)))
        rows[at]["time"] = (pd.Timestamp(rows[at]["time"]) + shift).isoformat()
    elif kind == "not_finite":
        bad = draw(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
        rows[at][draw(st.sampled_from((*PRICES, "volume")))] = bad
    elif kind == "not_positive":
        rows[at][draw(st.sampled_from(PRICES))] = draw(st.sampled_from([0.0, -1.0, -1e-9]))
    else:
        rows[at]["high"], rows[at]["low"] = rows[at]["low"] - 1e-4, rows[at]["high"]
    return kind, {"symbol": "EURUSD", "timeframe": "H1", "bars": rows}


@pytest.mark.parametrize("kind", BREAKS)
def test_candle_bodies_that_break_the_contract_are_refused(
    fuzzed: tuple[str, Store], kind: str
) -> None:
    """Bodies that parse but break the candle contract (duplicates, unsorted, off-grid times,
    NaN/inf, prices <= 0, high < low) are a 422 naming the bar and field, never a 5xx (two
    bars at one time were a 500), and write nothing."""
    url, store = fuzzed
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operation = schema["/candles"]["POST"]
    before = CandleRepository(store).load("EURUSD", "H1")
    seen: set[str] = set()

    @given(broken=broken_candles(kind))
    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(broken: tuple[str, dict[str, Any]]) -> None:
        kind, body = broken
        case = operation.Case(body=json.dumps(body).encode(), media_type="application/json")
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error], timeout=60
        )
        assert response.status_code == 422, (kind, response.text)
        answer = response.json()
        assert answer["error"] == "CandleDataError" and answer["bar"] and answer["field"], answer
        seen.add(kind)

    fuzz()
    assert seen == {kind}
    pd.testing.assert_frame_equal(CandleRepository(store).load("EURUSD", "H1"), before)


def test_after_the_fuzzing_the_store_is_valid(fuzzed: tuple[str, Store]) -> None:
    """Runs after the fuzz test of this module: every stored series still meets the candle
    contract (a batch with one bad bar is refused whole), and the sample's bars are unchanged
    unless a whole valid batch replaced some of them."""
    _url, store = fuzzed
    repo = CandleRepository(store)
    for series in repo.series():
        validate_candles(repo.load(series.symbol, series.timeframe))
    frame = repo.load("EURUSD", "H1")
    assert len(frame) >= BARS
    for run in RunRepository(store).list(limit=1000):
        assert run["kind"] == "paper"
