from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.core.events import Order
from forex_diffusion.storage import Store
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
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store for checks that do not depend on the backend (slow ones run on SQLite only)."""
    s = Store(f"sqlite:///{tmp_path / 'trading.sqlite'}")
    s.ensure_schema()
    yield s
    s.dispose()
