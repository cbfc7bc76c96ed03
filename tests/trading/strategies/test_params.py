"""Strategy parameters: described for the faces, checked with one-line messages that name the
parameter, what was given and what it takes."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.trading.strategies import (
    STRATEGIES,
    ParamInfo,
    StrategyParams,
    check_strategy,
    make_strategy,
    strategy_parameters,
    strategy_summary,
)
from forex_diffusion.trading.strategies.params import describe_params


def message(name: str, params: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as caught:
        make_strategy(name, params)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_an_unknown_parameter_gets_the_close_name_and_the_valid_ones() -> None:
    text = message("sma_cross", {"fsat": 5})
    assert text == (
        "strategy sma_cross: unknown parameter 'fsat'; did you mean 'fast'? "
        "(parameters: stop_atr, atr_period, units, fast, slow; see `fxd strategies sma_cross`)"
    )
    assert "did you mean" not in message("sma_cross", {"xyzzy": 1})
    assert "unknown parameter 'xyzzy'" in message("sma_cross", {"xyzzy": 1})


def test_a_wrong_type_names_the_parameter_and_the_type_it_takes() -> None:
    assert message("sma_cross", {"fast": "abc"}) == (
        "strategy sma_cross: parameter 'fast' must be int (>= 1), got 'abc'"
    )
    assert message("sma_cross", {"fast": 5.5}).endswith("'fast' must be int (>= 1), got 5.5")
    assert message("sma_cross", {"units": "x"}).endswith("'units' must be float (> 0), got 'x'")
    assert message("fused", {"forecaster": "diff"}).endswith(
        "'forecaster' must be bootstrap, diffusion or none, got 'diff'; did you mean 'diffusion'?"
    )


def test_out_of_range_and_rules_between_parameters() -> None:
    assert message("rsi_reversion", {"lower": 60}).endswith(
        "parameter 'lower' must be float (> 0, < 50), got 60"
    )
    assert message("sma_cross", {"fast": 40}) == (
        "strategy sma_cross: parameters: fast (40) must be shorter than slow (30)"
    )


def test_check_strategy_is_the_same_check_without_building_it() -> None:
    assert (
        check_strategy("sma_cross", {"fast": 5}) == make_strategy("sma_cross", {"fast": 5}).params
    )
    with pytest.raises(ConfigError, match="did you mean 'fast'"):
        check_strategy("sma_cross", {"fsat": 5})
    with pytest.raises(ConfigError, match="unknown strategy 'sma_cros'"):
        check_strategy("sma_cros", {})


def test_every_parameter_of_every_strategy_is_described() -> None:
    for name in STRATEGIES:
        params = strategy_parameters(name)
        assert params, name
        for p in params:
            assert p.description, f"{name}.{p.name} has no description"
        assert strategy_summary(name) and "\n" not in strategy_summary(name)
        assert ":class:" not in strategy_summary(name)


def test_parameters_are_described_with_type_default_and_bounds() -> None:
    class Params(StrategyParams):
        n: int = Field(default=3, ge=1, description="bars")
        level: float = Field(default=0.5, gt=0, lt=1, description="a level")
        size: float | None = Field(default=None, gt=0, description="a size")
        mode: Literal["a", "b"] = Field(default="a", description="a mode")
        flag: bool = False

    assert describe_params(Params) == [
        ParamInfo(name="n", type="int", default=3, bounds=">= 1", description="bars"),
        ParamInfo(
            name="level", type="float", default=0.5, bounds="> 0, < 1", description="a level"
        ),
        ParamInfo(name="size", type="float", default=None, bounds="> 0", description="a size"),
        ParamInfo(name="mode", type="a | b", default="a", bounds="", description="a mode"),
        ParamInfo(name="flag", type="bool", default=False, bounds="", description=""),
    ]
    fast = next(p for p in strategy_parameters("sma_cross") if p.name == "fast")
    assert (fast.type, fast.default, fast.bounds) == ("int", 10, ">= 1")
