"""FX trading calendar: the week's open and close, trading sessions and the daily rollover.

Conventions (DESIGN.md section 2): the FX week runs from Sunday 17:00 to Friday 17:00 New York
time; rollover happens at 17:00 New York and is tripled on Wednesday (spot settles T+2, so the
Wednesday roll carries the weekend). Daylight saving is handled through the IANA time zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

__all__ = [
    "NEW_YORK",
    "Session",
    "active_sessions",
    "is_market_open",
    "market_open_mask",
    "rollover_multiplier",
    "rollover_time",
    "rollovers_between",
    "session_flags",
    "week_close",
    "week_open",
]

NEW_YORK = ZoneInfo("America/New_York")
_CUTOFF = time(17, 0)
_SUNDAY, _WEDNESDAY, _FRIDAY, _SATURDAY = 6, 2, 4, 5


@dataclass(frozen=True, slots=True)
class _SessionHours:
    zone: ZoneInfo
    open_hour: int
    close_hour: int


class Session(StrEnum):
    """The four main FX sessions, each 08:00 to 17:00 in its own city's local time."""

    SYDNEY = "sydney"
    TOKYO = "tokyo"
    LONDON = "london"
    NEW_YORK = "new_york"

    @property
    def hours(self) -> _SessionHours:
        """Local time zone and opening hours."""
        return _SESSION_HOURS[self]


_SESSION_HOURS = {
    Session.SYDNEY: _SessionHours(ZoneInfo("Australia/Sydney"), 8, 17),
    Session.TOKYO: _SessionHours(ZoneInfo("Asia/Tokyo"), 9, 18),
    Session.LONDON: _SessionHours(ZoneInfo("Europe/London"), 8, 17),
    Session.NEW_YORK: _SessionHours(NEW_YORK, 8, 17),
}


def _utc(ts: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        raise ValueError(f"timestamp {stamp} has no time zone; pass a tz-aware UTC time")
    return stamp.tz_convert("UTC")


def is_market_open(ts: datetime | pd.Timestamp) -> bool:
    """True if the FX market is open at ``ts`` (between Sunday 17:00 and Friday 17:00 New York)."""
    ny = _utc(ts).tz_convert(NEW_YORK)
    wd = ny.weekday()
    after_cutoff = ny.time() >= _CUTOFF
    if wd == _SATURDAY:
        return False
    if wd == _SUNDAY:
        return after_cutoff
    if wd == _FRIDAY:
        return not after_cutoff
    return True


def market_open_mask(index: pd.DatetimeIndex) -> np.ndarray:
    """Vectorised :func:`is_market_open` over a tz-aware index."""
    ny = index.tz_convert(NEW_YORK)
    wd = np.asarray(ny.day_of_week)
    minutes = np.asarray(ny.hour) * 60 + np.asarray(ny.minute)
    after = minutes >= _CUTOFF.hour * 60
    closed = (wd == _SATURDAY) | ((wd == _SUNDAY) & ~after) | ((wd == _FRIDAY) & after)
    return np.asarray(~closed, dtype=bool)


def _ny_at(day: date, at: time = _CUTOFF) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(day, at, tzinfo=NEW_YORK)).tz_convert("UTC")


def week_open(ts: datetime | pd.Timestamp) -> pd.Timestamp:
    """Open (Sunday 17:00 New York, in UTC) of the last FX week that opened at or before ``ts``."""
    ny = _utc(ts).tz_convert(NEW_YORK)
    days_back = (ny.weekday() - _SUNDAY) % 7
    candidate = _ny_at(ny.date() - timedelta(days=days_back))
    if candidate > _utc(ts):
        candidate = _ny_at(ny.date() - timedelta(days=days_back + 7))
    return candidate


def week_close(ts: datetime | pd.Timestamp) -> pd.Timestamp:
    """Close (Friday 17:00 New York, in UTC) of the FX week that opened last at or before ``ts``."""
    opened = week_open(ts).tz_convert(NEW_YORK)
    return _ny_at(opened.date() + timedelta(days=5))


def rollover_time(day: date) -> pd.Timestamp:
    """The rollover instant (17:00 New York) of a New York calendar day, in UTC."""
    return _ny_at(day)


def rollover_multiplier(day: date) -> int:
    """Days of swap charged at the rollover of a New York calendar day.

    3 on Wednesday (the weekend is carried), 1 on other weekdays, 0 on Saturday and Sunday
    (no rollover while the market is closed). Pairs settling T+1 (USDCAD) are not modelled.
    """
    wd = day.weekday()
    if wd in (_SATURDAY, _SUNDAY):
        return 0
    return 3 if wd == _WEDNESDAY else 1


def rollovers_between(
    start: datetime | pd.Timestamp, end: datetime | pd.Timestamp
) -> list[tuple[pd.Timestamp, int]]:
    """Rollovers in the half-open interval ``(start, end]`` as ``(utc_time, multiplier)`` pairs."""
    lo, hi = _utc(start), _utc(end)
    out: list[tuple[pd.Timestamp, int]] = []
    day = lo.tz_convert(NEW_YORK).date()
    last = hi.tz_convert(NEW_YORK).date()
    while day <= last:
        when = rollover_time(day)
        mult = rollover_multiplier(day)
        if lo < when <= hi and mult:
            out.append((when, mult))
        day += timedelta(days=1)
    return out


def active_sessions(ts: datetime | pd.Timestamp) -> frozenset[Session]:
    """The sessions open at ``ts`` (none while the FX market is closed)."""
    stamp = _utc(ts)
    if not is_market_open(stamp):
        return frozenset()
    active = set()
    for session in Session:
        hours = session.hours
        local = stamp.tz_convert(hours.zone)
        if local.weekday() < _SATURDAY and hours.open_hour <= local.hour < hours.close_hour:
            active.add(session)
    return frozenset(active)


def session_flags(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Boolean columns ``session_<name>`` per bar time; the vectorised :func:`active_sessions`."""
    open_mask = market_open_mask(index)
    columns: dict[str, np.ndarray] = {}
    for session in Session:
        hours = session.hours
        local = index.tz_convert(hours.zone)
        hour = np.asarray(local.hour)
        weekday = np.asarray(local.day_of_week)
        inside = (hour >= hours.open_hour) & (hour < hours.close_hour) & (weekday < _SATURDAY)
        columns[f"session_{session.value}"] = inside & open_mask
    return pd.DataFrame(columns, index=index)
