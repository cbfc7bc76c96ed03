"""What the API's routers share: series and time parsing, JSON-ready rows and the bearer-token
check."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import Header, HTTPException

from forex_diffusion.core.types import Symbol, Timeframe

__all__ = ["bearer", "parse_series", "plain", "records", "utc_time"]


def parse_series(symbol: str, timeframe: str) -> tuple[Symbol, Timeframe]:
    """The symbol and timeframe of a request (a ``ConfigError`` naming what is wrong: 422)."""
    return Symbol.parse(symbol), Timeframe.parse(timeframe)


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


def bearer(token: str | None) -> Callable[..., None]:
    """The dependency guarding mutating endpoints: 503 when the server has no token, 401
    without a bearer token, 403 with a wrong one (compared in constant time, never logged)."""

    def authorised(authorization: Annotated[str | None, Header()] = None) -> None:
        if token is None:
            raise HTTPException(503, "no API token is configured: set [api] token")
        if authorization is None or not authorization.startswith("Bearer "):
            raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        given = authorization.removeprefix("Bearer ").encode()
        if not hmac.compare_digest(given, token.encode()):
            raise HTTPException(403, "the token is not valid")

    return authorised
