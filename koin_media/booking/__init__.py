"""Eduwisata bookings: programs and slots at venues, capacity-safe booking requests, decisions,
check-in and the waitlist (issue 4).

Write logic lives beside the models: ``capacity`` (the only code that changes a slot's held
seats), ``services`` (requests and decisions), ``visits`` (check-in, no-show, completion),
``waitlist``, ``schedule`` (slot generation and closures); ``rules`` and ``problems`` hold the
checks and their refusal codes; ``signals`` lets the notification outbox hook into the same
transactions. The HTML and JSON routes are built on top of these services.
"""

from . import jobs, models  # noqa: F401  (registers the tables and the periodic job)

# isort: split
from ..notifications import booking_mail  # noqa: F401  (its listeners write the outbox; last: needs the above)
