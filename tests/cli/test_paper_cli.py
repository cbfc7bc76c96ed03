"""``fxd paper`` and ``fxd runs`` through the real console script, kill -9 included."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import CandleRepository, Store
from tests.cli.test_cli import FXD, fxd

PARAMS = ["--param", "fast=5", "--param", "slow=20", "--from", "2017-09-01"]


@pytest.fixture
def paper_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXD_")}
    config = tmp_path / "fxd.toml"
    config.write_text("[trading.risk]\nmax_drawdown = 0.9\ndaily_loss_limit = 0.5\n")
    env.update(
        FXD_DATABASE_URL=f"sqlite:///{tmp_path / 'paper.sqlite'}",
        FXD_CONFIG=str(config),
        COLUMNS="200",
    )
    store = Store(env["FXD_DATABASE_URL"])  # seeded in-process: faster than an import
    store.ensure_schema()
    CandleRepository(store).upsert("EURUSD", "H1", load_sample())
    store.dispose()
    return env


def _last_bar(url: str, run_id: str) -> int | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT last_bar_ts FROM runs WHERE run_id = :r"), {"r": run_id}
            ).scalar()
    finally:
        engine.dispose()


def _trades(env: dict[str, str], run_id: str) -> dict[str, object]:
    shown = fxd(env, "runs", "show", run_id, "--json")
    assert shown.code == 0, shown.err
    return dict(json.loads(shown.out))


def test_kill_9_then_resume_gives_the_same_trades(paper_env: dict[str, str]) -> None:
    whole = fxd(
        paper_env,
        "paper",
        "start",
        "--run-id",
        "whole",
        "--symbol",
        "EURUSD",
        "--timeframe",
        "H1",
        "--strategy",
        "sma_cross",
        *PARAMS,
        "--until-idle",
    )
    assert whole.code == 0, whole.err
    reference = _trades(paper_env, "whole")
    assert len(reference["trades"]) > 10  # type: ignore[arg-type]

    proc = subprocess.Popen(
        [
            FXD,
            "paper",
            "start",
            "--run-id",
            "killed",
            "--symbol",
            "EURUSD",
            "--timeframe",
            "H1",
            "--strategy",
            "sma_cross",
            *PARAMS,
            "--until-idle",
        ],
        env=paper_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    start_ms = 1504224000000  # 2017-09-01
    target = start_ms + random.Random().randint(10, 60) * 86_400_000
    deadline = time.monotonic() + 120
    url = paper_env["FXD_DATABASE_URL"]
    while time.monotonic() < deadline and proc.poll() is None:
        last = _last_bar(url, "killed")
        if last is not None and last >= target:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _last_bar(url, "killed")
    final = _last_bar(url, "whole")
    assert killed_at is not None and final is not None and killed_at < final
    assert _trades(paper_env, "whole")["status"] == "stopped"  # its process ended normally
    assert _trades(paper_env, "killed")["status"] == "interrupted"  # its process is gone
    listed = fxd(paper_env, "runs", "list", "--kind", "paper")
    assert re.search(r"killed\s.*interrupted", listed.out), listed.out

    resumed = fxd(paper_env, "paper", "resume", "killed", "--until-idle")
    assert resumed.code == 0, resumed.err
    assert "resumed after" in resumed.out
    assert _trades(paper_env, "killed")["status"] == "stopped"
    again = _trades(paper_env, "killed")
    assert again["trades"] == reference["trades"]
    assert len(again["orders"]) == len(reference["orders"])  # type: ignore[arg-type]
    ids = [o["client_order_id"] for o in again["orders"]]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))
    assert again["metrics"]["net_pnl"] == pytest.approx(reference["metrics"]["net_pnl"])  # type: ignore[index]


def test_runs_list_show_and_errors(paper_env: dict[str, str]) -> None:
    got = fxd(
        paper_env,
        "paper",
        "start",
        "--run-id",
        "r1",
        "--symbol",
        "EURUSD",
        "--timeframe",
        "H1",
        "--strategy",
        "donchian_breakout",
        "--from",
        "2017-11-01",
        "--until-idle",
    )
    assert got.code == 0, got.err
    listed = fxd(paper_env, "runs", "list")
    assert listed.code == 0 and "r1" in listed.out and "donchian_breakout" in listed.out
    shown = _trades(paper_env, "r1")
    assert set(shown) >= {"trades", "orders", "metrics"}
    trade = shown["trades"][0]  # type: ignore[index]
    assert set(trade) >= {
        "entry_time",
        "exit_time",
        "direction",
        "entry_price",
        "exit_price",
        "units",
        "pnl",
        "source",
    }
    assert all("client_order_id" in o for o in shown["orders"])  # type: ignore[attr-defined]
    table = fxd(paper_env, "runs", "show", "r1")
    assert table.code == 0 and "profit factor" in table.out
    missing = fxd(paper_env, "runs", "show", "nope")
    assert missing.code == 5 and "no run 'nope'" in missing.err
    bad = fxd(
        paper_env,
        "paper",
        "start",
        "--run-id",
        "r2",
        "--symbol",
        "EURUSD",
        "--timeframe",
        "H1",
        "--param",
        "fast",
        "--until-idle",
    )
    assert bad.code == 4 and "expected name=value" in bad.err
    unknown = fxd(
        paper_env,
        "paper",
        "start",
        "--run-id",
        "r3",
        "--symbol",
        "EURUSD",
        "--timeframe",
        "H1",
        "--strategy",
        "sma_cros",
        "--until-idle",
    )
    assert unknown.code == 4 and "did you mean 'sma_cross'" in unknown.err
    assert fxd(paper_env, "paper", "resume", "r9").code == 5


def test_backtest_json_costs_and_errors(paper_env: dict[str, str]) -> None:
    args = [
        "backtest",
        "EURUSD",
        "H1",
        "--strategy",
        "sma_cross",
        "--param",
        "stop_atr=0",
        "--param",
        "units=10000",
        "--from",
        "2017-06-01",
        "--to",
        "2017-09-30",
        "--json",
    ]
    with_costs = fxd(paper_env, *args)
    assert with_costs.code == 0, with_costs.err
    a = json.loads(with_costs.out)
    assert {"run_id", "trade_count", "net_pips", "metrics", "pnl_by_source"} <= set(a)
    assert a["trade_count"] > 10 and set(a["pnl_by_source"]) == {"sma_cross"}
    free = json.loads(fxd(paper_env, *args, "--costs", "none").out)
    assert free["trade_count"] == a["trade_count"]
    assert all(v == 0 for v in free["metrics"]["costs"].values())
    assert a["metrics"]["costs"]["spread_cost"] > 0 and a["metrics"]["costs"]["commission"] > 0
    assert free["metrics"]["net_pnl"] > a["metrics"]["net_pnl"]
    shown = _trades(paper_env, a["run_id"])
    assert shown["kind"] == "backtest" and len(shown["trades"]) == a["trade_count"]  # type: ignore[arg-type]
    report = Path(paper_env["FXD_DATABASE_URL"].removeprefix("sqlite:///")).parent / "r.html"
    table = fxd(
        paper_env,
        "backtest",
        "EURUSD",
        "H1",
        "--strategy",
        "donchian_breakout",
        "--report",
        str(report),
    )
    assert table.code == 0 and "sharpe" in table.out and "P&L from donchian_breakout" in table.out
    assert "<h2>Equity and drawdown</h2>" in report.read_text(encoding="utf-8")
    bad = fxd(paper_env, "backtest", "EURUSD", "H1", "--from", "yesterday-ish")
    assert bad.code == 4 and "--from 'yesterday-ish'" in bad.err
    none = fxd(paper_env, "backtest", "GBPUSD", "H1")
    assert none.code == 3 and "no GBPUSD H1 candles" in none.err


def test_walkforward_folds_json_and_purge_check(paper_env: dict[str, str]) -> None:
    got = fxd(
        paper_env,
        "walkforward",
        "EURUSD",
        "H1",
        "--folds",
        "3",
        "--strategy",
        "donchian_breakout",
        "--train-bars",
        "500",
        "--embargo",
        "6",
        "--json",
    )
    assert got.code == 0, got.err
    wf = json.loads(got.out)
    assert [f["fold"] for f in wf["folds"]] == [1, 2, 3]
    assert wf["trade_count"] == sum(f["trade_count"] for f in wf["folds"]) > 0
    for f in wf["folds"]:
        assert f["train_to"] < f["test_from"] and f["gap_bars"] == 30
        assert _trades(paper_env, f["run_id"])["kind"] == "backtest"
    assert {"sharpe", "max_drawdown", "total_return"} <= set(wf["metrics"])
    short = fxd(paper_env, "walkforward", "EURUSD", "H1", "--purge", "5")
    assert short.code == 4 and "shorter than the label horizon" in short.err
