"""JSON for bookings (issue 4)."""

from . import bp  # noqa: F401
