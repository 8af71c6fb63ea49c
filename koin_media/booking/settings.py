"""The booking settings (hours and limits); their defaults and KOIN_* variables are in config.py.

A leaf module, so that the models (the cancel window of ``Booking.allowed_actions``), the
rules and the services all read a setting from the same place.
"""

from __future__ import annotations

from flask import current_app


def setting(name: str) -> int:
    return int(current_app.config[name])


def pending_hours() -> int:
    return setting("BOOKING_PENDING_HOURS")


def cancel_hours() -> int:
    return setting("BOOKING_CANCEL_HOURS")


def max_pending() -> int:
    return setting("BOOKING_MAX_PENDING")


def offer_hours() -> int:
    return setting("BOOKING_OFFER_HOURS")


def check_in_early_minutes() -> int:
    return setting("BOOKING_CHECKIN_EARLY_MINUTES")
