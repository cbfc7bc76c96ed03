"""Every forecaster goes through the arguments' checks of ``Predictor.predict_batch``."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import DataError
from forex_diffusion.core.events import Forecast
from forex_diffusion.data import load_sample
from forex_diffusion.forecast.base import ForecastRequest, Predictor
from forex_diffusion.forecast.baselines import baseline_estimators
from forex_diffusion.forecast.conformal import AdaptiveConformal, ConformalPredictor
from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

TINY = DiffusionConfig(context=16, hidden=16, layers=1, context_dim=8, epochs=1, sampling_steps=2)


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_sample("EURUSD", "H1").iloc[:400]


@pytest.fixture(scope="module")
def predictors(candles: pd.DataFrame) -> dict[str, Predictor]:
    out: dict[str, Predictor] = {
        name: estimator.fit(candles) for name, estimator in baseline_estimators().items()
    }
    out["diffusion"] = DiffusionEstimator(TINY).fit(candles)
    for name in ("random_walk", "diffusion"):
        factors = dict.fromkeys(out[name].horizons, 1.5)
        out[f"{name}+conformal"] = ConformalPredictor(base=out[name], factors=factors, level=0.8)
        out[f"{name}+aci"] = AdaptiveConformal(out[name])
    return out


def _concrete(cls: type) -> set[type]:
    found = {cls} if not inspect.isabstract(cls) else set()
    for sub in cls.__subclasses__():
        found |= _concrete(sub)
    return found


def test_every_forecaster_is_covered_and_keeps_the_shared_entry_points(
    predictors: dict[str, Predictor],
) -> None:
    assert _concrete(Predictor) == {type(p) for p in predictors.values()}
    for predictor in predictors.values():
        assert type(predictor).predict_batch is Predictor.predict_batch
        assert type(predictor).predict is Predictor.predict


@pytest.mark.parametrize("origin", [400, -401, 0])
def test_a_bad_origin_is_the_same_error_for_every_forecaster(
    predictors: dict[str, Predictor], candles: pd.DataFrame, origin: int
) -> None:
    for predictor in predictors.values():
        need = predictor.min_history
        message = (
            f"forecast origins must lie in [{need - 1}, {len(candles) - 1}] "
            f"(the model needs {need} bars of history)"
        )
        with pytest.raises(DataError, match=re.escape(message)):
            predictor.predict_batch(candles, [300, origin], num_samples=4)
        with pytest.raises(DataError, match=re.escape(message.replace("399", str(need - 2)))):
            predictor.predict(candles.iloc[: need - 1], num_samples=4)


def test_noise_is_checked_before_any_model_runs(
    predictors: dict[str, Predictor], candles: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, predictor in predictors.items():

        def never(request: ForecastRequest) -> list[Forecast]:
            raise AssertionError("the model ran on arguments the base should refuse")

        monkeypatch.setattr(predictor, "_forecasts", never)
        if predictor.takes_noise:
            with pytest.raises(ValueError, match=r"noise must have shape .* = \(2, 4, 24\)"):
                predictor.predict_batch(candles, [300, 350], num_samples=4, noise=np.zeros(3))
        else:
            with pytest.raises(TypeError, match="takes no noise"):
                predictor.predict_batch(candles, [300], num_samples=4, noise=np.zeros((1, 4, 24)))
        assert predictor.takes_noise == (name == "diffusion")


def test_the_models_see_the_checked_positions(
    predictors: dict[str, Predictor], candles: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    for predictor in predictors.values():
        seen: list[ForecastRequest] = []

        def record(request: ForecastRequest, seen: list[ForecastRequest] = seen) -> list[Forecast]:
            seen.append(request)
            return []

        monkeypatch.setattr(predictor, "_forecasts", record)
        predictor.predict_batch(candles, [300, -1], num_samples=7, seed=None)
        with pytest.raises(IndexError):  # no forecast came back
            predictor.predict(candles.iloc[:350], num_samples=5)
        first, last = seen
        assert first.positions.tolist() == [300, 399]
        assert (first.num_samples, first.seed, first.noise) == (7, None, None)
        assert last.positions.tolist() == [349] and last.seed == 0
