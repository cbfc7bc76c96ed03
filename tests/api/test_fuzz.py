"""Every API endpoint fuzzed from the app's own OpenAPI schema (schemathesis over real HTTP):
whatever arrives, the answer is never a server error, and a rejected write leaves the store as
it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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
