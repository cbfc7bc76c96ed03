"""``fxd paper start`` and ``resume`` without --until-idle say that they wait for new bars and
how to stop them; Ctrl-C then stops them with the way to continue."""

from __future__ import annotations

import signal
import subprocess
import time

from forex_diffusion.data.sample import load_sample
from tests.cli.test_cli import FXD, fxd
from tests.cli.test_paper_cli import _last_bar, paper_env  # noqa: F401 (the fixture)

WAITING = (
    "trading the stored bars, then waiting for new ones (looking every 0.2 s); Ctrl-C stops it"
)


def _until_idle_then_interrupt(env: dict[str, str], run_id: str, *args: str) -> str:
    """Run ``fxd paper ARGS`` (no --until-idle), wait for its first lines and until it has
    traded the last stored bar, press Ctrl-C, and return its output."""
    last_ms = int(load_sample().index[-1].value // 1_000_000)
    proc = subprocess.Popen(
        [FXD, "paper", *args, "--poll", "0.2"],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        head = [proc.stdout.readline(), proc.stdout.readline()]  # the run, then how it runs
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if _last_bar(env["FXD_DATABASE_URL"], run_id) == last_ms:
                break
            time.sleep(0.05)
        time.sleep(1.0)  # in the loop, looking for new bars
        assert proc.poll() is None, "the run ended by itself"
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(
                f"still running 60 s after Ctrl-C; its output: {out[-1500:]!r} {err[-1500:]!r}"
            ) from None
    finally:
        if proc.poll() is None:  # it did not stop: kill it, and close its pipes (no leak into
            proc.kill()  # later tests' warnings)
            proc.communicate()
    assert proc.returncode == 0, err
    return "".join(head) + out


def test_without_until_idle_it_says_it_waits_and_how_to_stop(
    paper_env: dict[str, str],  # noqa: F811 (the fixture)
) -> None:
    start = ["start", "--run-id", "w1", "--symbol", "EURUSD", "--timeframe", "H1"]
    out = _until_idle_then_interrupt(paper_env, "w1", *start, "--from", "2017-12-20")
    assert WAITING in " ".join(out.split())
    assert "`fxd paper resume w1` continues it later" in out
    assert "interrupted; continue with `fxd paper resume w1`" in out
    resumed = _until_idle_then_interrupt(paper_env, "w1", "resume", "w1")
    assert WAITING in " ".join(resumed.split())
    quiet = fxd(paper_env, "paper", "resume", "w1", "--until-idle")
    assert quiet.code == 0 and "waiting for new ones" not in quiet.out
