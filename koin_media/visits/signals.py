"""Hooks for what follows a visit event (notifications through the outbox).

Like ``booking.signals``: sent inside the service's transaction, before it commits, so a
receiver's outbox rows and notices commit or roll back with the change. Receivers must not
commit.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Booking; keyword ``action`` names the event (``reminder_due``, ``headcount_changed``,
# ``reschedule_offered``, ``rescheduled``, ``feedback_requested``, ...); ``actor``: the acting user
# or None (jobs); further keywords carry what the event is about.
visit_changed = _signals.signal("visit-changed")
