"""Every broker rule on hand-built bars."""

from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core.errors import BrokerError, ConfigError
from forex_diffusion.core.trading_config import SPREAD_BUCKETS, BrokerConfig, SwapRates
from forex_diffusion.trading.paper_broker import PaperBroker
from tests.trading.conftest import bar, order


def config(spread: float = 1.0, **kw: object) -> BrokerConfig:
    """Bid-quoted candles, one flat spread, no costs unless asked."""
    base: dict[str, object] = {
        "price_basis": "bid",
        "spreads": dict.fromkeys(BrokerConfig().spreads, dict.fromkeys(SPREAD_BUCKETS, spread)),
        "commission_per_lot": 0.0,
        "slippage_pips": 0.0,
        "swaps": dict.fromkeys(BrokerConfig().swaps, SwapRates(long=0.0, short=0.0)),
    }
    return BrokerConfig.model_validate({**base, **kw})


MON = "2017-03-06"  # a Monday (EST: 17:00 New York is 22:00 UTC)


def test_market_buy_fills_at_the_next_open_ask_plus_slippage_with_commission() -> None:
    b = PaperBroker(config(slippage_pips=0.5, commission_per_lot=3.5))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1000, 1.1010, 1.0990, 1.1005))
    b.submit(order("a"))
    assert b.pending()[0].status == "pending"
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1006, 1.1020, 1.1000, 1.1010))
    (p,) = b.positions()
    assert p.entry_price == pytest.approx(1.1006 + 0.0001 + 0.00005)  # bid + spread + slip
    assert p.commission == pytest.approx(3.5)
    assert b.balance == pytest.approx(100_000 - 3.5)
    report = b.drain()
    assert [o.status for o in report.orders] == ["pending", "filled"]
    (fill,) = report.fills
    assert fill.units == 100_000 and fill.spread_cost == pytest.approx(5.0)  # half a pip
    assert fill.slippage_cost == pytest.approx(5.0)
    # equity marks the long at the close bid: 1.1010 - 1.10075 = 2.5 pips = $25
    assert b.account().equity == pytest.approx(100_000 - 3.5 + 25.0)


def test_submit_is_idempotent_on_the_client_order_id() -> None:
    b = PaperBroker(config())
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    first = b.submit(order("same"))
    assert b.submit(order("same", side="sell")) == first
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1, 1.1, 1.1, 1.1))
    assert len(b.positions()) == 1 and b.positions()[0].side == "long"


def _long_with_levels(b: PaperBroker, **levels: float) -> None:
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1000, 1.1000, 1.1000, 1.1000))
    b.submit(order("L", **levels))
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1000, 1.1001, 1.0999, 1.1000))  # entry 1.1001
    b.drain()


@pytest.mark.parametrize(
    ("rule", "reason", "price"), [("worst", "stop_loss", 1.0980), ("best", "take_profit", 1.1040)]
)
def test_stop_and_target_in_one_bar_follow_the_intrabar_rule(
    rule: str, reason: str, price: float
) -> None:
    b = PaperBroker(config(intrabar=rule))
    _long_with_levels(b, stop_loss=1.0980, take_profit=1.1040)
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1000, 1.1050, 1.0970, 1.1000))
    (trade,) = b.drain().trades
    assert trade.exit_reason == reason and trade.exit_price == pytest.approx(price)
    assert trade.pnl == pytest.approx((price - 1.1001) * 100_000)
    assert trade.initial_risk == pytest.approx((1.1001 - 1.0980) * 100_000)  # 21 pips


def test_stop_loss_slips_and_take_profit_does_not() -> None:
    b = PaperBroker(config(slippage_pips=1.0))
    _long_with_levels(b, stop_loss=1.0980)
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1000, 1.1000, 1.0970, 1.0990))
    (trade,) = b.drain().trades
    assert trade.exit_price == pytest.approx(1.0979)
    b2 = PaperBroker(config(slippage_pips=1.0))
    _long_with_levels(b2, take_profit=1.1040)
    b2.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1000, 1.1045, 1.0995, 1.1040))
    assert b2.drain().trades[0].exit_price == pytest.approx(1.1040)


def test_a_short_exits_at_the_ask() -> None:
    b = PaperBroker(config())
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("S", side="sell", stop_loss=1.1020))
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1000, 1.1005, 1.0995, 1.1000))  # entry at bid 1.1
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1000, 1.1019, 1.0990, 1.1000))  # ask high 1.1020
    (trade,) = b.drain().trades
    assert trade.side == "short" and trade.exit_price == pytest.approx(1.1020)
    assert trade.pnl_pips == pytest.approx(-20.0)


def test_weekend_gap_through_the_stop_fills_at_the_gap_price() -> None:
    b = PaperBroker(config(slippage_pips=2.0))
    b.on_bar("EURUSD", bar("2017-03-10 20:00", 1.1000, 1.1000, 1.1000, 1.1000))  # Friday
    b.submit(order("L", stop_loss=1.0950))
    b.on_bar("EURUSD", bar("2017-03-10 21:00", 1.0999, 1.1000, 1.0998, 1.0999))
    b.drain()
    b.on_bar("EURUSD", bar("2017-03-12 21:00", 1.0900, 1.0920, 1.0890, 1.0910))  # Sunday open
    (trade,) = b.drain().trades
    assert trade.exit_reason == "stop_loss" and trade.exit_price == pytest.approx(1.0900)
    assert trade.slippage_cost == pytest.approx(20.0)  # the entry's slippage only


def _swap_after(entry: str, bars: list[str]) -> float:
    b = PaperBroker(
        config(swaps=dict.fromkeys(BrokerConfig().swaps, SwapRates(long=-1.0, short=0.5)))
    )
    b.on_bar("EURUSD", bar(entry, 1.1, 1.1, 1.1, 1.1))
    b.submit(order("L"))
    for ts in bars:
        b.on_bar("EURUSD", bar(ts, 1.1, 1.1, 1.1, 1.1))
    return b.positions()[0].swap


def test_swap_is_charged_at_the_rollover_and_tripled_on_wednesday() -> None:
    # Tuesday 2017-03-07: the bar 21:00-22:00 UTC closes at the 17:00 New York rollover
    tuesday = _swap_after("2017-03-07 19:00", ["2017-03-07 20:00", "2017-03-07 21:00"])
    wednesday = _swap_after("2017-03-08 19:00", ["2017-03-08 20:00", "2017-03-08 21:00"])
    before = _swap_after("2017-03-08 19:00", ["2017-03-08 20:00"])
    assert tuesday == pytest.approx(-10.0)  # one pip of a 100k EURUSD position
    assert wednesday == pytest.approx(-30.0)
    assert before == 0.0


def test_jpy_pnl_and_pip_value_convert_to_the_account_currency() -> None:
    b = PaperBroker(config(spread=0.0))
    b.on_bar("USDJPY", bar(f"{MON} 10:00", 150.00, 150.00, 150.00, 150.00))
    b.submit(order("J", symbol="USDJPY", take_profit=150.10))
    b.on_bar("USDJPY", bar(f"{MON} 11:00", 150.00, 150.05, 149.99, 150.02))
    b.on_bar("USDJPY", bar(f"{MON} 12:00", 150.05, 150.20, 150.00, 150.10))
    (trade,) = b.drain().trades
    assert trade.pnl_pips == pytest.approx(10.0)
    # 10 pips x 1000 JPY per pip = 10,000 JPY at the close of 150.10
    assert trade.pnl == pytest.approx(10_000 / 150.10)


def test_cross_pairs_convert_through_fx_rates_or_fail_naming_the_pair() -> None:
    b = PaperBroker(config(spread=0.0, fx_rates={"GBPUSD": 1.25}))
    b.on_bar("EURGBP", bar(f"{MON} 10:00", 0.8500, 0.85, 0.85, 0.85))
    b.submit(order("X", symbol="EURGBP"))
    b.on_bar("EURGBP", bar(f"{MON} 11:00", 0.8500, 0.8510, 0.8500, 0.8510))
    assert b.account().open_pnl == pytest.approx(10 * 10 * 1.25)  # 10 pips x GBP 10 x 1.25
    bare = PaperBroker(config())
    bare.on_bar("EURGBP", bar(f"{MON} 10:00", 0.85, 0.85, 0.85, 0.85))
    bare.submit(order("X", symbol="EURGBP"))
    with pytest.raises(ConfigError, match="GBPUSD or USDGBP; add it to"):
        bare.on_bar("EURGBP", bar(f"{MON} 11:00", 0.85, 0.85, 0.85, 0.85))


def test_margin_call_closes_the_biggest_loser_at_the_worst_price() -> None:
    b = PaperBroker(config(initial_balance=2_000.0, leverage=100.0, margin_call_level=0.5))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("L"))  # margin 1,100 on 2,000 of equity
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1000, 1.1000, 1.1000, 1.1000))
    assert b.account().margin_used == pytest.approx(1100.05, rel=1e-4)
    # a 16-pip drop leaves equity 2000 - 1601 < 0.5 x margin
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.0999, 1.1000, 1.0840, 1.0990))
    trades = b.drain().trades
    assert [t.exit_reason for t in trades] == ["margin_call"]
    assert trades[0].exit_price == pytest.approx(1.0840)
    assert b.positions() == [] and b.balance == pytest.approx(2000 - 1610)


def test_an_order_beyond_free_margin_is_rejected() -> None:
    b = PaperBroker(config(initial_balance=1_000.0, leverage=50.0))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("big"))  # 2,200 of margin
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1, 1.1, 1.1, 1.1))
    assert b.positions() == []
    assert b.order("big").status == "rejected"  # type: ignore[union-attr]
    assert "insufficient margin" in (b.order("big").reason or "")  # type: ignore[union-attr]


def test_limit_and_stop_orders_fill_at_their_price_or_the_gap() -> None:
    b = PaperBroker(config(spread=0.0))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("lim", order_type="limit", price=1.0990))
    b.submit(order("stp", order_type="stop", price=1.1030))
    b.submit(order("gap", side="sell", order_type="limit", price=1.0950))
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1000, 1.1010, 1.0985, 1.1000))
    assert [p.entry_price for p in b.positions()] == [pytest.approx(1.0990), pytest.approx(1.1000)]
    assert {o.client_order_id for o in b.pending()} == {"stp"}
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1040, 1.1050, 1.1035, 1.1045))  # gaps over 1.1030
    assert b.positions()[-1].entry_price == pytest.approx(1.1040)


def test_a_trailing_stop_follows_the_best_price() -> None:
    b = PaperBroker(config(spread=0.0))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("T", trailing_pips=10.0))
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1000, 1.1030, 1.0995, 1.1020))
    assert b.positions()[0].stop_loss == pytest.approx(1.1020)
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1022, 1.1025, 1.1021, 1.1023))  # no new high
    assert b.positions()[0].stop_loss == pytest.approx(1.1020)
    b.on_bar("EURUSD", bar(f"{MON} 13:00", 1.1021, 1.1022, 1.1000, 1.1005))
    (trade,) = b.drain().trades
    assert trade.exit_reason == "trailing_stop" and trade.pnl_pips == pytest.approx(20.0)


def test_time_stop_closes_at_the_close_after_n_bars() -> None:
    b = PaperBroker(config(spread=0.0))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("t", time_stop_bars=2))
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1000, 1.1010, 1.0990, 1.1005))
    assert b.positions()
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1005, 1.1010, 1.0990, 1.1008))
    (trade,) = b.drain().trades
    assert trade.exit_reason == "time_stop" and trade.exit_price == pytest.approx(1.1008)


def test_closing_orders_and_close_all() -> None:
    b = PaperBroker(config(spread=0.0))
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    b.submit(order("a"))
    b.on_bar("EURUSD", bar(f"{MON} 11:00", 1.1, 1.1, 1.1, 1.1))
    key = b.positions()[0].position_key
    assert b.submit(order("bad", position_key="P-none", side="sell")).status == "rejected"
    assert b.submit(order("same", position_key=key)).status == "rejected"  # a buy
    b.submit(order("half", side="sell", units=40_000, position_key=key, reason="reduce"))
    b.on_bar("EURUSD", bar(f"{MON} 12:00", 1.1010, 1.1010, 1.1010, 1.1010))
    assert b.positions()[0].units == pytest.approx(60_000)
    b.close_all(reason="emergency")
    trades = b.drain().trades
    assert [(t.exit_reason, t.units) for t in trades] == [("reduce", 40_000), ("emergency", 60_000)]
    assert b.positions() == [] and b.balance == pytest.approx(100_000 + 100)


def test_bars_must_move_forward() -> None:
    b = PaperBroker(config())
    b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    with pytest.raises(BrokerError, match="is not after the last one"):
        b.on_bar("EURUSD", bar(f"{MON} 10:00", 1.1, 1.1, 1.1, 1.1))
    with pytest.raises(BrokerError, match="no price for GBPUSD"):
        b.quote("GBPUSD")


def test_balance_equals_the_sum_of_trade_pnl() -> None:
    b = PaperBroker(
        config(
            commission_per_lot=3.5,
            slippage_pips=0.3,
            swaps={"default": SwapRates(long=-0.6, short=0.2)},
        )
    )
    ts = pd.date_range(f"{MON} 10:00", periods=60, freq="h", tz="UTC")
    pnl = 0.0
    for i, t in enumerate(ts):
        price = 1.1 + 0.001 * ((i * 7) % 5 - 2)
        b.on_bar(
            "EURUSD",
            bar(str(t.tz_convert(None)), price, price + 0.0008, price - 0.0008, price + 0.0002),
        )
        if i % 6 == 0:
            b.submit(
                order(f"o{i}", side="buy" if i % 12 else "sell", stop_loss=None, time_stop_bars=4)
            )
        pnl += sum(t.pnl for t in b.drain().trades)
    b.close_all(reason="end")
    pnl += sum(t.pnl for t in b.drain().trades)
    assert b.balance == pytest.approx(100_000 + pnl)


def test_finished_orders_are_kept_in_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run must not keep every order it ever made (the store keeps them): the broker
    remembers its pending orders and the newest finished ones, with submit idempotent there."""
    from forex_diffusion.trading import paper_broker

    monkeypatch.setattr(paper_broker, "FINISHED_ORDERS", 3)
    b = PaperBroker(config())
    hours = pd.date_range(f"{MON} 10:00", periods=12, freq="h", tz="UTC")
    b.on_bar("EURUSD", bar(str(hours[0]), 1.1, 1.1, 1.1, 1.1))
    for i, ts in enumerate(hours[1:]):  # open, close, open, ...: one order filled per bar
        held = b.positions()
        kw = {"position_key": held[0].position_key} if held else {}
        b.submit(order(f"o{i}", side="sell" if held else "buy", **kw))  # type: ignore[arg-type]
        b.on_bar("EURUSD", bar(str(ts), 1.1, 1.1, 1.1, 1.1))
    b.submit(order("waiting"))
    assert len(b._orders) == 4  # the three newest finished ones and the pending one
    assert [b.order(f"o{i}") is None for i in (7, 8, 9, 10)] == [True, False, False, False]
    assert b.order("o10").status == "filled"  # type: ignore[union-attr]
    assert b.submit(order("o10", side="sell")).status == "filled"  # still idempotent
    assert [o.client_order_id for o in b.pending()] == ["waiting"]
    assert len(b.drain().trades) == 5
