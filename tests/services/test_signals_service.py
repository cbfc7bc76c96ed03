"""The signal study and statistics services on a stored slice of the bundled sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.errors import ConfigError, DataError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data import load_sample
from forex_diffusion.services.signals import (
    Forecaster,
    SignalStatsRequest,
    SignalStudyRequest,
    signal_stats,
    signal_study,
    stored_spread_pips,
)
from forex_diffusion.storage import CandleRepository, FusedSignalRepository, RunRepository, Store

EURUSD, H1 = Symbol.parse("EURUSD"), Timeframe.H1
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The study's figures do not depend on the backend (the storage tests cover both)."""


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """1,700 bars: 1,105 to fit on (``fit_fraction`` 0.65), 595 to decide on."""
    return load_sample("EURUSD", "H1").iloc[:1700]


@pytest.fixture
def stored(store: Store, sample: pd.DataFrame) -> Store:
    CandleRepository(store).upsert("EURUSD", "H1", sample)
    return store


def _root(**signals: float) -> RootConfig:
    return RootConfig(signals=SignalsConfig(fit_fraction=0.65, **signals))


def _request(**fields: object) -> SignalStudyRequest:
    given: dict[str, Any] = {"forecaster": Forecaster.NONE, **fields}
    return SignalStudyRequest(symbol=EURUSD, timeframe=H1, **given)


@SQLITE
def test_the_signals_threshold_moves_the_gate_and_is_stored(stored: Store) -> None:
    low = signal_study(stored, _root(threshold=0.5), _request(run_id="low"))
    high = signal_study(stored, _root(threshold=0.8), _request(run_id="high"))
    # the same candidates (their correlation safety follows what the gate let through before)
    assert low.count == high.count > 300
    assert [(d.signal.timestamp, d.signal.direction) for d in low.study.decisions] == [
        (d.signal.timestamp, d.signal.direction) for d in high.study.decisions
    ]
    assert 0 < high.passed < low.passed < low.count
    for outcome, threshold in ((low, 0.5), (high, 0.8)):
        assert outcome.signals.threshold == threshold
        assert all(
            d.score.passed == (d.score.composite >= threshold) for d in outcome.study.decisions
        )
        run = RunRepository(stored).get(outcome.run_id)
        assert run is not None and run["status"] == "done" and run["kind"] == "signals"
        config = run["config"]
        assert config["signals"] == outcome.signals.model_dump(mode="json")
        assert config["signals"]["threshold"] == threshold and "trading" in config
        assert (config["forecaster"], config["model_id"]) == ("none", None)
        assert run["metrics"]["passed"] == outcome.passed
        assert run["metrics"]["source_errors"] == outcome.study.source_errors == {}
        saved = FusedSignalRepository(stored).load(EURUSD, H1, run_id=outcome.run_id)
        assert len(saved) == outcome.count
    assert (
        RunRepository(stored).get("low")["config_hash"]  # type: ignore[index]
        != RunRepository(stored).get("high")["config_hash"]  # type: ignore[index]
    )
    # an option of the request overrides the config's field
    again = signal_study(stored, _root(threshold=0.5), _request(threshold=0.8))
    assert again.passed == high.passed and again.signals.threshold == 0.8
    assert again.run_id.startswith("sg-")


@SQLITE
def test_a_bootstrap_study_forecasts_and_reports_progress(stored: Store) -> None:
    seen: dict[str, tuple[int, int | None]] = {}

    def progress(label: str, done: int, total: int | None) -> None:
        seen[label] = (done, total)

    outcome = signal_study(
        stored,
        _root(),
        _request(forecaster=Forecaster.BOOTSTRAP, samples=20, run_id="boot"),
        progress=progress,
    )
    assert {d.signal.source for d in outcome.study.decisions} == {"forecast", "pattern"}
    assert outcome.model_id is not None
    assert seen["forecasting"] == (595, 595) and seen["fusing bar by bar"] == (595, 595)
    config = RunRepository(stored).get("boot")["config"]  # type: ignore[index]
    assert (config["forecaster"], config["model_id"]) == ("bootstrap", outcome.model_id)
    stats = signal_stats(stored, SignalStatsRequest(symbol=EURUSD, timeframe=H1))
    assert stats.run_id == "boot"  # the newest signals run of the series
    summary = stats.summary()
    assert summary["run_id"] == "boot" and summary["count"] == outcome.count
    assert set(summary["pass_rate_by_source"]) == {"forecast", "pattern"}


@SQLITE
def test_what_fails_fails_before_a_run_is_stored(
    stored: Store, sample: pd.DataFrame, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,symbol,long_pct\n2017-07-01,EURUSD,150\n")
    with pytest.raises(DataError, match="line 2, column 'long_pct'"):
        signal_study(stored, _root(), _request(sentiment=bad))
    with pytest.raises(DataError, match="at least 1000 fit bars"):
        signal_study(stored, _root(), _request(fit_fraction=0.5))  # 850 fit bars
    with pytest.raises(DataError, match="no GBPUSD H1 candles"):
        signal_study(
            stored, _root(), SignalStudyRequest(symbol=Symbol.parse("GBPUSD"), timeframe=H1)
        )
    assert RunRepository(stored).list() == []
    with pytest.raises(ConfigError, match="threshold"):
        _request(threshold=1.5)
    with pytest.raises(ConfigError, match="fit fraction"):
        _request(fit_fraction=1.0)


@SQLITE
def test_stats_of_missing_runs_are_data_errors(stored: Store) -> None:
    with pytest.raises(DataError, match="run `fxd signals generate EURUSD H1`"):
        signal_stats(stored, SignalStatsRequest(symbol=EURUSD, timeframe=H1))
    with pytest.raises(DataError, match="no signals run 'nope'"):
        signal_stats(stored, SignalStatsRequest(symbol=EURUSD, timeframe=H1, run_id="nope"))


def test_the_stored_spread_comes_from_the_signals_section_first() -> None:
    assert stored_spread_pips({"signals": {"spread_pips": 3.0}, "spread_pips": 2.0}) == 3.0
    assert stored_spread_pips({"spread_pips": 2.0}) == 2.0  # a run stored before the section
    assert stored_spread_pips({"signals": {}}) == stored_spread_pips(None) == 1.0
