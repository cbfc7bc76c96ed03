"""The [trading] config: per-pair tables over the defaults, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from forex_diffusion.core.config import load_config
from forex_diffusion.core.errors import ConfigError

TOML = """
[trading]
strategy = "rsi_reversion"
strategy_params = { period = 10 }

[trading.broker]
account_currency = "eur"
swaps.GBPJPY = { long = 0.5, short = -1.2 }

[trading.broker.spreads.GBPJPY]
overlap = 1.5
london = 2
new_york = 2
asia = 3
rollover = 8
sunday_open = 15

[trading.risk]
time_stop_bars = 48
"""


def test_trading_section_loads_over_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "fxd.toml"
    path.write_text(TOML)
    cfg = load_config(path, env={}).trading
    assert cfg.strategy == "rsi_reversion" and cfg.strategy_params == {"period": 10}
    assert cfg.broker.account_currency == "EUR"
    assert cfg.broker.spreads["GBPJPY"]["sunday_open"] == 15
    assert cfg.broker.spreads["EURUSD"]["overlap"] == 0.6  # the defaults stay
    assert cfg.broker.swaps["GBPJPY"].short == -1.2 and "default" in cfg.broker.swaps
    assert cfg.risk.time_stop_bars == 48


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[trading.risk]\nrisk_per_trade = 0.5\n", "trading.risk.risk_per_trade"),
        ("[trading.broker]\nleverage = 0\n", "trading.broker.leverage"),
        ("[trading.broker]\nspreads.EURUSD = { overlap = 1 }\n", "trading.broker.spreads"),
        ("[trading.engine]\nretries = 3\n", "trading.engine.retries"),
    ],
)
def test_bad_trading_keys_are_named(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "fxd.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        load_config(path, env={})


def test_environment_overrides_reach_the_trading_section(tmp_path: Path) -> None:
    cfg = load_config(
        None,
        env={
            "FXD_TRADING__RISK__MAX_OPEN_POSITIONS": "2",
            "FXD_CONFIG": str(tmp_path / "none.toml"),
        },
    )
    assert cfg.trading.risk.max_open_positions == 2
