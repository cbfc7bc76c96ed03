"""Chart, harmonic and wave detectors: planted textbook patterns, causality, no false geometry."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.patterns.registry import PatternRegistry
from tests.patterns.planted import cases

SWING_KINDS = ["chart", "harmonic", "wave"]
CASES = cases()


@pytest.mark.parametrize(
    ("key", "direction", "build"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_a_planted_pattern_is_found(
    key: str, direction: str, build: Callable[[], tuple[pd.DataFrame, int]]
) -> None:
    planted, completion = build()
    candles = _extended(planted)
    events = PatternRegistry().scan(candles, kinds=SWING_KINDS)
    mine = events[(events["pattern_key"] == key) & (events["state"] == "confirmed")]
    found = mine[mine["direction"] == direction]
    assert len(found) >= 1, (sorted(set(events["pattern_key"])), mine["direction"].tolist())
    event = found.iloc[0]
    # between the last pivot and the end of the planted move away from it
    assert planted.index[completion] <= event["confirm_ts"] <= planted.index[-1]
    bull = direction == "bull"
    close = candles["close"][candles.index <= event["confirm_ts"]].iloc[-1]
    # the target lies ahead in the pattern's direction, the invalidation behind
    sign = 1 if bull else -1
    assert sign * (event["target_price"] - close) > 0
    assert sign * (close - event["failure_price"]) > 0
    assert event["overlay"]["points"] and 0 < event["score"] <= 1


def _extended(candles: pd.DataFrame, bars: int = 100) -> pd.DataFrame:
    """The candles and then ``bars`` quiet bars at the last close (a late event would show)."""
    last = float(candles["close"].iloc[-1])
    wiggle = 0.05 * np.sin(np.arange(bars))
    more = pd.DataFrame(
        {"open": last + wiggle, "high": last + 0.3, "low": last - 0.3, "close": last + wiggle},
        index=pd.date_range(candles.index[-1], periods=bars + 1, freq="h")[1:],
    ).assign(volume=1.0)
    return pd.concat([candles, more])


def _random_walk(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 1.1 + np.cumsum(rng.normal(0, 0.0015, n))
    open_ = np.r_[close[0], close[:-1]]
    candles = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + rng.exponential(0.0008, n),
            "low": np.minimum(open_, close) - rng.exponential(0.0008, n),
            "close": close,
            "volume": 1.0,
        },
        index=pd.date_range("2017-01-02", periods=n, freq="h", tz="UTC"),
    )
    return candles


def test_events_are_causal_prefix_by_prefix() -> None:
    candles = _random_walk()
    registry = PatternRegistry()
    full = registry.scan(candles, kinds=SWING_KINDS)
    assert len(full) > 20 and full["pattern_key"].nunique() > 5
    for cut in (400, 1111, 2000, 2999):
        prefix = registry.scan(candles.iloc[:cut], kinds=SWING_KINDS)
        want = full[full["confirm_ts"] < candles.index[cut]].reset_index(drop=True)
        pd.testing.assert_frame_equal(prefix.reset_index(drop=True), want)


@pytest.mark.parametrize("data", ["random_walk", "sample", "planted"])
def test_bar_by_bar_equals_the_whole_array_scan(data: str) -> None:
    from forex_diffusion.data.sample import load_sample

    if data == "random_walk":
        candles = _random_walk(2500, seed=3)
    elif data == "sample":
        candles = load_sample().iloc[:3000]
    else:  # every planted case in a row: islands, cups, flags ... all appear
        frames = [build()[0] for _, _, build in CASES]
        values = pd.concat([f.reset_index(drop=True) for f in frames], ignore_index=True)
        candles = values.set_axis(
            pd.date_range("2017-01-02", periods=len(values), freq="h", tz="UTC")
        )
    fast = PatternRegistry(use_vectorized=True).scan(candles, kinds=SWING_KINDS)
    slow = PatternRegistry(use_vectorized=False).scan(candles, kinds=SWING_KINDS)
    assert len(fast) > 10
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize("shape", ["flat", "rising", "falling"])
def test_no_event_where_the_geometry_cannot_exist(shape: str) -> None:
    n = 2000
    step = {"flat": 0.0, "rising": 0.0005, "falling": -0.0005}[shape]
    close = 1.1 + step * np.arange(n)
    candles = pd.DataFrame(
        {"open": close - step, "high": close + 0.0003, "low": close - step - 0.0003},
        index=pd.date_range("2017-01-02", periods=n, freq="h", tz="UTC"),
    ).assign(close=close, volume=1.0)
    assert PatternRegistry().scan(candles, kinds=SWING_KINDS).empty


def test_every_swing_key_is_registered_with_its_kind() -> None:
    registry = PatternRegistry()
    planted = {case[0] for case in CASES}
    for key in planted:
        detector = registry.get(key)
        assert detector.kind in SWING_KINDS
    assert {d.key for d in registry.swing_detectors()} == planted  # every key is planted
    assert len(planted) == 55


def test_detect_latest_gives_the_scan_of_the_last_bar() -> None:
    candles = _random_walk(1500, seed=11)
    registry = PatternRegistry()
    full = registry.scan(candles, kinds=SWING_KINDS)
    bars = sorted(set(candles.index.get_indexer(pd.DatetimeIndex(full["confirm_ts"]))))[:6]
    assert len(bars) == 6
    for t in bars:
        latest = registry.detect_latest(candles.iloc[: t + 1], kinds=SWING_KINDS)
        want = full[full["confirm_ts"] == candles.index[t]]
        assert [(e.pattern_key, e.state) for e in latest] == list(
            zip(want["pattern_key"].astype(str), want["state"].astype(str), strict=True)
        )
    everything = registry.detect_latest(candles.iloc[: bars[0] + 1])  # candles included
    assert {e.kind for e in everything} >= {str(k) for k in full["kind"].iloc[:1]}


def test_the_scanner_bounds_its_shared_results_and_finds_the_same_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live scanner runs for months: the detectors' memo (line fits of runs of swings) is a
    cache, dropped when it grows past MEMO_ENTRIES, with the same events as without a bound."""
    from forex_diffusion.patterns import swing_patterns
    from forex_diffusion.patterns.swing_patterns import (
        IncrementalSwingScanner,
        scan_swing_incremental,
    )

    candles = _random_walk(2500, seed=3)
    detectors = PatternRegistry().swing_detectors()
    monkeypatch.setattr(swing_patterns, "MEMO_ENTRIES", 10**9)
    unbounded = scan_swing_incremental(candles, detectors)
    monkeypatch.setattr(swing_patterns, "MEMO_ENTRIES", 4)
    assert len(unbounded) > 10
    pd.testing.assert_frame_equal(scan_swing_incremental(candles, detectors), unbounded)
    scanner = IncrementalSwingScanner(detectors)
    largest = 0
    for when, row in candles.iterrows():
        scanner.update(pd.Timestamp(when), row.to_dict())  # type: ignore[arg-type]
        largest = max(largest, len(scanner._memo))
    assert 4 < largest <= 16  # a bar adds a few entries (7 here) before the next clear
