"""The compiled backtest loop gives the event engine's trades and equity, number for number."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.backtest.runner import BacktestResult, run_backtest
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.trading_config import BrokerConfig, RiskConfig, TradingConfig
from forex_diffusion.data.sample import load_sample
from forex_diffusion.storage import Store
from forex_diffusion.trading.recording import StoreRecorder

FREE = RiskConfig(max_drawdown=1.0)  # no kill-switch unless a case asks for one
SMA = {"fast": 5, "slow": 20, "stop_atr": 0, "units": 100_000}


def synthetic(n: int, *, seed: int, scale: float = 1.0) -> pd.DataFrame:
    """A random walk of M1 bars from a Monday, over several rollovers (one a Wednesday)."""
    rng = np.random.default_rng(seed)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0, 4e-4, n)))
    open_ = np.r_[1.1, close[:-1]] * (1 + rng.normal(0, 5e-5, n))  # small gaps
    high = np.maximum(open_, close) * (1 + rng.exponential(2e-4, n))
    low = np.minimum(open_, close) * (1 - rng.exponential(2e-4, n))
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1.0},
        index=pd.date_range("2017-03-06", periods=n, freq="min", tz="UTC"),
    )
    frame[["open", "high", "low", "close"]] *= scale
    return frame


def both(candles: pd.DataFrame, symbol: str, timeframe: str, **kw: Any) -> BacktestResult:
    """Run both loops, check they agree exactly, return the compiled result."""
    compiled = run_backtest(candles, symbol=symbol, timeframe=timeframe, engine="compiled", **kw)
    event = run_backtest(candles, symbol=symbol, timeframe=timeframe, engine="event", **kw)
    assert (compiled.engine, event.engine) == ("compiled", "event")
    pd.testing.assert_frame_equal(compiled.trades, event.trades, check_exact=True)
    pd.testing.assert_series_equal(compiled.equity, event.equity, check_exact=True)
    assert compiled.metrics == event.metrics
    assert (compiled.state, compiled.reason) == (event.state, event.reason)
    return compiled


def config(
    strategy: str = "sma_cross", params: dict[str, Any] | None = None, **kw: Any
) -> TradingConfig:
    return TradingConfig(strategy=strategy, strategy_params=params or SMA, **kw)


@pytest.mark.parametrize("costs", [True, False])
def test_sma_cross_on_the_sample(costs: bool) -> None:
    cfg = config(params={"fast": 10, "slow": 30, "stop_atr": 0, "units": 10_000})
    result = both(load_sample(), "EURUSD", "H1", config=cfg, costs=costs)
    assert len(result.trades) > 200
    assert (result.trades["spread_cost"] > 0).all() == costs
    assert (result.trades["swap"] != 0).any() == costs


def test_donchian_exits_after_warm_up_bars() -> None:
    sample = load_sample()
    cfg = config("donchian_breakout", {"entry": 20, "exit": 10, "stop_atr": 0, "units": 50_000})
    result = both(sample.iloc[3000:], "EURUSD", "H1", config=cfg, warmup=sample.iloc[:3000])
    assert {"reverse", "exit"} <= set(result.trades["exit_reason"])


@pytest.mark.parametrize(
    ("symbol", "scale", "broker"),
    [
        ("USDJPY", 100.0, BrokerConfig(commission_per_lot=7.0)),  # the account is the base
        ("EURUSD", 1.0, BrokerConfig(account_currency="EUR", price_basis="bid")),
        ("EURUSD", 1.0, BrokerConfig(price_basis="ask", slippage_pips=1.0)),
    ],
)
def test_conversions_and_price_bases(symbol: str, scale: float, broker: BrokerConfig) -> None:
    result = both(
        synthetic(4000, seed=3, scale=scale), symbol, "M1", config=config(broker=broker, risk=FREE)
    )
    assert len(result.trades) > 100
    assert (result.trades["commission"] > 0).all() == (broker.commission_per_lot > 0)


def test_daily_loss_limit_blocks_entries() -> None:
    candles = synthetic(6000, seed=3)
    free = both(candles, "EURUSD", "M1", config=config(risk=FREE))
    limited = both(
        candles,
        "EURUSD",
        "M1",
        config=config(risk=RiskConfig(max_drawdown=1.0, daily_loss_limit=0.0005)),
    )
    assert 0 < len(limited.trades) < len(free.trades) / 2


def test_kill_switch_closes_and_stops() -> None:
    result = both(
        synthetic(4000, seed=3), "EURUSD", "M1", config=config(risk=RiskConfig(max_drawdown=0.002))
    )
    assert result.reason is not None and result.reason.startswith("drawdown kill-switch")
    assert result.trades["exit_reason"].iloc[-1] == "kill_switch"


def test_margin_calls() -> None:
    broker = BrokerConfig(initial_balance=1500, leverage=100, margin_call_level=1.0)
    risk = RiskConfig(max_drawdown=1.0, max_total_exposure=100, max_currency_exposure=100)
    result = both(load_sample(), "EURUSD", "H1", config=config(broker=broker, risk=risk))
    assert (result.trades["exit_reason"] == "margin_call").sum() > 10


@pytest.mark.parametrize(("symbol", "scale"), [("EURUSD", 1.0), ("USDJPY", 100.0)])
def test_exposure_caps_size_the_orders(symbol: str, scale: float) -> None:
    broker = BrokerConfig(initial_balance=20_000)
    risk = RiskConfig(max_drawdown=1.0, max_currency_exposure=2.7)
    result = both(
        synthetic(3000, seed=5, scale=scale), symbol, "M1", config=config(broker=broker, risk=risk)
    )
    # a first entry is capped; a reversal may use the room the closing position frees
    assert result.trades["units"].iloc[0] < SMA["units"]
    assert result.trades["units"].nunique() > 2


@pytest.mark.parametrize(
    ("cfg", "why"),
    [
        (config("rsi_reversion", {"stop_atr": 0, "units": 1000}), "no rules form"),
        (config(params={**SMA, "stop_atr": 2.0}), "no rules form"),
        (config(risk=RiskConfig(time_stop_bars=5)), "time stops"),
    ],
)
def test_what_the_compiled_loop_does_not_run(cfg: TradingConfig, why: str) -> None:
    candles = synthetic(300, seed=1)
    with pytest.raises(ConfigError, match=why):
        run_backtest(candles, symbol="EURUSD", timeframe="M1", config=cfg, engine="compiled")
    auto = run_backtest(candles, symbol="EURUSD", timeframe="M1", config=cfg)
    assert auto.engine == "event"


def test_a_cross_pair_and_a_recorder_take_the_event_engine(tmp_path: Any) -> None:
    candles = synthetic(300, seed=1)
    with pytest.raises(ConfigError, match="third pair"):
        run_backtest(candles, symbol="EURGBP", timeframe="M1", config=config(), engine="compiled")
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    store.ensure_schema()
    try:
        from forex_diffusion.storage import RunRepository

        RunRepository(store).create(kind="backtest", config_hash="x", run_id="rec")
        result = run_backtest(
            candles,
            symbol="EURUSD",
            timeframe="M1",
            config=config(),
            run_id="rec",
            recorder=StoreRecorder(store),
        )
        assert result.engine == "event"
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sma_cross", SMA),
        ("donchian_breakout", {"entry": 20, "exit": 10, "stop_atr": 0, "units": 1000}),
    ],
)
def test_rules_are_on_bar_bar_by_bar_and_causal(name: str, params: dict[str, Any]) -> None:
    from forex_diffusion.trading.broker import Account
    from forex_diffusion.trading.strategies import BarView, make_strategy
    from forex_diffusion.trading.strategies.base import Rules

    candles = load_sample().iloc[:600]
    columns = {c: candles[c].to_numpy(float) for c in ("open", "high", "low", "close", "volume")}
    strategy = make_strategy(name, params)
    rules = strategy.rules(columns)
    assert isinstance(rules, Rules)
    prefix = strategy.rules({c: v[:400] for c, v in columns.items()})
    assert prefix is not None
    for field in ("go_long", "go_short", "exit_long", "exit_short"):
        assert np.array_equal(getattr(prefix, field), getattr(rules, field)[:400])
    account = Account("USD", 1e5, 1e5, 0.0, 0.0)
    acted = 0
    for t in range(strategy.warmup - 1, len(candles)):
        arrays = {c: v[: t + 1] for c, v in columns.items()}
        for side in (None, "long", "short"):
            held = [] if side is None else [_position(side)]
            view = BarView("EURUSD", "H1", candles.iloc[: t + 1], held, account, arrays=arrays)
            got = [i.direction for i in strategy.on_bar(view).intents]
            sign = {None: 0, "long": 1, "short": -1}[side]
            want: list[str] = []
            if rules.go_long[t] and sign != 1:
                want = ["long"]
            elif rules.go_short[t] and sign != -1:
                want = ["short"]
            elif (sign == 1 and rules.exit_long[t]) or (sign == -1 and rules.exit_short[t]):
                want = ["flat"]
            assert got == want, (t, side)
            acted += bool(got)
    assert acted > 50


def _position(side: str) -> Any:
    from forex_diffusion.core.events import Position

    return Position(
        position_key="P",
        symbol="EURUSD",
        side=side,  # type: ignore[arg-type]
        units=1000,
        entry_price=1.05,
        entry_ts=pd.Timestamp("2017-01-02", tz="UTC"),
    )


def test_the_event_result_is_whole_while_the_engine_keeps_a_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The event loop collects every trade and equity point from the engine's records, so a
    backtest's result does not depend on the engine's bounded window of recent trades."""
    from forex_diffusion.trading import automated_trading_engine as ate

    monkeypatch.setattr(ate, "RECENT", 3)
    candles = synthetic(3000, seed=7)
    result = both(candles, "EURUSD", "M1", config=config(risk=FREE))
    assert len(result.trades) > 50 and len(result.equity) == len(candles)
