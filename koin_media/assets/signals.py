"""Hooks for what follows a moderation decision (the creator's notice and e-mail).

Sent inside the service's transaction, before it commits, like ``booking.signals``: a receiver
adds rows to ``db.session`` (a notice, an outbox message) that commit or roll back with the
decision itself, and must not commit. The notifications package connects its listeners in its
``init_app``, so this package never imports the one that listens.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Asset; ``action``: approved, rejected; ``actor``: the staff member who decided;
# ``reason``: what the creator reads for a rejection (None for an approval); ``edit``: True when
# the decision was on an edit of a published asset (which stays published either way).
asset_reviewed = _signals.signal("asset-reviewed")

# Usage rights (assets/rights.py), sent inside the job's transaction like ``asset_reviewed``.
# ``rights_ending``: sender the Asset, ``ends_on`` its last usable day (a date, WITA), days ahead.
# ``rights_ended``: sender the Asset, just moved to EXPIRED; ``ended_on`` its last usable day;
# ``downloaders``: ids of the users who downloaded it (its owner left out).
rights_ending = _signals.signal("asset-rights-ending")
rights_ended = _signals.signal("asset-rights-ended")
