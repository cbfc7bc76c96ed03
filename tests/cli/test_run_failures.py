"""A run whose strategy raises is a failed run: stored ``failed`` with the cause and what it did
up to there, and the command exits 9 naming the run (through the real entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.backtest.walkforward import make_folds
from forex_diffusion.data.sample import load_sample
from tests.cli.test_cli import Result, fxd

ROOT = Path(__file__).resolve().parents[2]
AT = "2017-03-01T10:00:00+00:00"  # a bar of the sample


def failing(env: dict[str, str], *args: str) -> Result:
    """``fxd`` with the ``explode`` strategy registered (tests/cli/failing_fxd.py)."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.cli.failing_fxd", *args],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def show(env: dict[str, str], run_id: str) -> dict[str, object]:
    result = fxd(env, "runs", "show", run_id, "--json")
    assert result.code == 0, result.err
    return dict(json.loads(result.out))


@pytest.fixture
def sample_env(env: dict[str, str]) -> dict[str, str]:
    assert fxd(env, "data", "sample").code == 0
    return env


def test_a_backtest_whose_strategy_raises_is_stored_failed(sample_env: dict[str, str]) -> None:
    env = sample_env
    result = failing(
        env, "backtest", "EURUSD", "H1", "--strategy", "explode", "-p", f"at={AT}", "--run-id", "b1"
    )
    assert result.code == 9, result.err
    lines = result.err.strip().splitlines()
    assert lines[-1] == (f"error: run b1 failed: KeyError: 'boom' (EURUSD H1 bar {AT})"), result.err
    run = show(env, "b1")
    assert run["status"] == "failed"
    assert run["error"] == f"KeyError: 'boom' (EURUSD H1 bar {AT})"
    assert run["metrics"]["signal_errors"] == {}  # type: ignore[index]
    trades = run["trades"]
    assert isinstance(trades, list) and len(trades) > 0  # what it did up to there
    assert max(pd.Timestamp(t["exit_time"]) for t in trades) <= pd.Timestamp(AT)
    assert {t["exit_reason"] for t in trades[-1:]} <= {"run_failed", "reverse"}
    listed = fxd(env, "runs", "list")
    assert "b1" in listed.out and "failed" in listed.out


def test_walkforward_names_the_failed_fold_and_keep_going_stores_the_rest(
    sample_env: dict[str, str],
) -> None:
    env = sample_env
    candles = load_sample()
    fold2 = make_folds(len(candles), folds=3, train_bars=1000, purge=24)[1]
    at = candles.index[fold2.test_start + 500].isoformat()
    args = ["walkforward", "EURUSD", "H1", "--folds", "3", "--strategy", "explode"]
    args += ["-p", f"at={at}", "--engine", "serial"]
    stopped = failing(env, *args)
    assert stopped.code == 9, stopped.err
    assert "1 of 3 folds failed" in stopped.err and "fold 2" in stopped.err
    assert f"KeyError: 'boom' (EURUSD H1 bar {at})" in stopped.err
    kept = failing(env, *args, "--keep-going", "--json")
    assert kept.code == 0, kept.err
    study = json.loads(kept.out)
    assert [f["state"] for f in study["folds"]] == ["done", "failed", "done"]
    assert study["failed_folds"] == [
        {
            "fold": 2,
            "run_id": study["folds"][1]["run_id"],
            "error": f"KeyError: 'boom' (EURUSD H1 bar {at})",
        }
    ]
    assert show(env, study["run_id"])["status"] == "done"
    assert [show(env, f["run_id"])["status"] for f in study["folds"]] == [
        "done",
        "failed",
        "done",
    ]


def test_sweep_fails_with_its_failed_combinations_and_runs_show_reads_it(
    sample_env: dict[str, str], tmp_path: Path
) -> None:
    env = sample_env
    grid = tmp_path / "grid.toml"
    grid.write_text(
        f'strategy = "explode"\n[params]\nfast = [5, 10]\n[fixed]\nat = "{AT}"\n', encoding="utf-8"
    )
    result = failing(env, "sweep", "EURUSD", "H1", "--grid", str(grid), "--engine", "serial")
    assert result.code == 9, result.err
    assert "2 of 2 backtests failed" in result.err
    rid = result.err.split("error: run ")[1].split()[0]
    assert rid.startswith("sw-")
    shown = fxd(env, "runs", "show", rid)
    assert shown.code == 0, shown.err
    assert "FAILED run" in shown.out and "KeyError: 'boom'" in shown.out

    good = tmp_path / "good.toml"
    good.write_text('strategy = "sma_cross"\n[params]\nfast = [5, 10]\n', encoding="utf-8")
    ok = fxd(env, "sweep", "EURUSD", "H1", "--grid", str(good), "--engine", "serial", "--json")
    assert ok.code == 0, ok.err
    swept = json.loads(ok.out)
    shown = fxd(env, "runs", "show", swept["run_id"])  # was: internal error (KeyError)
    assert shown.code == 0, shown.err
    assert "2 backtests" in shown.out
    as_json = show(env, swept["run_id"])
    assert as_json["status"] == "done"


def test_a_paper_run_whose_strategy_raises_is_failed_not_running(
    sample_env: dict[str, str],
) -> None:
    env = sample_env
    result = failing(
        env,
        "paper",
        "start",
        "--run-id",
        "p1",
        "--symbol",
        "EURUSD",
        "--timeframe",
        "H1",
        "--strategy",
        "explode",
        "-p",
        f"at={AT}",
        "--until-idle",
    )
    assert result.code == 9, result.err
    assert result.err.strip().splitlines()[-1].startswith("error: run p1 failed: KeyError")
    run = show(env, "p1")
    assert run["status"] == "failed" and "KeyError: 'boom'" in str(run["error"])
    assert run["last_bar"] == pd.Timestamp(AT).strftime("%Y-%m-%d %H:%M")
