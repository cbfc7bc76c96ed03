"""Time options take ISO 8601 only (no offset: UTC) and messages about spans never say None."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.cli.times import parse_time, time_span
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.data.sample import load_sample
from forex_diffusion.services.series import span_words
from forex_diffusion.storage import CandleRepository, RunRepository, Store
from tests.cli.test_cli import fxd

UTC = "UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-09-01", "2017-09-01 00:00"),
        ("2017-09-01T12:00", "2017-09-01 12:00"),
        ("2017-09-01 12:00", "2017-09-01 12:00"),
        ("2017-09-01T12:00:30", "2017-09-01 12:00:30"),
        ("2017-09-01T12:00Z", "2017-09-01 12:00"),
        ("2017-09-01T12:00+01:00", "2017-09-01 11:00"),
        ("2017-09-01 12:00-05:00", "2017-09-01 17:00"),
        (" 2017-09-01 ", "2017-09-01 00:00"),
    ],
)
def test_iso_forms_are_read_as_utc(text: str, expected: str) -> None:
    ts = parse_time(text, option="--from")
    assert ts == pd.Timestamp(expected, tz=UTC)
    assert ts is not None and str(ts.tz) == UTC


@pytest.mark.parametrize(
    "text", ["01/09/2017", "09-01-2017", "1.9.2017", "yesterday", "2017-9-1", "20170901", ""]
)
def test_ambiguous_and_other_forms_are_refused_naming_option_value_and_forms(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_time(text, option="--to")
    message = str(caught.value)
    assert message.startswith(f"--to {text!r}: not an ISO 8601 time; use YYYY-MM-DD")
    assert "+01:00" in message and "\n" not in message


def test_impossible_dates_and_reversed_spans_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"--from '2017-02-30': not a valid time"):
        parse_time("2017-02-30", option="--from")
    with pytest.raises(ConfigError, match="--to 2017-01-01 is before --from 2017-06-01"):
        time_span("2017-06-01", "2017-01-01")
    assert time_span(None, None) == (None, None)


def test_span_words_never_say_none() -> None:
    day = pd.Timestamp("2018-06-01", tz=UTC)
    noon = pd.Timestamp("2018-06-02 12:00", tz=UTC)
    assert span_words(day, None) == "after 2018-06-01"
    assert span_words(None, noon) == "before 2018-06-02 12:00"
    assert span_words(day, noon) == "between 2018-06-01 and 2018-06-02 12:00"
    assert span_words(None, None) == ""


def test_backtest_outside_the_stored_bars_says_where_they_are(
    env: dict[str, str], tmp_path: Path
) -> None:
    sample = load_sample()
    store = Store(env["FXD_DATABASE_URL"])  # seeded in-process: faster than an import
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", sample)
    store.dispose()
    held = f"{sample.index[0]:%Y-%m-%d %H:%M} to {sample.index[-1]:%Y-%m-%d %H:%M} UTC"
    after = fxd(env, "backtest", "EURUSD", "H1", "--from", "2018-06-01")
    assert after.code == 3, after.err
    assert "None" not in after.err
    assert f"no EURUSD H1 bars after 2018-06-01: the store holds {held}" in after.err
    before = fxd(env, "backtest", "EURUSD", "H1", "--to", "2010-01-01")
    assert before.code == 3 and "no EURUSD H1 bars before 2010-01-01" in before.err
    month_first = fxd(env, "backtest", "EURUSD", "H1", "--from", "01/09/2017")
    assert month_first.code == 4
    assert month_first.err.startswith("error: --from '01/09/2017': not an ISO 8601 time")
    assert len(month_first.err.strip().splitlines()) == 1
    grid = tmp_path / "grid.toml"
    grid.write_text('strategy = "sma_cross"\n[params]\nfast = [3, 5]\n')
    swept = fxd(env, "sweep", "EURUSD", "H1", "--grid", str(grid), "--from", "2018-06-01")
    assert swept.code == 3 and "no EURUSD H1 bars after 2018-06-01: the store" in swept.err
    reversed_span = fxd(env, "backtest", "EURUSD", "H1", "--from", "2017-06", "--to", "2017-01-01")
    assert reversed_span.code == 4 and "--from '2017-06': not an ISO 8601 time" in reversed_span.err
    reversed_span = fxd(
        env, "backtest", "EURUSD", "H1", "--from", "2017-06-01", "--to", "2017-01-01"
    )
    assert reversed_span.code == 4
    assert "--to 2017-01-01 is before --from 2017-06-01" in reversed_span.err
    none = fxd(env, "backtest", "GBPUSD", "H1", "--from", "2017-01-02")
    assert none.code == 3 and "no GBPUSD H1 candles in the store" in none.err


def test_a_run_without_one_symbol_is_shown_without_none(env: dict[str, str]) -> None:
    store = Store(env["FXD_DATABASE_URL"])
    store.ensure_schema()
    config = {"symbols": ["EURUSD", "GBPUSD"]}
    runs = RunRepository(store)
    runs.create(kind="sweep", config_hash="h", config=config, timeframe="H1", run_id="sw-two")
    runs.create(kind="signals", config_hash="h", run_id="bare")
    store.dispose()
    two = fxd(env, "runs", "show", "sw-two")
    assert two.code == 0, two.err
    assert "on EURUSD, GBPUSD H1" in two.out and "None" not in two.out
    bare = fxd(env, "runs", "show", "bare")
    assert bare.code == 0 and "None" not in bare.out
