from __future__ import annotations

import pytest

from forex_diffusion.core import ConfigError, Registry


def test_register_get_and_list() -> None:
    reg: Registry[int] = Registry("number")

    @reg.register("one")
    def _one() -> int:
        return 1

    reg.add("two", lambda: 2)  # type: ignore[arg-type]
    assert reg.keys() == ["one", "two"]
    assert "one" in reg
    assert len(reg) == 2
    assert list(reg) == ["one", "two"]
    assert reg.get("one")() == 1  # type: ignore[operator]


def test_duplicate_key_is_an_error_unless_replaced() -> None:
    reg: Registry[str] = Registry("strategy")
    reg.add("sma_cross", "a")
    with pytest.raises(ConfigError, match="already registered"):
        reg.add("sma_cross", "b")
    reg.add("sma_cross", "b", replace=True)
    assert reg.get("sma_cross") == "b"


def test_unknown_key_suggests_close_names() -> None:
    reg: Registry[str] = Registry("indicator")
    for key in ("rsi", "atr", "macd", "bollinger"):
        reg.add(key, key)
    with pytest.raises(ConfigError, match=r"unknown indicator 'rsl'; did you mean 'rsi'"):
        reg.get("rsl")
    with pytest.raises(ConfigError, match=r"unknown indicator 'zzzzzz' \(known: 4\)"):
        reg.get("zzzzzz")


@pytest.mark.parametrize("key", ["", " padded"])
def test_invalid_keys_rejected(key: str) -> None:
    with pytest.raises(ConfigError, match="invalid"):
        Registry[str]("x").add(key, "v")
