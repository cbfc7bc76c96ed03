"""``fxd sweep`` and ``fxd walkforward --engine ...`` through the real console script: the
same results on every engine, everything stored, bad grids refused before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import fxd

GRID = """
strategy = "sma_cross"

[params]
fast = [5, 10, 20]
slow = [50, 100]

[fixed]
units = 10000
stop_atr = 0.0
"""


@pytest.fixture
def sample_env(env: dict[str, str]) -> dict[str, str]:
    assert fxd(env, "data", "sample").code == 0
    return env


def test_sweep_ranks_and_stores_every_combination(
    sample_env: dict[str, str], tmp_path: Path
) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    args = ["sweep", "EURUSD", "H1", "--grid", str(grid), "--from", "2017-03-01", "--json"]
    serial = fxd(sample_env, *args, "--engine", "serial")
    assert serial.code == 0, serial.err
    local = fxd(sample_env, *args, "--engine", "local", "--workers", "2")
    assert local.code == 0, local.err
    a, b = json.loads(serial.out), json.loads(local.out)
    assert len(a["results"]) == 6 and a["metric"] == "sharpe"
    sharpe = [r["sharpe"] for r in a["results"]]
    assert sharpe == sorted(sharpe, reverse=True)
    drop = ("run_id",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in a["results"]] == [
        {k: v for k, v in r.items() if k not in drop} for r in b["results"]
    ]
    shown = fxd(sample_env, "runs", "show", a["results"][0]["run_id"], "--json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["kind"] == "backtest"
    listed = " ".join(fxd(sample_env, "runs", "list").out.split())
    assert a["run_id"] in listed and "sweep" in listed
    table = fxd(sample_env, "sweep", "EURUSD", "H1", "--grid", str(grid), "--top", "2")
    assert table.code == 0 and "best sharpe first" in " ".join(table.out.split())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('strategy = "sma_cross"\n[params]\nfast = 5\n', "params.fast must be a non-empty list"),
        ('strategy = "nope"\n[params]\nfast = [5]\n', "nope"),
        ('strategy = "sma_cross"\n[params]\nfast = [5]\nslow = [2]\n', "slow"),
        ('strategy = "sma_cross"\n[param]\nfast = [5]\n', "unknown keys ['param']"),
        ("strategy = \n", "not valid toml"),
    ],
)
def test_bad_grids_are_refused_naming_the_key(
    sample_env: dict[str, str], tmp_path: Path, text: str, message: str
) -> None:
    grid = tmp_path / "bad.toml"
    grid.write_text(text)
    result = fxd(sample_env, "sweep", "EURUSD", "H1", "--grid", str(grid))
    assert result.code != 0
    err = " ".join(result.err.split())
    assert str(grid) in err.replace(" ", "") or "bad.toml" in err
    assert message in err
    assert "sweep" not in " ".join(fxd(sample_env, "runs", "list").out.split())


@pytest.mark.slow
def test_walkforward_on_ray_equals_the_local_engine(
    sample_env: dict[str, str], tmp_path: Path
) -> None:
    ray_env = {
        **sample_env,
        "RAY_AUTH_MODE": "disabled",
        "FXD_RAY_TEMP_DIR": str(Path(__file__).parents[2] / ".work" / "ray"),
    }
    args = ["walkforward", "EURUSD", "H1", "--strategy", "donchian_breakout", "--folds", "3"]
    args += ["--train-bars", "800", "--json"]
    results = {}
    for engine in ("local", "ray"):
        run = fxd(ray_env, *args, "--engine", engine, "--workers", "2")
        assert run.code == 0, run.err
        results[engine] = json.loads(run.out)
    local, on_ray = results["local"], results["ray"]
    assert on_ray["engine"] == "ray" and local["engine"] == "local"
    assert local["metrics"] == on_ray["metrics"] and local["trade_count"] > 0
    for x, y in zip(local["folds"], on_ray["folds"], strict=True):
        assert {k: v for k, v in x.items() if k != "run_id"} == {
            k: v for k, v in y.items() if k != "run_id"
        }
