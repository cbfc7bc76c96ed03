"""The one place where the project's errors become HTTP answers (DESIGN.md section 3).

Endpoints raise the error of the error tree that says what is wrong; :func:`install` registers
one handler for the whole tree on the app:

| error | status |
|---|---|
| ``DataError`` (``CandleDataError``: the body also names ``bar``, ``field``, ``row``) | 422 |
| ``ConfigError`` (a bad argument) | 422 |
| ``ConflictError`` (the state forbids it), ``RiskLimitError``, ``ModelError`` | 409 |
| ``NotFoundError`` (an unknown run, series or model) | 404 |
| ``StorageError`` (the store cannot be used), ``RetryableBrokerError`` | 503 |
| ``BrokerError`` | 502 |
| any other project error | 500 |

The body is ``{"detail": "<one line>", "error": "<class name>"}``. Request bodies that do not
parse get FastAPI's 422 list, with values JSON cannot carry (NaN, infinity) written as strings
(FastAPI's own handler would fail on them with a 500). Any other exception is a bug: FastAPI's
500, logged with its traceback, never sent.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from forex_diffusion.core.errors import (
    BrokerError,
    CandleDataError,
    ConfigError,
    ConflictError,
    DataError,
    ForexDiffusionError,
    ModelError,
    NotFoundError,
    RetryableBrokerError,
    RiskLimitError,
    StorageError,
    one_line,
)

__all__ = ["STATUS", "install", "status_for"]

logger = logging.getLogger(__name__)

STATUS: dict[type[ForexDiffusionError], int] = {
    DataError: 422,
    ConfigError: 422,
    ConflictError: 409,
    RiskLimitError: 409,
    ModelError: 409,
    NotFoundError: 404,
    StorageError: 503,
    RetryableBrokerError: 503,
    BrokerError: 502,
}
"""HTTP status per error family; the most specific class in an error's MRO wins."""


def status_for(exc: ForexDiffusionError) -> int:
    """The HTTP status of a project error (500 for a family without one)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def _project_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ForexDiffusionError)
    status = status_for(exc)
    body: dict[str, Any] = {"detail": one_line(exc), "error": type(exc).__name__}
    if isinstance(exc, CandleDataError):
        body |= {"bar": exc.timestamp, "field": exc.column, "row": exc.position}
    if status >= 500:
        logger.error("%s: %s", type(exc).__name__, body["detail"])
    return JSONResponse(body, status_code=status)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = _json_safe(jsonable_encoder(exc.errors()))
    return JSONResponse({"detail": detail}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ForexDiffusionError, _project_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
