"""``fxd data import`` never silently rewrites bars a run has traded: refused (exit 4, the
file and bar named) unless ``--correction``, which records every replaced bar."""

from __future__ import annotations

from pathlib import Path

from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import CandleRepository, Store
from tests.cli.test_cli import fxd


def test_import_refuses_to_rewrite_traded_bars_unless_a_correction(
    env: dict[str, str], tmp_path: Path
) -> None:
    candles = load_sample().loc["2017-11-01":"2017-11-30"]
    original = tmp_path / "nov.csv"
    candles.rename_axis("time").to_csv(original)
    assert fxd(env, "data", "import", str(original), "-s", "EURUSD").code == 0
    paper = fxd(
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
        "sma_cross",
        "--until-idle",
    )
    assert paper.code == 0, paper.err
    assert fxd(env, "data", "import", str(original), "-s", "EURUSD").code == 0  # unchanged: ok

    changed = candles.copy()
    changed.iloc[100, changed.columns.get_loc("close")] += 0.0001
    changed.iloc[100, changed.columns.get_loc("high")] += 0.0001
    edited = tmp_path / "nov-fixed.csv"
    changed.rename_axis("time").to_csv(edited)
    refused = fxd(env, "data", "import", str(edited), "-s", "EURUSD")
    assert refused.code == 4, refused.err
    line = refused.err.strip().splitlines()[-1]
    assert str(edited) in line and "run p1 has traded" in line
    assert candles.index[100].strftime("%Y-%m-%d %H:%M") in line

    store = Store(env["FXD_DATABASE_URL"])
    try:
        stored = CandleRepository(store).load("EURUSD", "H1")
        assert stored["close"].iloc[100] == candles["close"].iloc[100]  # nothing written
        fixed = fxd(
            env, "data", "import", str(edited), "-s", "EURUSD", "--correction", "--reason", "feed"
        )
        assert fixed.code == 0, fixed.err
        assert "1 recorded as corrections" in fixed.out
        log = CandleRepository(store).corrections("EURUSD", "H1")
        assert len(log) == 1 and log[0]["reason"] == "feed"
        assert log[0]["old"]["close"] == candles["close"].iloc[100]
    finally:
        store.dispose()
