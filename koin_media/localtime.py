"""Wall-clock time in Lombok: WITA (Asia/Makassar, UTC+8, no daylight saving).

The one home of the zone and of the conversions between WITA days and the UTC instants the
database keeps. "Today" comes from ``utcnow`` so that tests which move the clock move it too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .database import utcnow

WITA = "Asia/Makassar"
LOCAL = ZoneInfo(WITA)


def local_to_utc(day: date, at: time) -> datetime:
    """A wall-clock time in Lombok as a UTC datetime."""
    return datetime.combine(day, at, tzinfo=LOCAL).astimezone(UTC)


def local_day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds of the WITA days ``first`` to ``last`` inclusive: midnight before ``first``
    up to (not including) midnight after ``last``."""
    return local_to_utc(first, time(0)), local_to_utc(last + timedelta(days=1), time(0))


def local_today() -> date:
    """Today's date in Lombok."""
    return utcnow().astimezone(LOCAL).date()


def iso_utc(moment: datetime | None) -> str | None:
    """An instant as the API writes every timestamp: ISO 8601 in UTC with ``Z``
    (``2026-12-01T01:30:00Z``, fractions of a second when the instant has them)."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # a naive value from the database is UTC (database.py)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def expires_at(seconds: int) -> str:
    """When a link handed out now with a lifetime of ``seconds`` stops working (``iso_utc``):
    the API states every expiry as an instant, never as seconds from now."""
    return iso_utc(utcnow() + timedelta(seconds=seconds))
