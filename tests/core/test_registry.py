from __future__ import annotations

import subprocess
import sys

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


def test_a_lazy_key_is_listed_without_importing_and_loaded_when_asked_for() -> None:
    reg: Registry[str] = Registry("strategy")
    reg.add_lazy("later", "json")  # json registers nothing: asking for it says so
    assert reg.keys() == ["later"] and "later" in reg and len(reg) == 1
    with pytest.raises(ConfigError, match="did not register strategy 'later'"):
        reg.get("later")
    with pytest.raises(ConfigError, match="already registered"):
        reg.add_lazy("later", "json")
    reg.add("later", "now")  # the module's own registration replaces the promise
    assert reg.get("later") == "now"


def test_the_paper_and_backtest_services_do_not_import_the_fused_strategy_until_asked() -> None:
    """A paper run or a backtest of a reference strategy starts without the forecasters',
    scikit-learn's, SciPy's statistics and Numba's imports (seconds)."""
    code = (
        "import sys\n"
        "import forex_diffusion.cli.app, forex_diffusion.services.paper\n"
        "import forex_diffusion.services.backtest\n"
        "from forex_diffusion.trading.strategies import STRATEGIES\n"
        "fusion = 'forex_diffusion.trading.strategies.fusion'\n"
        "assert 'fused' in STRATEGIES and fusion not in sys.modules\n"
        "heavy = {'torch', 'sklearn', 'scipy.signal', 'scipy.stats', 'numba'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "assert STRATEGIES.get('fused').__name__ == 'FusionStrategy' and fusion in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
