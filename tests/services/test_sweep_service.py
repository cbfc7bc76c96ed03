"""The sweep service: every combination stored as a backtest run under one sweep run, each
with the ``[trading]`` and ``[signals]`` sections it ran with, both in its hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forex_diffusion.backtest.sweep import SweepGrid
from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.errors import ConfigError, DataError, RunFailedError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data import load_sample
from forex_diffusion.services.sweep import SweepRequest, SweepStudy, sweep
from forex_diffusion.storage import CandleRepository, RunRepository, Store

EURUSD, H1 = Symbol.parse("EURUSD"), Timeframe.H1
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
GRID = SweepGrid("sma_cross", {"fast": [5, 10]}, {"slow": 30})


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample("EURUSD", "H1").iloc[:800]


@pytest.fixture
def stored(store: Store, sample: pd.DataFrame) -> Store:
    CandleRepository(store).upsert("EURUSD", "H1", sample)
    return store


def _run(store: Store, config: RootConfig, **fields: Any) -> SweepStudy:
    request = SweepRequest(symbols=[EURUSD], timeframe=H1, grid=GRID, engine="serial", **fields)
    return sweep(store, config, request)


@SQLITE
def test_each_backtest_stores_the_signals_it_ran_with_and_hashes_them(stored: Store) -> None:
    seen: list[tuple[str, int, int | None]] = []
    default = sweep(
        stored,
        RootConfig(),
        SweepRequest(symbols=[EURUSD], timeframe=H1, grid=GRID, engine="serial"),
        progress=lambda label, done, total: seen.append((label, done, total)),
    )
    assert seen[0] == ("2 backtests (serial)", 0, 2) and seen[-1] == ("2 backtests (serial)", 2, 2)
    strict = _run(stored, RootConfig(signals=SignalsConfig(threshold=0.8)))
    runs = RunRepository(stored)
    for study, threshold in ((default, SignalsConfig().threshold), (strict, 0.8)):
        swept = runs.get(study.run_id)
        assert swept is not None and swept["kind"] == "sweep" and swept["status"] == "done"
        assert swept["config"]["signals"]["threshold"] == threshold
        assert swept["config"]["grid"]["strategy"] == "sma_cross"
        assert swept["metrics"]["results"] == study.rows and len(study.rows) == 2
        for row in study.rows:
            run = runs.get(row["run_id"])
            assert run is not None and run["kind"] == "backtest"
            assert run["config"]["sweep"] == study.run_id
            assert run["config"]["signals"]["threshold"] == threshold
            assert run["config"]["trading"]["strategy"] == "sma_cross"
    a, b = ({r["param.fast"]: _hash(runs, r["run_id"]) for r in s.rows} for s in (default, strict))
    assert set(a) == set(b) == {5, 10}
    assert all(a[k] != b[k] for k in a)  # the same trading, another gate: another hash
    assert a[5] != a[10]  # the parameters are in it too
    assert _hash(runs, default.run_id) != _hash(runs, strict.run_id)


def _hash(runs: RunRepository, run_id: str) -> str:
    run = runs.get(run_id)
    assert run is not None
    return str(run["config_hash"])


@SQLITE
def test_a_grid_file_is_loaded_and_the_figures_ranked(stored: Store, tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text('strategy = "sma_cross"\n[params]\nfast = [5, 10]\n[fixed]\nslow = 30\n')
    study = _run(stored, RootConfig(), metric="max_drawdown")
    from_file = sweep(
        stored,
        RootConfig(),
        SweepRequest(
            symbols=[EURUSD], timeframe=H1, grid=grid, engine="serial", metric="max_drawdown"
        ),
    )
    assert from_file.grid.params == {"fast": [5, 10]} and from_file.grid.fixed == {"slow": 30}
    drawdowns = [r["max_drawdown"] for r in study.rows]
    assert drawdowns == sorted(drawdowns)
    assert study.summary()["failed"] == [] and study.summary()["metric"] == "max_drawdown"


@SQLITE
def test_no_bars_in_the_span_is_a_data_error_before_any_run(stored: Store) -> None:
    with pytest.raises(DataError, match="no EURUSD H1 bars after 2030-01-01"):
        _run(stored, RootConfig(), start=pd.Timestamp("2030-01-01", tz="UTC"))
    with pytest.raises(ConfigError, match="at least one symbol"):
        SweepRequest(symbols=[], timeframe=H1, grid=GRID)
    assert RunRepository(stored).list() == []


@SQLITE
def test_failed_backtests_are_stored_then_raised_unless_keep_going(
    stored: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forex_diffusion.backtest import sweep as module

    gates: list[float] = []

    def broken(task: module.SweepTask) -> module.SweepOutcome:
        from forex_diffusion.backtest.runner import BacktestResult

        gates.append(task.signals.threshold)
        result = BacktestResult.failure(task.run_id, "boom", initial=100_000.0)
        return module.SweepOutcome(task.symbol, dict(task.params), result)

    monkeypatch.setattr("forex_diffusion.services.sweep.run_sweep_task", broken)
    with pytest.raises(RunFailedError, match="2 of 2 backtests failed") as raised:
        _run(stored, RootConfig())
    runs = RunRepository(stored)
    failed = runs.get(raised.value.run_id)
    assert failed is not None and failed["status"] == "failed"
    assert [f["error"] for f in failed["metrics"]["failed"]] == ["boom", "boom"]
    kept = _run(stored, RootConfig(signals=SignalsConfig(threshold=0.8)), keep_going=True)
    assert gates == [SignalsConfig().threshold] * 2 + [0.8] * 2  # every task gets [signals]
    assert [f.error for f in kept.failed] == ["boom", "boom"]
    assert _status(runs, kept.run_id) == "done"
    assert {_status(runs, f.run_id) for f in kept.failed} == {"failed"}


def _status(runs: RunRepository, run_id: str) -> str:
    run = runs.get(run_id)
    assert run is not None
    return str(run["status"])
