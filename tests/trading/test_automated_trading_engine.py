"""The engine: orders at the next open, reversals, retries without duplicates, pauses, errors."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import ConfigError, RetryableBrokerError, RiskLimitError
from forex_diffusion.core.events import Order
from forex_diffusion.core.trading_config import EngineConfig, RiskConfig, TradingConfig
from forex_diffusion.data.sample import load_sample
from forex_diffusion.trading.automated_trading_engine import (
    AutomatedTradingEngine,
    BarRecord,
    EngineState,
)
from forex_diffusion.trading.paper_broker import PaperBroker
from forex_diffusion.trading.strategies import NOTHING, BarView, Decision, Intent, Strategy


def frame(closes: Sequence[float], start: str = "2017-03-06 00:00") -> pd.DataFrame:
    """Candles whose open is the previous close (so fills at the open are easy to check)."""
    c = np.asarray(closes, dtype=float)
    o = np.r_[c[0], c[:-1]]
    idx = pd.date_range(start, periods=len(c), freq="h", tz="UTC", name="time")
    return pd.DataFrame(
        {
            "open": o,
            "high": np.maximum(o, c) + 1e-4,
            "low": np.minimum(o, c) - 1e-4,
            "close": c,
            "volume": 1.0,
        },
        index=idx,
    )


def run(
    engine: AutomatedTradingEngine, candles: pd.DataFrame, symbol: str = "EURUSD"
) -> list[BarRecord]:
    engine.start()
    out = [engine.on_bar(symbol, "H1", row) for _, row in candles.iterrows()]
    last = engine.finish()
    return out + ([last] if last else [])


class Script(Strategy):
    """Intents at given bar positions."""

    name = "script"

    def __init__(self, plan: dict[int, Intent]) -> None:
        super().__init__()
        self.plan = plan
        self.seen = 0

    def on_bar(self, view: BarView) -> Decision:
        self.seen += 1
        return Decision.of(self.plan[self.seen]) if self.seen in self.plan else NOTHING


def test_sma_cross_enters_at_the_next_open_and_reverses_on_the_opposite_cross() -> None:
    closes = [1.10] * 5 + [1.09, 1.08, 1.09, 1.11, 1.12, 1.12, 1.10, 1.08, 1.07, 1.07]
    cfg = TradingConfig(
        strategy="sma_cross", strategy_params={"fast": 2, "slow": 4, "stop_atr": 0, "units": 10_000}
    )
    engine = AutomatedTradingEngine(cfg)
    candles = frame(closes)
    run(engine, candles)
    fast, slow = candles.close.rolling(2).mean(), candles.close.rolling(4).mean()
    up = (fast.shift() < slow.shift()) & (fast > slow)
    down = (fast.shift() > slow.shift()) & (fast < slow)
    assert up.sum() == 1 and down.sum() == 1
    long_at = candles.index[candles.index.get_loc(up.idxmax()) + 1]
    short_at = candles.index[candles.index.get_loc(down.idxmax()) + 1]
    sides = [(t.side, t.entry_ts, t.exit_reason) for t in engine.recent_trades]
    assert sides == [("long", long_at, "reverse"), ("short", short_at, "end_of_data")]
    assert (
        engine.recent_trades[0].exit_ts == short_at
        and engine.recent_trades[1].exit_ts == candles.index[-1]
    )
    assert engine.recent_trades[0].units == 10_000


def test_intents_are_sized_from_the_stop_and_flat_closes() -> None:
    plan = {
        3: Intent(symbol="EURUSD", direction="long", stop=1.0980, target=1.2),
        5: Intent(symbol="EURUSD", direction="flat"),
    }
    engine = AutomatedTradingEngine(TradingConfig(), strategy=Script(plan))
    run(engine, frame([1.10] * 8))
    (trade,) = engine.recent_trades
    # 1 % of ~100,000 over 20 pips -> ~500,000 units, rounded to the lot step
    assert trade.units == pytest.approx(500_000, rel=0.01) and trade.units % 1000 == 0
    assert trade.exit_reason == "exit"


def test_risk_limits_block_new_positions() -> None:
    plan = {
        i: Intent(symbol="EURUSD", direction="long", units=1000.0, time_stop_bars=1) for i in (2, 4)
    }
    cfg = TradingConfig(risk=RiskConfig(max_open_positions=1))
    engine = AutomatedTradingEngine(cfg, strategy=Script(plan))
    engine.risk.killed = "testing"
    records = run(engine, frame([1.10] * 6))
    assert engine.trade_count == 0 and not engine.recent_trades
    assert any("not opened: testing" in n for r in records for n in r.notes)


class Flaky(PaperBroker):
    """Raises a transient error on about half the calls, before or after doing the work."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.errors = 0

    def _maybe(self) -> None:
        if self.rng.random() < 0.5:
            self.errors += 1
            raise RetryableBrokerError("connection reset")

    def submit(self, order: Order) -> Order:
        self._maybe()
        placed = super().submit(order)
        self._maybe()  # accepted, but the reply was lost
        return placed

    def on_bar(self, symbol: str, bar) -> None:  # type: ignore[no-untyped-def]
        self._maybe()
        super().on_bar(symbol, bar)


def test_transient_broker_errors_are_retried_without_duplicate_orders() -> None:
    candles = load_sample().iloc[:1500]
    cfg = TradingConfig(engine=EngineConfig(max_retries=30, backoff_seconds=0.001))
    sleeps: list[float] = []
    clean = AutomatedTradingEngine(cfg)
    run(clean, candles)
    flaky_broker = Flaky(seed=3)
    flaky = AutomatedTradingEngine(cfg, broker=flaky_broker, sleep=sleeps.append)
    records = run(flaky, candles)
    assert flaky_broker.errors > 100 and flaky.state is EngineState.STOPPED
    assert sleeps[:2] == [0.001, 0.002] or 0.002 in sleeps
    assert clean.trade_count == len(clean.recent_trades) > 10
    assert flaky.recent_trades == clean.recent_trades
    orders = [o.client_order_id for r in records for o in r.orders if o.status == "pending"]
    assert len(orders) == len(set(orders))


def test_repeated_failures_pause_the_engine_and_resume_restarts_it() -> None:
    class Down(PaperBroker):
        down = True

        def on_bar(self, symbol: str, bar) -> None:  # type: ignore[no-untyped-def]
            if self.down:
                raise RetryableBrokerError("broker unreachable")
            super().on_bar(symbol, bar)

    broker = Down()
    cfg = TradingConfig(engine=EngineConfig(max_retries=1, backoff_seconds=0, max_failures=3))
    engine = AutomatedTradingEngine(cfg, broker=broker, sleep=lambda s: None)
    engine.start()
    candles = frame([1.1] * 6)
    for _, row in candles.iloc[:3].iterrows():
        engine.on_bar("EURUSD", "H1", row)
    assert engine.state is EngineState.PAUSED and "3 failed bars in a row" in (engine.reason or "")
    assert "broker unreachable" in (engine.reason or "")
    broker.down = False
    engine.resume()
    engine.on_bar("EURUSD", "H1", candles.iloc[3])
    assert engine.state is EngineState.RUNNING and engine.failures == 0


def test_a_bug_in_the_strategy_puts_the_engine_in_error_with_the_reason() -> None:
    class Buggy(Strategy):
        name = "buggy"

        def on_bar(self, view: BarView) -> Decision:
            raise ZeroDivisionError("oops")

    engine = AutomatedTradingEngine(strategy=Buggy())
    engine.start()
    bar = frame([1.1]).iloc[0]
    record = engine.on_bar("EURUSD", "H1", bar)
    assert engine.state is EngineState.ERROR
    assert engine.reason == f"ZeroDivisionError: oops (EURUSD H1 bar {bar.name.isoformat()})"
    assert isinstance(engine.error, ZeroDivisionError)
    assert record.state is EngineState.ERROR and record.notes == [engine.reason]


def test_the_kill_switch_closes_everything_and_pauses() -> None:
    plan = {2: Intent(symbol="EURUSD", direction="long", units=1_000_000.0)}
    cfg = TradingConfig(
        risk=RiskConfig(
            max_drawdown=0.05,
            max_currency_exposure=100,
            max_total_exposure=100,
            daily_loss_limit=1.0,
        )
    )
    engine = AutomatedTradingEngine(cfg, strategy=Script(plan))
    engine.start()
    for _, row in frame([1.10, 1.10, 1.10, 1.095, 1.09, 1.08]).iterrows():
        engine.on_bar("EURUSD", "H1", row)
    assert engine.state is EngineState.PAUSED and "kill-switch" in (engine.reason or "")
    assert [t.exit_reason for t in engine.recent_trades] == ["kill_switch"]
    with pytest.raises(RiskLimitError, match="cannot resume"):
        engine.resume()


def test_only_the_shortest_timeframe_drives_the_broker() -> None:
    engine = AutomatedTradingEngine(TradingConfig(), strategy=Script({}))
    engine.start()
    h1 = frame([1.1] * 8)
    records = [
        engine.on_bar("EURUSD", "H1", h1.iloc[0]),
        engine.on_bar("EURUSD", "H4", h1.iloc[0]),  # an H4 bar of the same symbol: no broker bar
        engine.on_bar("EURUSD", "H1", h1.iloc[1]),  # would raise if the H4 bar moved the clock
    ]
    assert [r.timeframe for r in records] == ["H1", "H4", "H1"]


def test_bad_run_ids_and_strategies_are_refused() -> None:
    with pytest.raises(ConfigError, match="run id"):
        AutomatedTradingEngine(run_id="x" * 30)
    with pytest.raises(ConfigError, match="unknown strategy 'sma_cros'; did you mean 'sma_cross'"):
        AutomatedTradingEngine(TradingConfig(strategy="sma_cros"))
    with pytest.raises(ConfigError, match="parameter 'fast'"):
        AutomatedTradingEngine(TradingConfig(strategy_params={"fast": 0}))
    with pytest.raises(ConfigError, match="call start"):
        AutomatedTradingEngine().on_bar("EURUSD", "H1", frame([1.1]).iloc[0])


def test_several_symbols_trade_through_one_account() -> None:
    class Both(Strategy):
        name = "both"

        def on_bar(self, view: BarView) -> Decision:
            if len(view.candles) == 2 and not view.positions:
                return Decision.of(Intent(symbol=view.symbol, direction="long", units=100_000.0))
            return NOTHING

    engine = AutomatedTradingEngine(TradingConfig(), strategy=Both())
    engine.start()
    eur = frame([1.10, 1.10, 1.10, 1.11])
    jpy = frame([150.0, 150.0, 150.0, 151.0])
    for i in range(4):
        engine.on_bar("EURUSD", "H1", eur.iloc[i])
        engine.on_bar("USDJPY", "H1", jpy.iloc[i])
    engine.finish()
    by_symbol = {t.symbol: t for t in engine.recent_trades}
    assert set(by_symbol) == {"EURUSD", "USDJPY"}
    # USDJPY P&L converted at the exit price: ~100 pips x 1000 JPY / 151 = ~662 USD
    assert by_symbol["USDJPY"].pnl == pytest.approx(
        100_000 * (by_symbol["USDJPY"].exit_price - by_symbol["USDJPY"].entry_price) / 151.0
        - by_symbol["USDJPY"].commission,
        rel=1e-3,
    )
    assert engine.broker.account().balance == pytest.approx(
        100_000 + sum(t.pnl for t in engine.recent_trades)
    )


def test_a_long_run_keeps_counters_and_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine keeps the last RECENT trades and counts the rest; every
    trade is still in the records (what a backtest collects and a paper run stores)."""
    from forex_diffusion.trading import automated_trading_engine as ate

    monkeypatch.setattr(ate, "RECENT", 4)
    plan = {
        i: Intent(symbol="EURUSD", direction="long" if i % 2 else "flat", units=1000.0)
        for i in range(1, 40)
    }
    engine = AutomatedTradingEngine(TradingConfig(), strategy=Script(plan))
    records = run(engine, frame([1.10 + 0.001 * (i % 3) for i in range(40)]))
    trades = [t for r in records for t in r.trades]
    assert engine.trade_count == len(trades) >= 15
    assert list(engine.recent_trades) == trades[-4:]
