"""What follows a promo kit's build: its owner hears that it is ready, or that it failed.

Sent inside the job's transaction, before it commits, like ``assets.signals``: a receiver adds
rows to ``db.session`` (a notice, an outbox message) that commit or roll back with the kit's new
status, and must not commit. The notifications package connects its listener
(``notifications/kit_mail.py``), so this package never imports the one that listens.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Kit, now ``ready`` (its link works until ``kit.expires_at``).
kit_ready = _signals.signal("kit-ready")
# sender: the Kit, now ``failed`` after its last attempt (``kit.problem_code`` says why).
kit_failed = _signals.signal("kit-failed")
