"""Hooks for what follows a booking change (notifications through the outbox).

Sent inside the service's transaction, before it commits: a receiver that adds rows to
``db.session`` (an outbox message) commits or rolls back together with the change itself.
Receivers must not commit.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Booking; keyword ``action``: requested, confirmed, rejected, cancelled, expired,
# moved, checked_in, no_show, completed, slot_closed; ``actor``: the acting user or None (jobs).
booking_changed = _signals.signal("booking-changed")

# sender: the WaitlistEntry; ``action``: joined, offered, accepted, lapsed, withdrawn; ``actor``.
waitlist_changed = _signals.signal("waitlist-changed")
