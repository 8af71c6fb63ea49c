"""Eduwisata bookings: programs and slots at venues, capacity-safe booking requests, decisions,
check-in and the waitlist.

Write logic lives beside the models: ``capacity`` (the only code that changes a slot's held
seats), ``services`` (requests and decisions), ``visits`` (check-in, no-show, completion),
``waitlist``, ``schedule`` (slot generation and closures), all built on ``transaction`` (what
every write shares); ``rules`` and ``problems`` hold the checks and their refusal codes,
``settings`` the hours and limits, and ``Booking.allowed_actions`` which actions a user may
take; ``signals`` announces changes, and the notifications package connects its listeners to
them in its ``init_app``. The HTML and JSON routes are built on top of these services and
attach to ``bp`` when ``create_app`` imports them (what the pages share is in ``pages``).
"""

from flask import Blueprint

bp = Blueprint("booking", __name__)
