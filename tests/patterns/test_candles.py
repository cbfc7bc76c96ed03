from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from forex_diffusion.core import ConfigError
from forex_diffusion.core.events import PatternEvent
from forex_diffusion.data import load_sample
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.patterns.candle_catalogue import CANDLES
from tests.data.strategies import random_candles

REGISTRY = PatternRegistry()
KEYS = [info.key for info in CANDLES]
FLOATS = ["score", "scale_atr", "target_price", "failure_price"]
EXACT = [
    "pattern_key",
    "direction",
    "start_ts",
    "confirm_ts",
    "state",
    "bars_span",
    "horizon_bars",
    "talib_value",
]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample("EURUSD", "H1")


@pytest.fixture(scope="module")
def sample_events(sample: pd.DataFrame) -> pd.DataFrame:
    return REGISTRY.scan(sample)


def assert_same_events(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values(["confirm_ts", "pattern_key"]).reset_index(drop=True)
    b = b.sort_values(["confirm_ts", "pattern_key"]).reset_index(drop=True)
    assert len(a) == len(b)
    for col in EXACT:
        assert a[col].tolist() == b[col].tolist(), col
    for col in FLOATS:
        np.testing.assert_allclose(
            a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=col
        )


def test_there_are_61_detectors_with_talib_functions() -> None:
    detectors = REGISTRY.detectors("candle")
    assert len(detectors) == 61
    assert {d.talib_function for d in detectors} == set(
        talib.get_function_groups()["Pattern Recognition"]
    )
    assert REGISTRY.get("hammer").talib_function == "CDLHAMMER"
    assert all(d.kind == "candle" for d in detectors)
    assert all(d.kind == "chart" for d in REGISTRY.detectors(kinds="chart"))


@pytest.mark.parametrize("data", ["sample", "random"])
def test_events_equal_talib_nonzero_outputs_with_direction(sample: pd.DataFrame, data: str) -> None:
    candles = sample if data == "sample" else random_candles(5000, seed=4, freq="1h")
    events = REGISTRY.scan(candles)
    arrays = [candles[k].to_numpy() for k in ("open", "high", "low", "close")]
    for info in CANDLES:
        raw = getattr(talib, info.talib_function)(*arrays)
        mine = events[events["pattern_key"] == info.key]
        hits = np.flatnonzero(raw)
        assert mine["confirm_ts"].tolist() == list(candles.index[hits]), info.key
        assert mine["talib_value"].tolist() == raw[hits].tolist(), info.key
        expected = {"sign": np.where(raw[hits] > 0, "bull", "bear")}.get(
            info.direction, np.full(len(hits), info.direction)
        )
        assert mine["direction"].tolist() == list(expected), info.key


@pytest.mark.parametrize("data", ["sample", "random"])
def test_vectorized_equals_bar_by_bar_for_every_detector(sample: pd.DataFrame, data: str) -> None:
    candles = (
        sample.iloc[:900] if data == "sample" else random_candles(700, seed=8, freq="1h", drop=0.1)
    )
    fast = PatternRegistry(use_vectorized=True).scan(candles)
    slow = PatternRegistry(use_vectorized=False).scan(candles)
    assert set(fast["pattern_key"]) > {"doji", "engulfing"}
    assert_same_events(fast, slow)


@pytest.mark.parametrize("t", [40, 333, 1000, 2500, 4444, 6000])
def test_prefix_test_every_detector(
    sample: pd.DataFrame, sample_events: pd.DataFrame, t: int
) -> None:
    cut = sample.index[t]
    prefix = REGISTRY.scan(sample.iloc[: t + 1])
    assert_same_events(prefix, sample_events[sample_events["confirm_ts"] <= cut])


@pytest.mark.parametrize("t", [100, 2000, 6224])
def test_detect_latest_is_the_scan_at_the_last_bar(
    sample: pd.DataFrame, sample_events: pd.DataFrame, t: int
) -> None:
    window = sample.iloc[: t + 1]
    latest = REGISTRY.detect_latest(window)
    expected = sample_events[sample_events["confirm_ts"] == sample.index[t]]
    assert sorted(e.pattern_key for e in latest) == sorted(expected["pattern_key"])
    assert all(e.confirm_ts == sample.index[t] for e in latest)


def test_event_fields_are_sane(sample_events: pd.DataFrame, sample: pd.DataFrame) -> None:
    assert sample_events["score"].between(0, 1).all()
    close = sample["close"].reindex(sample_events["confirm_ts"]).to_numpy()
    bull = (sample_events["direction"] == "bull").to_numpy()
    bear = (sample_events["direction"] == "bear").to_numpy()
    neutral = (sample_events["direction"] == "neutral").to_numpy()
    assert (sample_events["target_price"].to_numpy()[bull] > close[bull]).all()
    assert (sample_events["failure_price"].to_numpy()[bull] <= close[bull]).all()
    assert (sample_events["target_price"].to_numpy()[bear] < close[bear]).all()
    assert (sample_events["failure_price"].to_numpy()[bear] >= close[bear]).all()
    assert sample_events["target_price"][neutral].isna().all()
    assert (sample_events["start_ts"] <= sample_events["confirm_ts"]).all()
    # scores discriminate: not a constant
    assert sample_events["score"].std() > 0.05


def downtrend_then(*bars: tuple[float, float, float, float]) -> pd.DataFrame:
    rows, price = [], 1.2000
    for _ in range(12):  # a gentle downtrend with medium bodies
        rows.append((price, price + 0.0003, price - 0.0013, price - 0.0010))
        price -= 0.0010
    rows.extend(bars)
    index = pd.date_range("2017-03-01 00:00", periods=len(rows), freq="h", tz="UTC")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = 100.0
    frame.iloc[-1, frame.columns.get_loc("volume")] = 300.0
    return frame


def only(events: list[PatternEvent], key: str) -> PatternEvent:
    [event] = [e for e in events if e.pattern_key == key]
    return event


def test_textbook_hammer() -> None:
    last = 1.1880
    candles = downtrend_then((last - 0.0002, last + 0.0001, last - 0.0035, last + 0.0001))
    event = only(REGISTRY.detect_latest(candles), "hammer")
    assert (event.kind, event.direction, event.state, event.bars_span) == (
        "candle",
        "bull",
        "confirmed",
        1,
    )
    assert event.start_ts == event.confirm_ts == candles.index[-1]
    assert event.failure_price == pytest.approx(last - 0.0035)  # the hammer's low
    assert event.target_price is not None and event.target_price > last
    assert event.horizon_bars == 5
    assert event.score > 0.6  # long shadow, a prior downtrend and three times the volume


def test_textbook_bullish_engulfing() -> None:
    last = 1.1880
    candles = downtrend_then(
        (last, last + 0.0002, last - 0.0012, last - 0.0010),
        (last - 0.0013, last + 0.0006, last - 0.0015, last + 0.0004),
    )
    event = only(REGISTRY.detect_latest(candles), "engulfing")
    assert (event.direction, event.bars_span) == ("bull", 2)
    assert event.start_ts == candles.index[-2]
    assert event.failure_price == pytest.approx(last - 0.0015)
    assert [e.pattern_key for e in REGISTRY.get("bullish_engulfing").detect(candles)] == [
        "bullish_engulfing"
    ]
    assert REGISTRY.get("bearish_engulfing").detect(candles) == []


def test_textbook_morning_star() -> None:
    last = 1.1880
    candles = downtrend_then(
        (last, last + 0.0002, last - 0.0032, last - 0.0030),
        (last - 0.0036, last - 0.0033, last - 0.0040, last - 0.0037),
        (last - 0.0034, last - 0.0004, last - 0.0035, last - 0.0006),
    )
    event = only(REGISTRY.detect_latest(candles), "morning_star")
    assert (event.direction, event.bars_span, event.horizon_bars) == ("bull", 3, 9)
    assert event.start_ts == candles.index[-3]
    assert event.failure_price == pytest.approx(last - 0.0040)  # the star's low
    assert event.overlay["type"] == "box"


def test_aliases_and_lookup_errors(sample: pd.DataFrame, sample_events: pd.DataFrame) -> None:
    engulfing = sample_events[sample_events["pattern_key"] == "engulfing"]
    bull = REGISTRY.get("bullish_engulfing").detect(sample)
    bear = REGISTRY.get("bearish_engulfing").detect(sample)
    assert len(bull) + len(bear) == len(engulfing)
    assert {e.direction for e in bull} == {"bull"}
    assert REGISTRY.aliases()["harami_bull"] == "harami"
    assert "dragonfly_doji" in set(REGISTRY.keys())
    assert len(REGISTRY.detectors("candle")) == 61
    with pytest.raises(ConfigError, match=r"unknown pattern 'hamer'; did you mean 'hammer'"):
        REGISTRY.get("hamer")
    with pytest.raises(ConfigError, match="unknown pattern kind"):
        REGISTRY.scan(sample, kinds=["candles"])


def test_since_and_empty_input(sample: pd.DataFrame, sample_events: pd.DataFrame) -> None:
    recent = REGISTRY.scan(sample, since="2017-12-01")
    assert (
        len(recent) == (sample_events["confirm_ts"] >= pd.Timestamp("2017-12-01", tz="UTC")).sum()
    )
    assert REGISTRY.detect_latest(sample.iloc[:0]) == []


def test_pattern_event_contract() -> None:
    now = pd.Timestamp("2017-01-02 10:00", tz="UTC")
    event = PatternEvent(
        pattern_key="x",
        kind="candle",
        direction="bull",
        start_ts=now,
        confirm_ts=now,
        state="confirmed",
        score=0.5,
    )
    with pytest.raises(AttributeError):
        event.score = 0.7  # type: ignore[misc]
    with pytest.raises(TypeError):
        PatternEvent("x", "candle", "bull", now, now, "confirmed", 0.5)  # type: ignore[misc]
    for bad in (
        {"score": 1.5},
        {"kind": "candles"},
        {"direction": "up"},
        {"state": "done"},
        {"start_ts": now + pd.Timedelta(hours=1)},
        {"confirm_ts": pd.Timestamp("2017-01-02 10:00")},
    ):
        fields = {
            "pattern_key": "x",
            "kind": "candle",
            "direction": "bull",
            "start_ts": now,
            "confirm_ts": now,
            "state": "confirmed",
            "score": 0.5,
            **bad,
        }
        with pytest.raises(ValueError, match="PatternEvent"):
            PatternEvent(**fields)  # type: ignore[arg-type]
