"""``bench/compare.py``: a figure worse than its baseline beyond the tolerance fails the run,
in the direction that counts as worse; a missing result or baseline fails too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

COMPARE = Path(__file__).parents[2] / "bench" / "compare.py"


def _run(
    tmp_path: Path,
    speed: float,
    overhead: float | None,
    *extra: str,
    growth: tuple[float, float | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    soak = results / "soak.json"
    soak.unlink(missing_ok=True)
    if growth is not None:
        engine, paper = growth
        soak.write_text(json.dumps({"engine_rss_growth_mb": engine, "paper_rss_growth_mb": paper}))
    (results / "backtest.json").write_text(
        json.dumps(
            {
                "speed_ratio": speed,
                "event_engine_bars_per_s": 10_000.0,
                "backtesting_py_bars_per_s": 100_000.0,
            }
        )
    )
    inference = results / "inference.json"
    inference.unlink(missing_ok=True)
    if overhead is not None:
        inference.write_text(
            json.dumps(
                {"latency_ratio": overhead, "hung_model_return_s": 1.02, "per_model_timeout_s": 1.0}
            )
        )
    return subprocess.run(
        [
            sys.executable,
            str(COMPARE),
            "--profile",
            "quick",
            "--results",
            str(results),
            "--baseline",
            str(tmp_path / "baseline.json"),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_regressions_are_caught_in_the_right_direction(tmp_path: Path) -> None:
    assert _run(tmp_path, 10.0, 1.1).returncode == 2  # no baseline yet
    assert _run(tmp_path, 10.0, 1.1, "--update").returncode == 0
    stored = json.loads((tmp_path / "baseline.json").read_text())["quick"]
    assert stored["backtest: compiled speed / backtesting.py"] == 10.0
    assert _run(tmp_path, 10.0, 1.1).returncode == 0
    assert _run(tmp_path, 7.0, 1.1).returncode == 0  # slower, within 50 %
    assert _run(tmp_path, 20.0, 0.9).returncode == 0  # better is never a regression
    slower = _run(tmp_path, 6.0, 1.1)  # 10 / 6 = 1.67x worse
    assert slower.returncode == 1 and "compiled speed" in slower.stderr
    heavier = _run(tmp_path, 10.0, 1.8)  # lower is better here: 1.8 / 1.1 = 1.64x worse
    assert heavier.returncode == 1 and "engine call / direct call" in heavier.stderr
    missing = _run(tmp_path, 10.0, None)  # a benchmark that did not write its results
    assert missing.returncode == 2 and "missing results" in missing.stderr


def test_a_memory_growth_is_checked_against_its_goal_not_by_ratio(tmp_path: Path) -> None:
    """The soak's RSS growth is near zero, where a ratio to the baseline means nothing (0.1 MB
    to 0.3 MB is not a regression, and a 0 MB baseline would divide by zero): it fails only
    above its goal of 50 MB."""
    assert _run(tmp_path, 10.0, 1.1, "--update", growth=(0.0, 1.0)).returncode == 0
    assert _run(tmp_path, 10.0, 1.1, growth=(0.0, 1.0)).returncode == 0
    assert _run(tmp_path, 10.0, 1.1, growth=(3.0, 40.0)).returncode == 0  # 40x, under the goal
    over = _run(tmp_path, 10.0, 1.1, growth=(0.0, 60.0))
    assert over.returncode == 1 and "paper RSS MB growth" in over.stderr
    skipped = _run(tmp_path, 10.0, 1.1, growth=(0.0, None))  # a run without the paper soak
    assert skipped.returncode == 2 and "paper RSS MB growth" in skipped.stderr
