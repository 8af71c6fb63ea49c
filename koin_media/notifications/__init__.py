"""E-mail notifications through an outbox.

A booking change writes its messages (``booking_mail``) into the ``outbox_messages`` table in
the same transaction as the change itself, so a message exists exactly when the change does.
Delivery (``outbox``) happens afterwards, in the queue worker (``jobs``): by SMTP when
``MAIL_SMTP_HOST`` is set, otherwise as ``.eml`` files under ``MAIL_DIR``; failures are
retried with backoff and never drop the message.
"""

# The table and jobs; the listeners that write the outbox for account mails (reset and
# verification) and for school coordinators (waiting, approved, rejected).
from . import account_mail, jobs, models, school_mail  # noqa: F401
