from __future__ import annotations

import pandas as pd
import pytest

from forex_diffusion.core.events import Order
from forex_diffusion.trading.broker import Bar

H1 = pd.Timedelta(hours=1)


def bar(ts: str, o: float, h: float, lo: float, c: float) -> Bar:
    """An H1 bar opening at ``ts`` (UTC)."""
    return Bar(pd.Timestamp(ts, tz="UTC"), o, h, lo, c, H1)


def order(cid: str, side: str = "buy", units: float = 100_000, **kw: object) -> Order:
    return Order(
        client_order_id=cid,
        symbol=str(kw.pop("symbol", "EURUSD")),
        side=side,  # type: ignore[arg-type]
        units=units,
        created_ts=pd.Timestamp("2017-03-06", tz="UTC"),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def make_bar():  # type: ignore[no-untyped-def]
    return bar
