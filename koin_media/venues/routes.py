"""Venue pages (filled in by the venues work of issue 4)."""

from . import bp  # noqa: F401
