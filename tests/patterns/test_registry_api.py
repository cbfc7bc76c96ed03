"""``PatternRegistry.detectors``: every detector of every kind, each with its own ``detect``."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pandas as pd
import pytest

from forex_diffusion.core import ConfigError
from forex_diffusion.core.events import PatternEvent
from forex_diffusion.data import load_sample
from forex_diffusion.patterns import PatternRegistry
from forex_diffusion.patterns.registry import KINDS

REGISTRY = PatternRegistry()
COUNTS = {"candle": 61, "chart": 35, "harmonic": 16, "wave": 4}


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_sample().iloc[:3000]


@pytest.fixture(scope="module")
def events_by_key(candles: pd.DataFrame) -> dict[str, list[PatternEvent]]:
    """The scan's events, once, by key (in the scan's order)."""
    by_key: dict[str, list[PatternEvent]] = defaultdict(list)
    for event in REGISTRY.detect(candles):
        by_key[event.pattern_key].append(event)
    return by_key


def test_detectors_are_all_116_of_every_kind() -> None:
    detectors = REGISTRY.detectors()
    assert len(detectors) == 116
    assert len({d.key for d in detectors}) == 116
    assert sorted(d.key for d in detectors) == REGISTRY.keys()
    assert [d.key for d in detectors] == [
        *(d.key for d in REGISTRY.detectors("candle")),
        *(d.key for d in REGISTRY.swing_detectors()),
    ]
    assert REGISTRY.detectors(kinds=None) == detectors
    assert REGISTRY.detectors(list(KINDS)) == detectors


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_alone(kind: str) -> None:
    alone = REGISTRY.detectors(kind)
    assert len(alone) == COUNTS[kind]
    assert {d.kind for d in alone} == {kind}
    assert REGISTRY.detectors(kinds=[kind]) == alone


@pytest.mark.parametrize(
    "kinds", [["chart", "candle"], ("harmonic", "wave"), {"candle", "wave"}, ["chart", "chart"]]
)
def test_mixes_of_kinds(kinds: list[str] | tuple[str, ...] | set[str]) -> None:
    mixed = REGISTRY.detectors(kinds=kinds)
    assert len(mixed) == sum(COUNTS[k] for k in set(kinds))
    assert {d.kind for d in mixed} == set(kinds)
    assert [d.key for d in mixed] == [d.key for d in REGISTRY.detectors() if d.kind in kinds]
    assert REGISTRY.swing_detectors(kinds) == [d for d in mixed if d.kind != "candle"]


@pytest.mark.parametrize("kinds", ["candles", ["chart", "elliott"], ["Chart"]])
def test_an_unknown_kind_names_the_known_ones(kinds: str | list[str]) -> None:
    with pytest.raises(ConfigError, match="unknown pattern kind") as raised:
        REGISTRY.detectors(kinds=kinds)
    for kind in KINDS:
        assert kind in str(raised.value)
    with pytest.raises(ConfigError, match="unknown pattern kind"):
        REGISTRY.swing_detectors(kinds)


def test_every_detector_detects_the_scans_events_of_its_key(
    candles: pd.DataFrame, events_by_key: dict[str, list[PatternEvent]]
) -> None:
    found = 0
    for detector in REGISTRY.detectors():
        events = detector.detect(candles)
        assert events == events_by_key.get(detector.key, []), detector.key
        assert all(isinstance(e, PatternEvent) and e.kind == detector.kind for e in events)
        found += bool(events)
    assert found >= 60  # most detectors fire on 3000 bars: the comparison is not of empty lists
    assert {e.kind for events in events_by_key.values() for e in events} == set(KINDS)


def test_an_alias_detects_its_side_of_its_detector(
    candles: pd.DataFrame, events_by_key: dict[str, list[PatternEvent]]
) -> None:
    for alias, base in REGISTRY.aliases().items():
        detector = REGISTRY.get(alias)
        only = getattr(detector, "only", None)
        expected = [
            dataclasses.replace(e, pattern_key=alias)
            for e in events_by_key.get(base, [])
            if only is None or e.direction == only  # None: a plain second name, every side
        ]
        assert detector.detect(candles) == expected, alias
    assert REGISTRY.get("bullish_engulfing").detect(candles)


def test_detect_on_no_bars_is_empty(candles: pd.DataFrame) -> None:
    for detector in REGISTRY.detectors():
        assert detector.detect(candles.iloc[:0]) == []
