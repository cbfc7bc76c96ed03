from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core import ConfigError, ModelError
from forex_diffusion.data import load_sample
from forex_diffusion.forecast.baselines import baseline_estimators
from forex_diffusion.inference import ModelExecutor, ParallelInferenceEngine
from forex_diffusion.inference.aggregation import aggregate
from tests.inference.fakes import Counter, Garbage, Killer, Raiser, Sleeper


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_sample("EURUSD", "H1").iloc[:1500]


@pytest.fixture(scope="module")
def healthy(candles: pd.DataFrame) -> list[object]:
    three = ("random_walk", "garch_t", "bootstrap_rw")
    return [est.fit(candles.iloc[:1200]) for n, est in baseline_estimators().items() if n in three]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def test_bad_models_are_isolated_and_named(candles: pd.DataFrame, healthy: list[object]) -> None:
    models = [
        healthy[0],
        Sleeper(),
        Raiser(),
        healthy[1],
        Killer(),
        Garbage(),
        healthy[2],
        Garbage(model_id="garbage_text", kind="text"),
    ]
    with ParallelInferenceEngine(
        max_workers=2, per_model_timeout_s=1.5, global_timeout_s=30
    ) as engine:
        start = time.monotonic()
        result = engine.run(models, candles, num_samples=64, seed=3)
        elapsed = time.monotonic() - start
        status = {s.model_id: s for s in result.statuses}
        assert status["sleeper"].status == "timeout"
        assert status["raiser"].status == "error"
        assert status["raiser"].reason == "ValueError: boom"
        assert status["killer"].status == "crashed"
        assert status["killer"].reason == "killed by signal SIGKILL"
        assert status["garbage"].status == "invalid"
        assert "expected a Forecast, got ndarray" in str(status["garbage"].reason)
        assert status["garbage_text"].status == "invalid"
        assert sorted(result.contributed) == ["bootstrap_rw", "garch_t", "random_walk"]
        assert result.timed_out == ["sleeper"]
        assert set(result.failed) == {"raiser", "killer", "garbage", "garbage_text"}
        assert elapsed < 1.5 + 1.0 + 8.0  # one hung model costs its timeout, not more
        # the aggregate is the mean of the healthy models' own forecasts
        direct = [m.predict(candles, num_samples=64, seed=3) for m in healthy]  # type: ignore[attr-defined]
        expected = aggregate(direct, method="mean")
        assert result.forecast is not None
        np.testing.assert_allclose(result.forecast.quantiles, expected.quantiles, rtol=1e-12)
        # the engine is still usable afterwards, with fresh workers where it killed some
        again = engine.run(healthy, candles, num_samples=16)  # type: ignore[arg-type]
        assert [s.status for s in again.statuses] == ["ok", "ok", "ok"]
        metrics = engine.metrics()
        assert metrics["sleeper"]["timeouts"] == 1
        assert metrics["random_walk"]["ok"] == 2
        assert metrics["random_walk"]["latency_p50_s"] is not None


def test_hung_model_returns_within_its_timeout(candles: pd.DataFrame) -> None:
    with ParallelInferenceEngine(
        max_workers=1, per_model_timeout_s=0.5, global_timeout_s=30
    ) as engine:
        engine.run([Raiser()], candles)  # warm the worker up
        start = time.monotonic()
        result = engine.run([Sleeper()], candles)
        assert time.monotonic() - start < 0.5 + 1.0
        assert result.statuses[0].status == "timeout"
        assert result.forecast is None


def test_global_timeout_bounds_the_call(candles: pd.DataFrame) -> None:
    with ParallelInferenceEngine(
        max_workers=1, per_model_timeout_s=10, global_timeout_s=1.0
    ) as engine:
        engine.run([Raiser()], candles)  # warm the worker up
        start = time.monotonic()
        result = engine.run([Sleeper(), Sleeper(model_id="sleeper2")], candles)
        assert time.monotonic() - start < 1.0 + 1.0
        assert [s.status for s in result.statuses] == ["timeout", "timeout"]
        assert "global timeout" in str(result.statuses[1].reason)


def test_models_are_cached_and_evicted_least_recently_used(
    candles: pd.DataFrame, tmp_path: Path
) -> None:
    logs = {name: tmp_path / f"{name}.log" for name in "abc"}
    models = {name: Counter(path=str(p), model_id=f"counter_{name}") for name, p in logs.items()}

    def loads(name: str) -> int:
        return logs[name].read_text().count("load") if logs[name].exists() else 0

    with ParallelInferenceEngine(max_workers=1, cache_size=2, per_model_timeout_s=10) as engine:
        for _ in range(3):
            engine.run([models["a"]], candles)
        assert loads("a") == 1  # loaded once, then served from the cache
        engine.run([models["b"]], candles)
        engine.run([models["c"]], candles)  # evicts a (least recently used)
        engine.run([models["b"]], candles)  # b still cached
        engine.run([models["a"]], candles)  # a reloaded, evicts c
        engine.run([models["c"]], candles)  # c reloaded
        assert (loads("a"), loads("b"), loads("c")) == (2, 1, 2)


def test_memory_stays_bounded_over_many_cycles(
    candles: pd.DataFrame, healthy: list[object]
) -> None:
    with ParallelInferenceEngine(max_workers=2, per_model_timeout_s=10) as engine:
        for _ in range(20):
            engine.run(healthy, candles, num_samples=32)  # type: ignore[arg-type]
        before = rss_mb()
        for _ in range(150):
            result = engine.run(healthy, candles, num_samples=32)  # type: ignore[arg-type]
            assert result.forecast is not None
        assert rss_mb() - before < 50


def test_model_executor_with_a_checkpoint(candles: pd.DataFrame, tmp_path: Path) -> None:
    from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionEstimator

    tiny = DiffusionConfig(
        context=16,
        hidden=32,
        layers=1,
        context_dim=16,
        epochs=1,
        sampling_steps=4,
        val_origins=16,
        val_samples=8,
    )
    path = DiffusionEstimator(tiny).fit(candles.iloc[:600]).save(tmp_path / "m.pt")
    with ModelExecutor(path) as executor:
        forecast = executor.predict(candles, horizons=[4, 24], num_samples=16)
        assert forecast.horizons == (4, 24)
        assert forecast.quantiles.shape == (2, 19)
        assert executor.validation_crps() is not None
        with pytest.raises(ModelError, match="does not forecast horizons"):
            executor.predict(candles, horizons=[2])
    assert executor.predictor is None  # unloaded on exit
    with ParallelInferenceEngine(max_workers=1, per_model_timeout_s=20) as engine:
        result = engine.run(
            [path, path], candles, horizons=[1, 4], num_samples=16, method="crps_weighted"
        )
        assert [s.status for s in result.statuses] == ["ok", "ok"]
        assert result.forecast is not None
        assert result.forecast.horizons == (1, 4)


def test_aggregation_by_hand(candles: pd.DataFrame, healthy: list[object]) -> None:
    a, b = (m.predict(candles, num_samples=32) for m in healthy[:2])  # type: ignore[attr-defined]
    mean = aggregate([a, b])
    np.testing.assert_allclose(mean.quantiles, (a.quantiles + b.quantiles) / 2)
    weighted = aggregate([a, b], method="crps_weighted", val_crps=[1.0, 3.0])
    np.testing.assert_allclose(weighted.quantiles, 0.75 * a.quantiles + 0.25 * b.quantiles)
    median = aggregate([a, b, a], method="median")
    np.testing.assert_allclose(median.quantiles, a.quantiles)
    with pytest.raises(ModelError, match="nothing to aggregate"):
        aggregate([])
    with pytest.raises(ConfigError, match="at least 1"):
        ParallelInferenceEngine(max_workers=0)
