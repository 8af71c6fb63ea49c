"""E-mail notifications through an outbox.

A change writes its messages into the ``outbox_messages`` table in the same transaction as the
change itself, so a message exists exactly when the change does. The producers (bookings,
accounts, school coordinators, asset moderation) only send signals; ``init_app`` connects this package's
listeners to them. Delivery (``outbox``) happens afterwards, in the queue worker (``jobs``): by
SMTP when ``MAIL_SMTP_HOST`` is set, otherwise as ``.eml`` files under ``MAIL_DIR``; failures
are retried with backoff and never drop the message. Creators also get notices on the site
(``notices``, read at ``/my/notices``) and a weekly download digest (``digest``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from . import (
    account_mail,
    asset_mail,
    booking_mail,
    channels,
    feedback_mail,
    jobs,
    kit_mail,
    reminder_mail,
    reschedule_mail,
    rights_mail,
    school_mail,
)

# The notices page (``routes``), attached when ``create_app`` imports it.
bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    """Connect the listeners that write the outbox (blinker keeps one connection per
    receiver, so building several apps in one process connects each once)."""
    channels.init_app(app)  # first: an unknown KOIN_NOTIFICATION_CHANNELS stops the start
    account_mail.connect()
    asset_mail.connect()
    kit_mail.connect()
    rights_mail.connect()
    booking_mail.connect()
    school_mail.connect()
    feedback_mail.connect()
    reminder_mail.connect()
    reschedule_mail.connect()
    jobs.connect()
