"""Fuzzing the candle loaders: mutated files of every format and random bytes. Whatever the
file holds, a loader returns a frame that meets the candle contract or raises one of the
project's errors with a one-line message naming the file; nothing else escapes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forex_diffusion.core.errors import ForexDiffusionError
from forex_diffusion.data import load_candles, validate_candles

SEEDS = {
    "dukascopy": [
        "Time,Open,High,Low,Close,Volume",
        "02.01.2017 00:00:00.000,1.05283,1.05283,1.05268,1.05281,131",
        "02.01.2017 01:00:00.000,1.05282,1.05286,1.05225,1.05240,273",
        "02.01.2017 02:00:00.000,1.05239,1.05244,1.05198,1.05218,214",
    ],
    "histdata": [
        "20170102 000000;1.052830;1.052830;1.052680;1.052810;0",
        "20170102 000100;1.052820;1.052860;1.052250;1.052400;0",
        "20170102 000200;1.052390;1.052440;1.051980;1.052180;0",
    ],
    "mt4": [
        "2017.01.02,00:00,1.05283,1.05283,1.05268,1.05281,131",
        "2017.01.02,01:00,1.05282,1.05286,1.05225,1.05240,273",
        "2017.01.02,02:00,1.05239,1.05244,1.05198,1.05218,214",
    ],
    "csv": [
        "time,open,high,low,close,volume",
        "2017-01-02T00:00:00Z,1.05283,1.05283,1.05268,1.05281,131",
        "2017-01-02T01:00:00Z,1.05282,1.05286,1.05225,1.05240,273",
        "2017-01-02T02:00:00Z,1.05239,1.05244,1.05198,1.05218,214",
    ],
}
FORMATS = [*SEEDS, "auto"]
NOISE = st.text(
    alphabet=st.sampled_from(list("0123456789.,;:-+ eE\tTZnaifNI\"'\r\x00é")), max_size=12
)


def _check(path: Path, fmt: str) -> None:
    try:
        frame = load_candles(path, format=fmt)
    except ForexDiffusionError as exc:
        message = str(exc)
        assert "\n" not in message.strip(), message
        assert path.name in message, message
        return
    validate_candles(frame)  # what comes back meets the contract


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    fmt = draw(st.sampled_from(list(SEEDS)))
    lines = list(SEEDS[fmt])
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(0, len(lines) - 1))
        line = lines[row]
        kind = draw(st.sampled_from(["replace", "delete", "duplicate", "swap", "truncate"]))
        if kind == "replace":
            start = draw(st.integers(0, len(line)))
            end = draw(st.integers(start, min(len(line), start + 8)))
            lines[row] = line[:start] + draw(NOISE) + line[end:]
        elif kind == "delete":
            del lines[row]
            if not lines:
                break
        elif kind == "duplicate":
            lines.insert(row, line)
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[row], lines[other] = lines[other], lines[row]
        else:
            lines[row] = line[: draw(st.integers(0, len(line)))]
    use = draw(st.sampled_from([fmt, "auto"]))
    return use, "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutated_files_load_or_fail_cleanly(case: tuple[str, str]) -> None:
    fmt, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_text(text, encoding="utf-8")
        _check(path, fmt)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=400), fmt=st.sampled_from(FORMATS))
def test_random_bytes_fail_cleanly(data: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "noise.csv"
        path.write_bytes(data)
        _check(path, fmt)


@pytest.mark.parametrize("fmt", list(SEEDS))
def test_the_seeds_load(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"{fmt}.csv"
    path.write_text("\n".join(SEEDS[fmt]) + "\n")
    assert len(load_candles(path, format=fmt)) == sum(s[:1].isdigit() for s in SEEDS[fmt])
