"""JSON for venues, programs, slots and school verification (issue 4)."""

from . import bp  # noqa: F401
