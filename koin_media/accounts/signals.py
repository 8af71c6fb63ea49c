"""Hooks for what follows a change of a school coordinator's membership (the notifications).

Sent inside the service's transaction, before it commits, like ``booking.signals``: receivers
add rows to ``db.session`` and must not commit.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the coordinator (User); ``action``: waiting (just registered; keyword ``new_school``),
# approved, rejected; ``actor``: who decided (the coordinator themself for ``waiting``).
coordinator_changed = _signals.signal("coordinator-changed")

# Account mails (accounts/email_links.py; written by notifications.account_mail).
# sender: the e-mail address typed (str), which may have no account; ``locale``: the page's.
password_reset_requested = _signals.signal("password-reset-requested")
# sender: the User whose address needs confirming; ``locale``: the page's. Sent inside the
# caller's transaction (registration, resend); the receiver adds the mail and does not commit.
verification_needed = _signals.signal("verification-needed")
