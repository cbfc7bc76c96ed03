"""Time options (``--from``, ``--to``): ISO 8601 only, no offset meaning UTC.

``01/09/2017`` is the 1st of September in London and the 9th of January in New York, and
pandas reads it month first without a word; so every time option of the CLI goes through
:func:`parse_time`, which takes ISO 8601 dates and times and refuses every other form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer

from forex_diffusion.core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ACCEPTED", "FromOption", "ToOption", "parse_time", "time_span"]

ACCEPTED = (
    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS], optionally ending in Z or an "
    "offset such as +01:00 (none: UTC)"
)
"""The accepted forms, as error messages and help texts name them."""

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?",
    re.IGNORECASE,
)

FromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="First bar traded, ISO 8601 (2017-09-01, 2017-09-01T12:00, 2017-09-01 12:00+01:00; "
        "no offset: UTC); earlier bars warm up. Default: the first stored bar.",
    ),
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", help="Last bar traded, ISO 8601 as --from. Default: the last stored bar."),
]


def parse_time(text: str | None, *, option: str) -> pd.Timestamp | None:
    """A time option's value as a UTC timestamp (``None`` when not given).

    Raises
    ------
    ConfigError
        When ``text`` is not one of the :data:`ACCEPTED` forms or not a real time (one line
        naming the option and the value).
    """
    import pandas as pd

    if text is None:
        return None
    value = text.strip()
    if not _ISO.fullmatch(value):
        raise ConfigError(f"{option} {text!r}: not an ISO 8601 time; use {ACCEPTED}")
    try:
        ts = pd.Timestamp(value)
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: not a valid time ({exc})") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def time_span(from_: str | None, to: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``--from`` and ``--to`` parsed; ``--to`` before ``--from`` is a ``ConfigError``."""
    from forex_diffusion.services.series import show_time

    start, end = parse_time(from_, option="--from"), parse_time(to, option="--to")
    if start is not None and end is not None and end < start:
        raise ConfigError(
            f"--to {show_time(end)} is before --from {show_time(start)}: no bars between them"
        )
    return start, end
