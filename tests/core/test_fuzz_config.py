"""Fuzzing the config parser: TOML files with the real sections and keys (and unknown ones)
holding values of every type, and broken TOML. The result is a config or a ``ConfigError``
whose one-line message names the file; nothing else escapes."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forex_diffusion.core.config import RootConfig, load_config
from forex_diffusion.core.errors import ConfigError


def _keys(model: type[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(table, key) of every field of the config tree."""
    out = []
    for name, field in model.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            out += _keys(sub, f"{prefix}{name}.")
        else:
            out.append((prefix.rstrip("."), name))
    return out


KEYS = [k for k in _keys(RootConfig) if k[0]]
TABLES = sorted({t for t, _ in KEYS})


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)  # a basic TOML string


SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


@st.composite
def config_text(draw: st.DrawFn) -> str:
    tables: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 9)) == 0:  # an unknown key somewhere
            table = draw(st.sampled_from(TABLES))
            key = draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
        else:
            table, key = draw(st.sampled_from(KEYS))
        tables.setdefault(table, {})[key] = draw(VALUES)
    return "\n".join(
        f"[{table}]\n" + "\n".join(f"{k} = {_toml(v)}" for k, v in items.items())
        for table, items in tables.items()
    )


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fxd.toml"
        path.write_text(text, encoding="utf-8")
        try:
            config = load_config(path, env={})
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message.strip() and "fxd.toml" in message, message
            return
        assert isinstance(config, RootConfig)


def test_the_fuzzer_knows_the_real_keys() -> None:
    assert ("trading.risk", "max_drawdown") in KEYS and ("api", "token") in KEYS


@settings(max_examples=300, deadline=None)
@given(text=config_text())
def test_structured_configs_load_or_fail_cleanly(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_random_text_fails_cleanly(text: str) -> None:
    _check(text)
