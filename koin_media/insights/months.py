"""The dashboard's period and its months, in WITA: the one place that turns a chosen range of
local days into UTC bounds and a timestamp column into the index of its local month.

The database keeps instants in UTC (naive on SQLite, timestamptz on PostgreSQL), and the two
have no shared way to shift a timestamp into a zone before taking its month. So the months are
not computed by the database at all: Python works out the UTC instant at which each WITA month
begins (``localtime.local_to_utc``, which knows the zone) and the query sorts every row into its
month with one portable ``CASE col < boundary THEN i``. The same SQL runs on both databases, is
right at midnight WITA on the last day of a month (16:00 UTC the day before), and would stay
right in a zone with daylight saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, literal

from ..localtime import local_day_range, local_to_utc

# The longest period one page sums up: five years of months keep the charts legible and every
# query bounded (at most 61 month buckets).
MAX_DAYS = 5 * 366


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_back(day: date, count: int) -> date:
    """The first day of the month ``count`` months before ``day``'s (0: its own)."""
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """WITA days ``first`` to ``last`` inclusive, and the calendar months they touch."""

    first: date
    last: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """UTC instants: midnight WITA before ``first`` up to midnight after ``last``."""
        return local_day_range(self.first, self.last)

    @property
    def months(self) -> list[date]:
        """The first day of every month the period touches, oldest first."""
        months, month = [], self.first.replace(day=1)
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months

    def within(self, column):
        """The SQL condition: ``column`` (a UTC timestamp) falls on a day of the period."""
        starts, ends = self.bounds
        return and_(column >= starts, column < ends)

    def month_index(self, column):
        """SQL for the index in ``months`` of the WITA month ``column`` falls in, for rows
        already limited to the period (``within``): the last month takes what the others do
        not. Label it in a subquery and group the outer query by that column: PostgreSQL
        sees the CASE in a GROUP BY as the same expression only when it is the same column.
        With one month it is a constant that names no table: the query must say its FROM
        itself (``select_from``), never infer it from this column."""
        months = self.months
        if len(months) == 1:
            return literal(0)
        # A bound parameter per month: each boundary is compared with the column's own type.
        return case(
            *[(column < local_to_utc(month, time(0)), index) for index, month in enumerate(months[1:])],
            else_=len(months) - 1,
        )
