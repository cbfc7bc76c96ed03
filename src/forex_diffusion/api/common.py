"""What the API's routers share: series and time parsing, the stored bars of a series,
JSON-ready rows and the bearer-token check."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import HTTPException, Path

from forex_diffusion.core.errors import NotFoundError
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.storage import CandleRepository, Store

__all__ = [
    "SymbolPath",
    "TimeframePath",
    "bearer",
    "parse_series",
    "plain",
    "records",
    "stored_candles",
    "utc_time",
]

SymbolPath = Annotated[str, Path(description="Currency pair, e.g. EURUSD.")]
TimeframePath = Annotated[str, Path(description="Timeframe, e.g. H1.")]


def parse_series(symbol: str, timeframe: str) -> tuple[Symbol, Timeframe]:
    """The symbol and timeframe of a request (a ``ConfigError`` naming what is wrong: 422)."""
    return Symbol.parse(symbol), Timeframe.parse(timeframe)


def stored_candles(
    store: Store, symbol: Symbol, timeframe: Timeframe, *, last: int | None = None
) -> pd.DataFrame:
    """The stored bars of a series (the newest ``last``); a ``NotFoundError`` (404) when the
    store has none."""
    frame = CandleRepository(store).load(symbol, timeframe, last=last)
    if frame.empty:
        raise NotFoundError(f"no {symbol} {timeframe.value} candles in the store")
    return frame


EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def utc_time(value: datetime, field: str) -> datetime:
    """``value`` in UTC (a time without an offset is UTC, as in the CLI), between 1970 and
    2200; else a ``ValueError`` naming ``field`` (a 422)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value < LATEST:  # compared before converting: year 1 cannot move west
        raise ValueError(f"{field}: {value.isoformat()} is not between 1970 and 2200")
    return value.astimezone(UTC)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (timestamps as ISO strings, NaN as null)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    return [
        {str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in out.astype(object).to_dict("records")
    ]


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its datetimes as ISO strings."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def bearer(token: str | None) -> Callable[[str | None], None]:
    """The check of a mutating request's ``Authorization`` header (the token stays in this
    closure): 503 when the server has no token, 401 without a bearer token, 403 with a wrong
    one (compared in constant time, never logged)."""

    def check(authorization: str | None) -> None:
        if token is None:
            raise HTTPException(503, "no API token is configured: set [api] token")
        if authorization is None or not authorization.startswith("Bearer "):
            raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        given = authorization.removeprefix("Bearer ").encode()
        if not hmac.compare_digest(given, token.encode()):
            raise HTTPException(403, "the token is not valid")

    return check
