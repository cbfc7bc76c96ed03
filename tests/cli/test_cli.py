"""The ``fxd`` command through its real entry point (the installed console script)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.storage import Store
from tests.conftest import FIXTURES as FIXTURES_DIR
from tests.data.test_bad_input import CASES, write

FXD = shutil.which("fxd", path=str(Path(sys.executable).parent)) or "fxd"


@dataclass
class Result:
    code: int
    out: str
    err: str


def fxd(
    env: dict[str, str], *args: str, extra: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    proc = subprocess.run(
        [FXD, *args],
        capture_output=True,
        text=True,
        env={**env, **(extra or {})},
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def stored(env: dict[str, str]) -> list[dict[str, object]]:
    result = fxd(env, "data", "list", "--json")
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def snapshot(env: dict[str, str]) -> pd.DataFrame:
    """Every stored bar, read in-process (cheaper than a CLI call)."""
    store = Store(env["FXD_DATABASE_URL"])
    try:
        with store.engine.connect() as conn:
            return pd.read_sql_query("SELECT * FROM candles ORDER BY symbol, timeframe, ts", conn)
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the Dukascopy fixture, imported once through the CLI."""
    folder = tmp_path_factory.mktemp("seeded")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXD_")}
    env.update(
        FXD_DATABASE_URL=f"sqlite:///{folder / 'seed.sqlite'}", FXD_CONFIG=str(folder / "none.toml")
    )
    good = fxd(env, "data", "import", str(FIXTURES_DIR / "dukascopy_eurusd_h1.csv"), "-s", "EURUSD")
    assert good.code == 0, good.err
    return folder / "seed.sqlite"


COMMANDS = [
    [],
    ["db"],
    ["db", "upgrade"],
    ["db", "current"],
    ["data"],
    ["data", "import"],
    ["data", "list"],
    ["data", "show"],
    ["data", "resample"],
    ["data", "sample"],
    ["demo"],
    ["signals"],
    ["signals", "generate"],
    ["signals", "stats"],
    ["paper"],
    ["paper", "start"],
    ["paper", "resume"],
    ["runs"],
    ["runs", "list"],
    ["serve"],
    ["runs", "show"],
    ["backtest"],
    ["walkforward"],
    ["sweep"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "fxd" for c in COMMANDS])
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    result = fxd(env, *command, "--help")
    assert result.code == 0, result.err
    assert "Usage: fxd" in result.out


def test_version_and_module_entry_point(env: dict[str, str]) -> None:
    assert fxd(env, "--version").out.startswith("fxd ")
    proc = subprocess.run(
        [sys.executable, "-m", "forex_diffusion", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "Usage" in proc.stdout


FIXTURES = [
    ("dukascopy_eurusd_h1.csv", "EURUSD", "H1", 48, []),
    ("histdata_eurusd_m1_dst.csv", "EURUSD", "M1", 12, ["--format", "histdata"]),
    ("mt4_eurusd_h1.csv", "EUR/USD", "H1", 24, ["--format", "mt4", "--tz", "Europe/Helsinki"]),
    ("generic_usdjpy_m15_epoch_ms.csv", "USDJPY", "M15", 16, ["--format", "csv"]),
    ("generic_gbpusd_h4_iso_semicolon.csv", "GBPUSD", "H4", 12, ["-t", "4h"]),
    ("mt5_eurusd_d1_tab.csv", "EURUSD", "D1", 10, []),
]


@pytest.mark.parametrize(
    ("name", "symbol", "tf", "bars", "args"), FIXTURES, ids=[f[0] for f in FIXTURES]
)
def test_import_each_fixture_format(
    env: dict[str, str],
    fixtures_dir: Path,
    name: str,
    symbol: str,
    tf: str,
    bars: int,
    args: list[str],
) -> None:
    path = str(fixtures_dir / name)
    result = fxd(env, "data", "import", path, "--symbol", symbol, *args)
    assert result.code == 0, result.err
    assert f"imported {symbol.replace('/', '')} {tf} from {path}: {bars} bars ({bars} new" in (
        " ".join(result.out.split())
    )
    again = fxd(env, "data", "import", path, "-s", symbol, *args)
    assert f"(0 new, 0 updated, {bars} unchanged)" in " ".join(again.out.split())
    [series] = stored(env)
    assert (series["symbol"], series["timeframe"], series["bars"]) == (
        symbol.replace("/", ""),
        tf,
        bars,
    )


@pytest.mark.parametrize(("case", "content", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_one_line_error_nonzero_exit_nothing_written(
    env: dict[str, str],
    seeded_store: Path,
    tmp_path: Path,
    case: str,
    content: list[str] | bytes,
    pattern: str,
) -> None:
    shutil.copy(seeded_store, tmp_path / "cli.sqlite")
    before = snapshot(env)
    assert len(before) == 48
    path = write(tmp_path, content)
    result = fxd(env, "data", "import", str(path), "--symbol", "EURUSD", "--timeframe", "H1")
    assert result.code == 3, (case, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err  # one line, no traceback
    assert lines[0].startswith(f"error: {path}")
    assert re.search(pattern, " ".join(result.err.split())), result.err
    assert "Traceback" not in result.err
    pd.testing.assert_frame_equal(snapshot(env), before)


def test_timeframe_contradiction_and_usage_errors(env: dict[str, str], fixtures_dir: Path) -> None:
    path = str(fixtures_dir / "mt4_eurusd_h1.csv")
    result = fxd(env, "data", "import", path, "-s", "EURUSD", "-t", "M15")
    assert result.code == 3
    assert "most common spacing is 1h, not one M15 bar" in result.err
    assert fxd(env, "data", "import", path, "-s", "EURUSD", "-t", "H7").code == 4
    assert fxd(env, "data", "import", path, "-s", "EURUSDX").code == 4
    assert fxd(env, "data", "import", path).code == 2  # missing --symbol: click usage error
    assert stored(env) == []


def test_debug_shows_the_traceback(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path, b"")
    plain = fxd(env, "data", "import", str(path), "-s", "EURUSD")
    debug = fxd(env, "--debug", "data", "import", str(path), "-s", "EURUSD")
    assert plain.code == debug.code == 3
    assert "Traceback" not in plain.err
    assert "Traceback" in debug.err and "CandleDataError" in debug.err


def test_config_errors_exit_4_naming_the_key(env: dict[str, str], tmp_path: Path) -> None:
    result = fxd(env, "data", "list", extra={"FXD_STORAGE__NOPE": "1"})
    assert result.code == 4
    assert "key 'storage.nope'" in result.err
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[storage]\necho = "maybe"\n')
    result = fxd(env, "--config", str(cfg), "data", "list")
    assert result.code == 4 and "bad.toml: key 'storage.echo'" in result.err


def test_dry_run_writes_nothing(env: dict[str, str], fixtures_dir: Path) -> None:
    path = str(fixtures_dir / "dukascopy_eurusd_h1.csv")
    result = fxd(env, "data", "import", path, "-s", "EURUSD", "--dry-run")
    assert result.code == 0 and "48 valid EURUSD H1 bars" in result.out
    assert stored(env) == []


def test_serve_stays_on_this_machine_unless_told(env: dict[str, str]) -> None:
    refused = fxd(env, "serve", "--host", "0.0.0.0")
    assert refused.code == 4 and "--allow-remote" in refused.err


def test_serve_answers_over_http_and_never_logs_the_token(env: dict[str, str]) -> None:
    import socket
    import time
    import urllib.request

    assert fxd(env, "data", "sample").code == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "tok-" + "x" * 20
    proc = subprocess.Popen(
        [FXD, "serve", "--port", str(port)],
        env={**env, "FXD_API__TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=5) as r:
                    assert json.loads(r.read())["status"] == "ready"
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/symbols", timeout=5) as r:
            assert json.loads(r.read())[0]["bars"] == 6225
        bar = {"time": "2018-01-01T22:00:00Z", "open": 1.2, "high": 1.21, "low": 1.19, "close": 1.2}
        request = urllib.request.Request(
            f"{base}/candles",
            data=json.dumps({"symbol": "EURUSD", "timeframe": "H1", "bars": [bar]}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert json.loads(r.read())["inserted"] == 1
        with urllib.request.urlopen(f"{base}/dashboard", timeout=5) as r:
            page = r.read().decode()
        assert "/dashboard/plotly.min.js" in page and "https://" not in page  # no CDN
        with urllib.request.urlopen(f"{base}/dashboard/plotly.min.js", timeout=10) as r:
            assert len(r.read()) > 1_000_000
        start = urllib.request.Request(
            f"{base}/paper",
            data=json.dumps({"symbol": "EURUSD", "timeframe": "H1", "run_id": "srv"}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(start, timeout=30) as r:
            assert r.status == 201 and json.loads(r.read())["trading"] is True
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert "serving on" in output and "/dashboard" in output and token not in output


def test_demo_quick_runs_the_whole_job(env: dict[str, str], tmp_path: Path) -> None:
    result = fxd(env, "demo", "--quick", "--out", str(tmp_path / "demo"))
    assert result.code == 0, result.err
    text = " ".join(result.out.replace("│", " ").split())
    assert "diffusion model trained now" in text
    assert "CRPS h=24 (pips): diffusion / random walk" in text
    assert "confirmed patterns candle" in text and "quality gate: passed" in text
    [report] = list((tmp_path / "demo").glob("demo-wf-*.html"))
    assert report.name in result.out.replace("\n", "")  # the summary names the report
    html = report.read_text()
    assert re.search(r"<script[^>]*\bsrc=", html) is None and "Plotly.newPlot" in html
    assert "pattern" in html and "max_drawdown" in html
    listed = " ".join(fxd(env, "runs", "list").out.split())
    assert "walkforward" in listed and "backtest" in listed  # the folds are stored runs
    again = fxd(env, "demo", "--quick", "--out", str(tmp_path / "demo"))
    assert again.code == 0 and "cached checkpoint" in again.out  # the model is reused


def test_demo_list_show_resample_and_db(env: dict[str, str]) -> None:
    demo = fxd(env, "data", "sample")
    assert demo.code == 0, demo.err
    assert "6,225 (6,225 new" in demo.out
    assert "2017-01-01 22:00" in demo.out and "2017-12-29 21:00" in demo.out
    assert "2 (63 bars)" in demo.out  # the Christmas gaps; weekends are not gaps
    assert "6,225 (0 new, 6,225 already stored)" in fxd(env, "data", "sample").out
    [series] = stored(env)
    assert series["bars"] == 6225 and series["gaps"] == 2 and series["missing_bars"] == 63

    show = fxd(env, "data", "show", "EURUSD", "H1", "--last", "2", "--json")
    rows = json.loads(show.out)
    assert [r["time"] for r in rows] == ["2017-12-29T20:00:00+00:00", "2017-12-29T21:00:00+00:00"]
    assert rows[-1]["close"] == 1.20075
    table = fxd(env, "data", "show", "EURUSD", "H1", "-n", "3")
    assert "1.20075" in table.out and "2017-12-29 21:00" in table.out
    assert fxd(env, "data", "show", "GBPUSD", "H1").code == 3

    resampled = fxd(env, "data", "resample", "EURUSD", "H1", "D1", "--anchor", "new_york")
    assert resampled.code == 0, resampled.err
    daily = [s for s in stored(env) if s["timeframe"] == "D1"]
    assert daily and daily[0]["first"] == "2017-01-01T22:00:00+00:00"

    assert "already at revision" in fxd(env, "db", "upgrade").out
    assert "up to date" in fxd(env, "db", "current").out


def test_indicators_command(env: dict[str, str]) -> None:
    from forex_diffusion.data import load_sample
    from forex_diffusion.features import calculate_indicators

    assert fxd(env, "data", "sample").code == 0
    result = fxd(
        env,
        "indicators",
        "EURUSD",
        "H1",
        "--spec",
        "rsi_14,macd",
        "--last",
        "3",
        "--json",
        "--backend",
        "numpy",
    )
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    expected = calculate_indicators(load_sample(), "rsi_14,macd").iloc[-3:]
    assert [r["time"] for r in rows] == [t.isoformat() for t in expected.index]
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        for col in expected.columns:
            assert row[col] == pytest.approx(want[col], rel=1e-9)
    table = fxd(env, "indicators", "EURUSD", "H1", "--spec", "atr_14", "-n", "2")
    assert "atr_14" in table.out and "2017-12-29 21:00" in table.out
    bad = fxd(env, "indicators", "EURUSD", "H1", "--spec", "rsl_14")
    assert bad.code == 4 and "did you mean 'rsi'" in bad.err
    assert "keltner" in fxd(env, "indicators", "--list").out
    assert fxd(env, "indicators").code == 2


def test_patterns_command(env: dict[str, str]) -> None:
    from forex_diffusion.data import load_sample
    from forex_diffusion.patterns import PatternRegistry

    assert fxd(env, "data", "sample").code == 0
    result = fxd(env, "patterns", "EURUSD", "H1", "--last", "5", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    expected = PatternRegistry().scan(load_sample()).tail(5)
    assert [(r["pattern_key"], r["confirm_ts"]) for r in rows] == [
        (k, t.isoformat())
        for k, t in zip(expected["pattern_key"], expected["confirm_ts"], strict=True)
    ]
    snapshot_before = len(PatternRegistry().scan(load_sample()))
    again = fxd(env, "patterns", "EURUSD", "H1", "--min-score", "0.6", "-n", "3")
    assert again.code == 0, again.err
    assert f"of {snapshot_before:,} pattern events" in " ".join(again.out.split())
    store = Store(env["FXD_DATABASE_URL"])
    with store.engine.connect() as conn:
        count = pd.read_sql_query("SELECT COUNT(*) AS n FROM pattern_events", conn)["n"][0]
    store.dispose()
    assert count == snapshot_before  # re-scans replace, never duplicate
    bad = fxd(env, "patterns", "EURUSD", "H1", "--kinds", "candles")
    assert bad.code == 4 and "unknown pattern kind" in bad.err
    scan = fxd(env, "patterns", "scan", "EURUSD", "H1", "-n", "1", "--json")
    assert scan.code == 0 and json.loads(scan.out) == rows[-1:]  # the same command, named
    stats = fxd(env, "patterns", "stats", "EURUSD", "H1", "--baselines", "1", "--json")
    assert stats.code == 0, stats.err
    report = json.loads(stats.out)
    keys = {r["pattern_key"]: r for r in report["keys"]}
    assert report["spread"] > 0 and "double_top" in keys
    assert {"events", "hit_rate", "baseline_hit_rate", "edge"} <= set(keys["double_top"])
    assert fxd(env, "patterns", "stats", "EURUSD", "H1", "--kinds", "wav").code == 4


def test_train_forecast_evaluate(env: dict[str, str], tmp_path: Path) -> None:
    assert fxd(env, "data", "sample").code == 0
    assert fxd(env, "forecast", "EURUSD", "H1").code == 6  # no model yet: a model error
    model = tmp_path / "model.pt"
    trained = fxd(
        env, "train", "EURUSD", "H1", "--epochs", "2", "--horizons", "1,4", "--out", str(model)
    )
    assert trained.code == 0, trained.err
    assert model.is_file()
    assert "trained diffusion-" in trained.out
    result = fxd(env, "forecast", "EURUSD", "H1", "--json", "--samples", "50")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["origin"] == "2017-12-29T21:00:00+00:00"
    assert [q["horizon"] for q in data["quantiles"]] == [1, 4]
    assert all(q["q05"] <= q["q50"] <= q["q95"] for q in data["quantiles"])
    table = fxd(env, "evaluate", "EURUSD", "H1", "--epochs", "2", "--step", "48", "--samples", "32")
    assert table.code == 0, table.err
    for name in ("diffusion", "random_walk", "garch_t", "bootstrap_rw"):
        assert name in table.out
    assert "h=24: diffusion " in table.out and "best baseline" in table.out
    assert fxd(env, "train", "EURUSD", "H1", "--horizons", "x").code == 4


def test_evaluate_exchange_rate_protocol(env: dict[str, str], tmp_path: Path) -> None:
    from tests.forecast.test_exchange_rate import synthetic_file

    data = synthetic_file(tmp_path, rho=0.5)
    args = ("evaluate", "--protocol", "exchange_rate_nips", "--epochs", "1", "--samples", "20")
    result = fxd(env, *args, "--data", str(data), "--json", timeout=300)  # 8 series x 5 models
    assert result.code == 0, result.err
    rows = {r["model"]: r for r in json.loads(result.out)}
    assert set(rows) >= {"diffusion", "diffusion_joint", "gaussian_rw_joint_250d", "random_walk"}
    for name in ("diffusion", "diffusion_joint", "gaussian_rw_joint_250d", "random_walk"):
        assert 0 < rows[name]["mean_wql"] < 0.1 and 0 < rows[name]["crps_sum"] < 0.1, name
    assert fxd(env, *args).code != 0  # no --data


def test_signals_generate_and_stats(env: dict[str, str], tmp_path: Path) -> None:
    assert fxd(env, "data", "sample").code == 0
    missing = fxd(env, "signals", "stats", "EURUSD", "H1")
    assert missing.code == 3 and "fxd signals generate EURUSD H1" in missing.err
    feed = tmp_path / "sentiment.csv"
    feed.write_text(
        "time,symbol,long_pct\n"
        + "".join(
            f"2017-{m:02d}-{d:02d}T12:00:00Z,EURUSD,{30 + (d * 7) % 45}\n"
            for m in range(7, 13)
            for d in range(1, 29)
        )
    )
    made = fxd(
        env,
        "signals",
        "generate",
        "EURUSD",
        "H1",
        "--forecaster",
        "bootstrap",
        "--sentiment",
        str(feed),
        "--run",
        "study1",
    )
    assert made.code == 0, made.err
    assert "run study1:" in made.out
    result = fxd(env, "signals", "stats", "EURUSD", "H1", "--json")
    assert result.code == 0, result.err
    stats = json.loads(result.out)
    assert stats["run_id"] == "study1"
    assert set(stats["dimensions"]) >= {
        "pattern_strength",
        "mtf_agreement",
        "regime_confidence",
        "volume_confirmation",
        "sentiment_alignment",
        "correlation_safety",
        "composite",
    }
    moving = {k for k, d in stats["dimensions"].items() if d["std"] > 0}
    assert moving >= {
        "pattern_strength",
        "mtf_agreement",
        "regime_confidence",
        "volume_confirmation",
        "sentiment_alignment",
        "correlation_safety",
    }
    assert set(stats["pass_rate_by_source"]) == {"forecast", "pattern"}
    assert all(0 < rate < 1 for rate in stats["pass_rate_by_source"].values())
    assert {"passed", "rejected"} <= set(stats["hit_rates"])
    assert stats["hit_rates"]["passed"]["resolved"] > 100
    assert stats["comparison"]["clusters"] > 100  # decision days of the test half-year
    for key in ("hit_rate", "expectancy_r"):
        c = stats["comparison"][key]
        assert 0 < c["p_value"] < 1 and c["detectable_difference"] > 0
    assert set(stats["comparison_by_source"]) == {"forecast", "pattern"}
    table = fxd(env, "signals", "stats", "EURUSD", "H1", "--run", "study1")
    assert table.code == 0 and "passed - rejected hit rate" in table.out
    assert "expectancy (R)" in table.out and "decision days" in table.out
    bad = fxd(env, "signals", "stats", "EURUSD", "H1", "--run", "nope")
    assert bad.code == 3 and "no signals run 'nope'" in bad.err
    bad_feed = tmp_path / "bad.csv"
    bad_feed.write_text("time,symbol,long_pct\n2017-07-01,EURUSD,150\n")
    broken = fxd(
        env,
        "signals",
        "generate",
        "EURUSD",
        "H1",
        "--forecaster",
        "none",
        "--sentiment",
        str(bad_feed),
    )
    assert broken.code == 3 and "line 2, column 'long_pct'" in broken.err
