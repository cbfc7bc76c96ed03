"""The demo service on fewer bars and a tiny diffusion model: the sample imported, the model
trained and cached, its skill, the walk-forward study of the fused strategy stored with the
``[signals]`` it ran with, and the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forex_diffusion.api.app import create_app
from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.forecast.diffusion import DiffusionConfig, DiffusionPredictor
from forex_diffusion.services import demo as module
from forex_diffusion.services.demo import DemoRequest, demo
from forex_diffusion.services.forecast import fit_diffusion
from forex_diffusion.services.progress import Progress, silent
from forex_diffusion.storage import RunRepository, Store, TrainedModelRepository
from tests.api.http import call, serving

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TINY: dict[str, Any] = {"context": 16, "hidden": 16, "layers": 1, "context_dim": 8}
TINY["sampling_steps"] = 2


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quick demo on 1,100 bars with a tiny diffusion model."""

    def tiny(candles: Any, config: DiffusionConfig, *, progress: Progress = silent) -> Any:
        return fit_diffusion(candles, config.model_copy(update=TINY), progress=progress)

    monkeypatch.setattr(module, "QUICK_BARS", 1100)
    monkeypatch.setattr(module, "fit_diffusion", tiny)


@SQLITE
def test_the_quick_demo_stores_its_study_with_the_signals_section(
    store: Store, tmp_path: Path, small: None
) -> None:
    config = RootConfig(signals=SignalsConfig(threshold=0.5))
    labels: list[str] = []
    outcome = demo(
        store,
        config,
        DemoRequest(quick=True, folder=tmp_path, compare=True),
        progress=lambda label, done, total: labels.append(label),
    )
    assert outcome.sample.written.inserted == len(outcome.sample.candles) == 6225
    assert len(outcome.candles) == 1100
    assert outcome.candles.index[-1] == outcome.sample.candles.index[-1]
    assert not outcome.cached
    assert [s.horizon for s in outcome.crps] == [1, 4, 12, 24]
    assert all(s.diffusion > 0 and s.random_walk > 0 for s in outcome.crps)
    assert sum(outcome.patterns.values()) > 0
    assert {g.source for g in outcome.gate} <= {"forecast", "pattern"}
    assert all(0.0 <= g.passed <= 1.0 and g.signals > 0 for g in outcome.gate)
    assert {"training", "scanning patterns", "walk-forward folds (serial)"} <= set(labels)

    study = outcome.walkforward
    assert outcome.report == tmp_path / f"demo-{study.run_id}.html" and outcome.report.exists()
    runs = RunRepository(store)
    stored = runs.get(study.run_id)
    assert stored is not None and stored["kind"] == "walkforward" and stored["status"] == "done"
    assert stored["config"]["signals"]["threshold"] == 0.5
    trading = stored["config"]["trading"]
    assert trading["strategy"] == "fused"
    # the gate lives in [signals]: the fused strategy's own parameters only
    assert trading["strategy_params"] == {"forecaster": "bootstrap", "samples": 50, "epochs": 3}
    assert len(study.study.folds) == 2
    for fold in study.study.folds:
        run = runs.get(fold.result.run_id)
        assert run is not None and run["kind"] == "backtest"
        assert run["config"]["signals"]["threshold"] == 0.5
    # the folds trade the demo's bars: the last test bar is the sample's last bar
    assert study.summary["folds"][-1]["test_to"] == outcome.candles.index[-1].isoformat()
    # the comparison, end to end: every rule on the same folds, flat and random entries
    comparison = stored["metrics"]["comparison"]
    assert [r["rule"] for r in comparison["rows"]] == ["edge", "gate", "all", "flat"]
    edge = comparison["rows"][0]
    assert edge["trades"] == study.summary["trade_count"]
    assert comparison["random"]["seeds"] == module.QUICK_SEEDS
    assert 0 < comparison["random"]["p_value"] <= 1
    assert comparison["trials"] >= 3
    for fold in study.summary["folds"]:
        assert fold["decisions"]["decision"] == "edge"
        assert sum(fold["decisions"]["reasons"].values()) > 0
    page = outcome.report.read_text()
    assert "Decision rules compared on the same folds" in page and "Decision and meta-model" in page
    with serving(create_app(store, token="t")) as url:  # and the API serves it as stored
        code, body = call(f"{url}/runs/{study.run_id}", token="t")
    assert code == 200 and body["metrics"]["comparison"] == comparison

    model = TrainedModelRepository(store).latest("EURUSD", "H1")
    assert model is not None and Path(model["path"]).parent == tmp_path
    assert DiffusionPredictor.load(Path(model["path"])).horizons == (1, 4, 12, 24)
    # the same config and bars again: the checkpoint is loaded, not trained or registered
    _, cached = module._forecaster(store, outcome.candles, tmp_path, epochs=1, progress=silent)
    assert cached and TrainedModelRepository(store).latest("EURUSD", "H1") == model
