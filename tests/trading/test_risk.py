"""Sizing examples computed by hand; limits that trigger and reset."""

from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core.trading_config import SPREAD_BUCKETS, BrokerConfig, RiskConfig
from forex_diffusion.trading.broker import Account
from forex_diffusion.trading.paper_broker import PaperBroker
from forex_diffusion.trading.risk import RiskManager, currency_exposure, fx_day, fx_day_per_bar
from tests.trading.conftest import bar, order

MON = "2017-03-06"


def broker(balance: float = 100_000.0, leverage: float = 30.0) -> PaperBroker:
    cfg = BrokerConfig(
        initial_balance=balance,
        leverage=leverage,
        spreads=dict.fromkeys(BrokerConfig().spreads, dict.fromkeys(SPREAD_BUCKETS, 0.0)),
        commission_per_lot=0.0,
        slippage_pips=0.0,
    )
    return PaperBroker(cfg)


def priced(b: PaperBroker, symbol: str, price: float, ts: str = f"{MON} 10:00") -> None:
    b.on_bar(symbol, bar(ts, price, price, price, price))


def test_eurusd_size_from_a_20_pip_stop() -> None:
    # 1 % of 100,000 = 1,000 USD; 20 pips on one unit = 0.0020 USD -> 500,000 units
    b = broker()
    priced(b, "EURUSD", 1.1)
    d = RiskManager().size(
        symbol="EURUSD", side=1, entry=1.1000, stop=1.0980, broker=b, leverage=30
    )
    assert d.units == pytest.approx(500_000) and d.limited_by == "risk"


def test_usdjpy_size_converts_the_pip_value() -> None:
    # 30 pips = 0.30 JPY per unit = 0.002 USD at 150 -> 1,000 / 0.002 = 500,000 units
    b = broker()
    priced(b, "USDJPY", 150.0)
    d = RiskManager().size(
        symbol="USDJPY", side=-1, entry=150.0, stop=150.30, broker=b, leverage=30
    )
    assert d.units == pytest.approx(500_000)


def test_size_rounds_down_to_the_lot_step() -> None:
    # 1,000 USD / 0.0033 = 303,030.3 -> 303,000
    b = broker()
    priced(b, "EURUSD", 1.1)
    d = RiskManager().size(
        symbol="EURUSD", side=1, entry=1.1000, stop=1.0967, broker=b, leverage=30
    )
    assert d.units == pytest.approx(303_000)


def test_size_is_capped_by_leverage() -> None:
    # free margin 10,000 x leverage 10 = 100,000 USD of notional = 90,909 EUR -> 90,000 units
    b = broker(balance=10_000.0, leverage=10.0)
    priced(b, "EURUSD", 1.1)
    d = RiskManager(
        RiskConfig(risk_per_trade=0.05, max_currency_exposure=20, max_total_exposure=20)
    ).size(symbol="EURUSD", side=1, entry=1.1, stop=1.099, broker=b, leverage=10)
    assert d.limited_by == "margin" and d.units == pytest.approx(90_000)


def test_currency_exposure_cap_counts_existing_positions() -> None:
    b = broker(leverage=100.0)
    priced(b, "EURUSD", 1.1)
    priced(b, "EURGBP", 0.85)
    priced(b, "GBPUSD", 1.25)
    b.submit(order("e", units=400_000))  # long 440,000 USD of EUR
    for s, p in (("EURUSD", 1.1), ("EURGBP", 0.85), ("GBPUSD", 1.25)):
        priced(b, s, p, ts=f"{MON} 11:00")
    risk = RiskManager(RiskConfig(max_currency_exposure=5.0, risk_per_trade=0.2))
    assert currency_exposure(b.positions(), b)["EUR"] == pytest.approx(440_000)
    # EUR room: 500,000 - 440,000 = 60,000 USD; one EURGBP unit is 0.85 GBP = 1.0625 USD
    d = risk.size(symbol="EURGBP", side=1, entry=0.85, stop=0.84, broker=b, leverage=100)
    assert d.limited_by == "EUR exposure" and d.units == pytest.approx(56_000)
    # a short EURGBP reduces EUR exposure: room 940,000 USD, then the GBP cap of 500,000 binds
    d = risk.size(symbol="EURGBP", side=-1, entry=0.85, stop=0.86, broker=b, leverage=100)
    assert d.limited_by == "GBP exposure" and d.units == pytest.approx(470_000)


def test_no_stop_no_size_and_tiny_sizes_refused() -> None:
    b = broker(balance=100.0)
    priced(b, "EURUSD", 1.1)
    risk = RiskManager()
    assert (
        risk.size(symbol="EURUSD", side=1, entry=1.1, stop=None, broker=b, leverage=30).units == 0
    )
    tiny = risk.size(symbol="EURUSD", side=1, entry=1.1, stop=1.09, broker=b, leverage=30)
    assert tiny.units == 0 and "minimum lot" in tiny.limited_by


def account(equity: float) -> Account:
    return Account("USD", equity, equity, 0.0, 0.0)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_fx_day_rolls_at_17_new_york() -> None:
    assert fx_day(ts(f"{MON} 21:59")) == pd.Timestamp(MON)
    assert fx_day(ts(f"{MON} 22:00")) == pd.Timestamp("2017-03-07")


def test_daily_loss_limit_blocks_until_the_next_fx_day() -> None:
    risk = RiskManager(RiskConfig(daily_loss_limit=0.03))
    assert risk.on_bar(ts(f"{MON} 10:00"), account(100_000)) == []
    assert risk.on_bar(ts(f"{MON} 11:00"), account(104_000)) == []  # profit never triggers
    assert risk.blocked(0) is None
    assert risk.on_bar(ts(f"{MON} 12:00"), account(96_900)) == ["daily_loss_limit"]
    assert "daily loss limit" in (risk.blocked(0) or "")
    assert risk.on_bar(ts(f"{MON} 13:00"), account(96_000)) == []  # fires once
    risk.on_bar(ts(f"{MON} 22:00"), account(96_000))  # the next FX day
    assert risk.blocked(0) is None


def test_drawdown_kill_switch_is_permanent() -> None:
    risk = RiskManager(RiskConfig(max_drawdown=0.1, daily_loss_limit=1.0))
    risk.on_bar(ts(f"{MON} 10:00"), account(100_000))
    risk.on_bar(ts(f"{MON} 11:00"), account(120_000))
    assert risk.on_bar(ts("2017-03-08 11:00"), account(108_000)) == ["kill_switch"]
    risk.on_bar(ts("2017-03-09 11:00"), account(130_000))
    assert "kill-switch" in (risk.blocked(0) or "")


def test_max_open_positions() -> None:
    risk = RiskManager(RiskConfig(max_open_positions=2))
    assert risk.blocked(1) is None and "max open positions" in (risk.blocked(2) or "")


def test_fx_day_per_bar_equals_fx_day() -> None:
    index = pd.date_range("2017-03-01", "2017-11-10", freq="37min", tz="UTC", unit="us")
    days = fx_day_per_bar(index)
    want = [fx_day(ts).value // (86_400 * 10**9) for ts in index]
    assert days.tolist() == want


def test_kelly_sizes_a_quarter_of_the_kelly_fraction() -> None:
    # p 0.5, payoff 1.5: f* = 0.5 - 0.5 / 1.5 = 1/6; a quarter of it is 4.1667 % of equity,
    # above the 1 % risk per trade -> capped at 1 % = 500,000 units on a 20-pip stop
    b = broker()
    priced(b, "EURUSD", 1.1)
    kelly = RiskManager(
        RiskConfig(
            position_sizing_method="kelly",
            risk_per_trade=0.05,
            max_currency_exposure=40,
            max_total_exposure=40,
        )
    )
    args = {"symbol": "EURUSD", "side": 1, "entry": 1.1, "stop": 1.098, "broker": b}
    d = kelly.size(**args, leverage=30, win_probability=0.5, payoff=1.5)
    # 4.1667 % of 100,000 = 4,166.67 USD / 0.0020 per unit = 2,083,333 -> 2,083,000 (lot step)
    # free margin 100,000 x 30 = 3,000,000 USD / 1.1 = 2,727,272 units: not binding
    assert d.units == pytest.approx(2_083_000) and d.limited_by == "kelly"
    capped = RiskManager(RiskConfig(position_sizing_method="kelly")).size(
        **args, leverage=30, win_probability=0.5, payoff=1.5
    )
    assert capped.units == pytest.approx(500_000) and capped.limited_by == "risk"


def test_kelly_refuses_a_plan_without_edge_and_falls_back_without_a_probability() -> None:
    b = broker()
    priced(b, "EURUSD", 1.1)
    kelly = RiskManager(RiskConfig(position_sizing_method="kelly"))
    args = {"symbol": "EURUSD", "side": 1, "entry": 1.1, "stop": 1.098, "broker": b}
    # p 0.35, payoff 1.5: f* = 0.35 - 0.65 / 1.5 < 0 -> nothing
    none = kelly.size(**args, leverage=30, win_probability=0.35, payoff=1.5)
    assert none.units == 0 and none.limited_by.startswith("kelly: no edge")
    plain = kelly.size(**args, leverage=30)
    assert plain.units == pytest.approx(500_000) and plain.limited_by == "risk"


def test_volatility_adjusted_scales_the_risk_down_only() -> None:
    b = broker()
    priced(b, "EURUSD", 1.1)
    vol = RiskManager(RiskConfig(position_sizing_method="volatility_adjusted"))
    args = {"symbol": "EURUSD", "side": 1, "entry": 1.1, "stop": 1.098, "broker": b}
    half = vol.size(**args, leverage=30, volatility_ratio=0.5)
    assert half.units == pytest.approx(250_000) and half.limited_by == "volatility"
    calm = vol.size(**args, leverage=30, volatility_ratio=2.0)
    assert calm.units == pytest.approx(500_000) and calm.limited_by == "risk"
