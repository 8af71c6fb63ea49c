"""E-mail notifications through an outbox.

A booking change writes its messages (``booking_mail``) into the ``outbox_messages`` table in
the same transaction as the change itself, so a message exists exactly when the change does.
Delivery (``outbox``) happens afterwards, in the queue worker (``jobs``): by SMTP when
``MAIL_SMTP_HOST`` is set, otherwise as ``.eml`` files under ``MAIL_DIR``; failures are
retried with backoff and never drop the message.
"""

from . import jobs, models  # noqa: F401  (registers the table and the jobs)
