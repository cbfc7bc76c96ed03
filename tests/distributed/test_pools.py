"""The task pools: the same results in task order on every engine, Ray included (a local Ray
instance with 2 CPUs, its temp dir in the work tree)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.backtest.sweep import SweepGrid, SweepOutcome, SweepTask, run_sweep_task
from forex_diffusion.backtest.walkforward import make_folds, run_walkforward
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.trading_config import TradingConfig
from forex_diffusion.data import load_sample
from forex_diffusion.distributed import pools
from forex_diffusion.distributed.pools import map_tasks

GRID = SweepGrid(
    strategy="sma_cross",
    params={"fast": [5, 10, 20], "slow": [40, 80]},
    fixed={"units": 10_000, "stop_atr": 0.0},
)


def _tasks() -> list[SweepTask]:
    candles = load_sample()
    config = TradingConfig(strategy="sma_cross")
    return [
        SweepTask(
            symbol="EURUSD",
            timeframe="H1",
            candles=candles.iloc[500:],
            warmup=candles.iloc[:500],
            config=config,
            params=params,
            costs=True,
            run_id=f"sw-{n}",
        )
        for n, params in enumerate(GRID.combinations())
    ]


def _same(a: list[SweepOutcome], b: list[SweepOutcome]) -> None:
    assert [o.params for o in a] == [o.params for o in b] == GRID.combinations()
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.result.trades, y.result.trades, check_exact=True)
        pd.testing.assert_series_equal(x.result.equity, y.result.equity, check_exact=True)
        assert x.result.metrics == y.result.metrics
        assert x.result.strategy is None  # detached: what crossed a process boundary


def _fail_on_three(n: int) -> int:
    if n == 3:
        raise ConfigError("task 3 is bad")
    return n * n


def test_serial_and_process_pool_agree_in_task_order() -> None:
    tasks = _tasks()
    done: list[int] = []
    serial = map_tasks(run_sweep_task, tasks, engine="serial", on_done=done.append)
    assert done == list(range(len(tasks)))
    local = map_tasks(run_sweep_task, tasks, engine="local", workers=2)
    _same(serial, local)
    assert len({len(o.result.trades) for o in serial}) > 1  # the parameters matter
    assert {o.result.engine for o in serial} == {"compiled"}


def test_errors_and_options() -> None:
    with pytest.raises(ConfigError, match="task 3 is bad"):
        map_tasks(_fail_on_three, [1, 2, 3], engine="local", workers=2)
    with pytest.raises(ConfigError, match="task 3 is bad"):
        map_tasks(_fail_on_three, [1, 2, 3], engine="serial")
    with pytest.raises(ConfigError, match="--ray-address needs --engine ray"):
        map_tasks(_fail_on_three, [1], engine="local", ray_address="auto")
    with pytest.raises(ConfigError, match="unknown engine"):
        map_tasks(_fail_on_three, [1, 2], engine="dask", workers=2)  # type: ignore[arg-type]
    assert map_tasks(_fail_on_three, [], engine="ray") == []


def test_ray_temp_dir_stays_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FXD_RAY_TEMP_DIR", raising=False)
    inside = (tmp_path / ".work" / "ray").resolve()
    chosen = pools.ray_temp_dir(tmp_path)
    if len(str(inside)) <= 60:
        assert chosen == inside and chosen.is_dir()
    deep = pools.ray_temp_dir(tmp_path / ("x" * 80))  # too long for Ray's sockets
    assert deep != (tmp_path / ("x" * 80) / ".work" / "ray").resolve()
    assert len(str(deep)) <= 60 and deep.is_dir()


@pytest.mark.slow
def test_a_sweep_and_a_walkforward_on_ray_equal_the_local_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("FXD_RAY_TEMP_DIR", str(Path(__file__).parents[2] / ".work" / "ray"))
    tasks = _tasks()
    local = map_tasks(run_sweep_task, tasks, engine="local", workers=2)
    done: list[int] = []
    on_ray = map_tasks(run_sweep_task, tasks, engine="ray", workers=2, on_done=done.append)
    _same(local, on_ray)
    assert sorted(done) == list(range(len(tasks)))

    import ray

    assert not ray.is_initialized()  # the instance it started is shut down
    with pytest.raises(ConfigError, match="task 3 is bad"):  # the task's own error
        map_tasks(_fail_on_three, [1, 2, 3], engine="ray", workers=2)
    candles = load_sample().iloc[:3000]
    folds = make_folds(len(candles), folds=3, train_bars=600, purge=24)
    config = TradingConfig(
        strategy="donchian_breakout", strategy_params={"units": 10_000, "stop_atr": 0.0}
    )

    def study(engine: pools.Engine) -> list[pd.DataFrame]:
        wf = run_walkforward(
            candles,
            symbol="EURUSD",
            timeframe="H1",
            config=config,
            folds=folds,
            horizon=24,
            record=True,
            mapper=lambda fn, items: map_tasks(fn, items, engine=engine, workers=2),
        )
        # every test bar, and the close at the end
        assert [len(f.records) for f in wf.folds] == [f.test_end - f.test_start + 1 for f in folds]
        return [wf.trades, wf.equity.to_frame()]

    for x, y in zip(study("serial"), study("ray"), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
