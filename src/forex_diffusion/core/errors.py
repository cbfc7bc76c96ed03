"""The one error tree of the project, named by what the caller should do.

Only the ``cli`` and ``api`` layers turn these into exit codes or HTTP status codes.
"""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "CandleDataError",
    "ConfigError",
    "ConflictError",
    "DataError",
    "ForexDiffusionError",
    "ModelError",
    "NotFoundError",
    "RetryableBrokerError",
    "RiskLimitError",
    "RunFailedError",
    "StorageError",
    "describe",
    "one_line",
]


class ForexDiffusionError(Exception):
    """Base class of every error the project raises on purpose."""


class DataError(ForexDiffusionError):
    """Input data is unusable: fix the data (or the way it is read) and try again."""


class CandleDataError(DataError):
    """A candle frame or candle file breaks the candle contract (DESIGN.md section 2).

    Parameters
    ----------
    message
        One line that names the offending row and column.
    position
        0-based row position in the frame, when known.
    column
        The offending column, when known.
    timestamp
        The offending row's timestamp as text, when known.
    reason
        What is wrong, without the location (defaults to ``message``).
    """

    def __init__(
        self,
        message: str,
        *,
        position: int | None = None,
        column: str | None = None,
        timestamp: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.position = position
        self.column = column
        self.timestamp = timestamp
        self.reason = reason if reason is not None else message


class ConfigError(ForexDiffusionError):
    """A configuration value or argument is invalid: fix the configuration."""


class ConflictError(ConfigError):
    """The request conflicts with the state of what it names (a run id already taken, a run
    that is not trading): change the request or the state first."""


class StorageError(ForexDiffusionError):
    """The store cannot be used as asked (schema out of date, unreachable database)."""


class NotFoundError(StorageError):
    """What the caller named (a run, a series, a model) is not in the store: check the id."""


class ModelError(ForexDiffusionError):
    """A model cannot be trained, loaded or used: retrain or pick another checkpoint."""


class BrokerError(ForexDiffusionError):
    """The broker rejected or failed an operation."""


class RetryableBrokerError(BrokerError):
    """A transient broker failure: the same request may succeed if retried."""


class RiskLimitError(ForexDiffusionError):
    """An action would break a risk limit: do not retry it as it is."""


class RunFailedError(ForexDiffusionError):
    """A run stopped because its strategy, a signal source, the forecaster or the broker raised
    something that is not an expected, handled condition (a bug or a broken component). The
    run is stored as ``failed`` with :attr:`cause` and what it did up to there.

    Parameters
    ----------
    run_id
        The failed run.
    cause
        One line: exception type, message, symbol and bar.
    """

    def __init__(self, run_id: str, cause: str) -> None:
        super().__init__(f"run {run_id} failed: {cause}")
        self.run_id = run_id
        self.cause = cause


def one_line(exc: BaseException) -> str:
    """The first line of an error's message (its class name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def describe(exc: BaseException) -> str:
    """``Type: first line of the message`` (what a failed run stores as its cause)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
