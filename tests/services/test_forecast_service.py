"""The forecaster services (train, forecast, evaluate) with a tiny diffusion model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forex_diffusion.core.config import RootConfig
from forex_diffusion.core.errors import ConfigError, DataError, ModelError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data import load_sample
from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionPredictor
from forex_diffusion.services.backtest import BacktestRequest, backtest
from forex_diffusion.services.config import with_strategy
from forex_diffusion.services.forecast import (
    EvaluateRequest,
    EvaluationProtocol,
    ForecastRequest,
    TrainRequest,
    evaluate,
    fit_diffusion,
    forecast,
    fused_fit_end,
    register_model,
    train,
    with_registered_checkpoint,
)
from forex_diffusion.storage import CandleRepository, Store, TrainedModelRepository

EURUSD, H1 = Symbol.parse("EURUSD"), Timeframe.H1
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TINY: dict[str, Any] = {"context": 16, "hidden": 16, "layers": 1, "context_dim": 8}
TINY["sampling_steps"] = 2


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample("EURUSD", "H1").iloc[:1000]


@pytest.fixture
def stored(store: Store, sample: pd.DataFrame) -> Store:
    CandleRepository(store).upsert("EURUSD", "H1", sample)
    return store


class Seen:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None]] = []

    def __call__(self, label: str, done: int, total: int | None) -> None:
        self.calls.append((label, done, total))


@SQLITE
def test_train_saves_and_registers_and_forecast_finds_it(stored: Store, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model registered for EURUSD H1"):
        forecast(stored, ForecastRequest(symbol=EURUSD, timeframe=H1))
    seen = Seen()
    request = TrainRequest(
        symbol=EURUSD,
        timeframe=H1,
        horizons=(4, 1, 4),
        epochs=1,
        out=tmp_path / "m.pt",
        options=TINY,
    )
    trained = train(stored, request, progress=seen)
    assert trained.path == tmp_path / "m.pt" and trained.path.is_file()
    assert trained.bars == 1000 and trained.epochs == 1 and trained.train_windows > 500
    assert trained.config.horizons == (1, 4) and trained.config.hidden == 16
    assert seen.calls[0] == ("training", 0, 1) and seen.calls[-1] == ("training", 1, 1)
    found = TrainedModelRepository(stored).latest("EURUSD", "H1")
    assert found is not None and found["model_id"] == trained.model_id
    assert Path(found["path"]) == trained.path.resolve()
    made = forecast(stored, ForecastRequest(symbol=EURUSD, timeframe=H1, samples=20))
    assert made.model_path == trained.path.resolve()
    summary = made.summary()
    assert summary["model_id"] == trained.model_id
    assert summary["origin"] == "2017-02-28T13:00:00+00:00"
    rows = summary["quantiles"]
    assert [r["horizon"] for r in rows] == [1, 4]
    for row in rows:
        values = [row[k] for k in ("q05", "q10", "q25", "q50", "q75", "q90", "q95")]
        assert values == sorted(values)


@SQLITE
def test_fit_diffusion_and_register_model_are_public(
    stored: Store, sample: pd.DataFrame, tmp_path: Path
) -> None:
    config = DiffusionConfig(horizons=(1, 4), epochs=1, **TINY)
    seen = Seen()
    predictor = fit_diffusion(sample, config, progress=seen)
    assert isinstance(predictor, DiffusionPredictor) and seen.calls[-1] == ("training", 1, 1)
    path = predictor.save(tmp_path / "fit.pt")
    register_model(predictor, sample, config, path, store=stored)
    row = TrainedModelRepository(stored).latest("EURUSD", "H1")
    assert row is not None and row["model_id"] == predictor.model_id
    assert row["path"] == str(path.resolve()) and row["metrics"]["epochs"] == 1


@SQLITE
def test_rolling_evaluation_scores_every_model(stored: Store) -> None:
    seen = Seen()
    request = EvaluateRequest(
        symbol=EURUSD, timeframe=H1, epochs=1, samples=16, step=12, options=TINY
    )
    outcome = evaluate(stored, request, progress=seen)
    table = outcome.table
    assert set(table["model"]) == {
        "diffusion",
        "diffusion+conformal",
        "diffusion+aci",
        "random_walk",
        "garch_t",
        "bootstrap_rw",
        "seasonal_rw",
    }
    assert outcome.fit_bars == 800 and outcome.origins == 15
    assert len(outcome.verdict) == 4 and outcome.verdict[0].startswith("h=1: diffusion")
    assert ("forecasting the test origins", 7, 7) in seen.calls


def test_requests_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="positive"):
        TrainRequest(symbol=EURUSD, timeframe=H1, horizons=(0, 4))
    with pytest.raises(ConfigError, match="diffusion model options"):
        TrainRequest(symbol=EURUSD, timeframe=H1, options={"hidden": 2}).diffusion_config()
    with pytest.raises(ConfigError, match="needs a symbol and a timeframe"):
        EvaluateRequest(symbol=EURUSD)
    with pytest.raises(ConfigError, match="needs the data file"):
        EvaluateRequest(protocol=EvaluationProtocol.EXCHANGE_RATE_NIPS)
    with pytest.raises(ConfigError, match="reads its bars from a store"):
        evaluate(None, EvaluateRequest(symbol=EURUSD, timeframe=H1))
    missing = EvaluateRequest(
        protocol=EvaluationProtocol.EXCHANGE_RATE_NIPS, data=tmp_path / "none.txt"
    )
    with pytest.raises(DataError, match="exchange_rate file not found"):
        evaluate(None, missing)


@SQLITE
def test_a_series_without_bars_is_a_data_error(store: Store) -> None:
    with pytest.raises(DataError, match="no EURUSD H1 candles in the store"):
        train(store, TrainRequest(symbol=EURUSD, timeframe=H1, epochs=1, options=TINY))
    with pytest.raises(DataError, match="no EURUSD H1 candles in the store"):
        forecast(store, ForecastRequest(symbol=EURUSD, timeframe=H1))


def _fused(**params: Any) -> RootConfig:
    return with_strategy(RootConfig(), "fused", params)


@SQLITE
def test_a_fused_run_forecasts_with_the_newest_model_fitted_before_its_fit_bars_end(
    stored: Store, sample: pd.DataFrame, tmp_path: Path
) -> None:
    def registered(end: int, horizons: tuple[int, ...], name: str) -> Path:
        config = DiffusionConfig(horizons=horizons, epochs=1, **TINY)
        predictor = fit_diffusion(sample.iloc[:end], config)
        path = predictor.save(tmp_path / name)
        register_model(predictor, sample.iloc[:end], config, path, store=stored)
        return path.resolve()

    early = registered(400, (1, 4, 12, 24), "early.pt")
    registered(300, (1, 4), "short.pt")  # newer, but its paths do not reach 24 bars
    late = registered(800, (1, 4, 12, 24), "late.pt")
    gone = registered(850, (1, 4, 12, 24), "gone.pt")
    gone.unlink()  # registered, but its file was deleted: skipped

    def picked(config: RootConfig, end: int) -> object:
        chosen = with_registered_checkpoint(stored, config, EURUSD, H1, fit_end=sample.index[end])
        return chosen.trading.strategy_params.get("checkpoint")

    assert picked(_fused(), 600) == str(early)  # the late one saw bars after the fit's end
    assert picked(_fused(), 900) == str(late)
    assert picked(_fused(), 200) is None  # none fitted that early: the run trains its own
    assert picked(_fused(forecaster="bootstrap"), 900) is None
    assert picked(_fused(checkpoint="mine.pt"), 900) == "mine.pt"  # named: kept
    assert picked(with_strategy(RootConfig(), "sma_cross"), 900) is None

    # where the fit ends: the first decision waits for fit_bars + fit_gap bars
    config = _fused(fit_bars=900, fit_gap=24)
    assert fused_fit_end(sample, 950, config) == sample.index[950 - 1 - 24]
    assert fused_fit_end(sample, 0, config) == sample.index[900 - 1]

    # a backtest picks it up, forecasts with it and stores which
    outcome = backtest(
        stored,
        RootConfig(),
        BacktestRequest(
            symbol=EURUSD,
            timeframe=H1,
            strategy="fused",
            params={"fit_bars": 900, "samples": 20},
            start=sample.index[950],
        ),
    )
    # the lookup's fit end is the strategy's own (the same rule, derived twice)
    trained = outcome.result.strategy.trained_until  # type: ignore[union-attr]
    assert trained == fused_fit_end(sample, 950, outcome.config)
    used = outcome.result.decisions["forecaster"]
    assert used.startswith(f"diffusion checkpoint {DiffusionPredictor.load(late).model_id}")
    assert outcome.config.trading.strategy_params["checkpoint"] == str(late)
