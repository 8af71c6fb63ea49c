"""Queue messages in the outbox and deliver them: SMTP when configured, ``.eml`` files otherwise.

Settings (``current_app.config``): ``MAIL_SMTP_HOST`` (unset: write files), ``MAIL_SMTP_PORT``
(587), ``MAIL_SMTP_USER``, ``MAIL_SMTP_PASSWORD``, ``MAIL_SMTP_TLS`` (STARTTLS, true; port 465
uses implicit TLS), ``MAIL_FROM``, ``MAIL_DIR`` (``<instance>/mail``).

Delivery never holds a database transaction across the network: a worker first claims the
message (a conditional UPDATE, committed), then sends, then records the outcome. A failure
leaves the message unsent with its error and a later ``next_attempt_at``; the sweep retries it.
A crash between sending and recording may send a message twice, never zero times.
"""

from __future__ import annotations

import copy
import os
import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from ..database import utcnow
from ..extensions import db
from .models import OutboxMessage

DEFAULT_FROM = "KOIN Media <noreply@koin-media.id>"
# How long a worker may take to send one message before another may try it again.
CLAIM_SECONDS = 5 * 60
FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 6 * 60 * 60
# After this many failed tries (about three days) a message stays in the table, unsent, with
# its last error, and the sweep stops trying it.
MAX_ATTEMPTS = 20
SMTP_TIMEOUT_SECONDS = 30
# Headers stay on one line (RFC 5322 allows 998 characters; subjects are at most 255): the
# standard library's folding of 78 puts some subjects on a line of their own after
# "Subject:", which readers then show with a leading space.
MAIL_POLICY = policy.default.clone(max_line_length=998)
# For a server that does not offer 8BITMIME (RFC 6152): the same message with every 8-bit
# part (Indonesian text, the .ics) re-encoded as base64 when it is written out.
SEVEN_BIT_POLICY = MAIL_POLICY.clone(cte_type="7bit")
ICS_METHOD = re.compile(r"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)


# -- writing messages (inside the caller's transaction) --------------------------------------


def recipient_locale(user) -> str:
    locale = getattr(user, "locale", None)
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def render(kind: str, locale: str, **context) -> tuple[str, str]:
    """Subject and text of a message from ``templates/mail/<kind>.<locale>.txt``: the first
    line is the subject, the rest (after a blank line) the body. Rendered in the recipient's
    language, so dates and labels come out in it too."""
    with force_locale(locale):
        rendered = render_template(f"mail/{kind}.{locale}.txt", locale=locale, **context)
    subject, _, body = rendered.lstrip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def add(
    kind: str,
    user,
    subject: str,
    body_text: str,
    booking=None,
    locale: str = "id",
    attachment_ics: str | None = None,
    attachment_name: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the current transaction; the caller commits (or rolls back) it."""
    now = now or utcnow()
    message = OutboxMessage(
        kind=kind,
        booking_id=getattr(booking, "id", None),
        user_id=user.id,
        to_address=user.email,
        locale=locale,
        subject=subject[:255],
        body_text=body_text,
        attachment_ics=attachment_ics,
        attachment_name=attachment_name,
        created_at=now,
        next_attempt_at=now,
        attempts=0,
    )
    db.session.add(message)
    return message


# -- delivery ----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """1 minute after the first failure, doubling, at most 6 hours."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, LONGEST_RETRY_SECONDS))


def _due(now: datetime):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.attempts < MAX_ATTEMPTS,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def due_ids(now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(*_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return list(ids)


def _claim(message_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *_due(now))
        .values(attempts=OutboxMessage.attempts + 1, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(message_id: int, now: datetime | None = None) -> bool:
    """Send one message if it is due and no other worker has it. True when it went out."""
    now = now or utcnow()
    if not _claim(message_id, now):
        return False
    attempts, recipient = 1, "?"
    try:
        message = db.session.get(OutboxMessage, message_id)
        attempts, recipient = message.attempts, message.to_address
        email = build_email(message)
        db.session.rollback()  # no transaction (nor SQLite write lock) held while sending
        send(email, message_id)
    except Exception as error:  # any failure: keep the message, retry later
        db.session.rollback()
        last_error = f"{type(error).__name__}: {error}"[:2000]
        _record(message_id, last_error=last_error, next_attempt_at=now + retry_delay(attempts))
        current_app.logger.warning("mail %s to %s failed (attempt %s): %s", message_id, recipient, attempts, error)
        return False
    _record(message_id, sent_at=utcnow(), last_error=None)
    return True


def _record(message_id: int, **values) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def sender() -> str:
    return current_app.config.get("MAIL_FROM", DEFAULT_FROM) or DEFAULT_FROM


def organizer_address() -> str:
    """The bare address mail comes from: the ORGANIZER of the events we send."""
    return parseaddr(sender())[1] or parseaddr(DEFAULT_FROM)[1]


def calendar_method(ics: str) -> str:
    """The iTIP method of an .ics, which its MIME type must repeat (RFC 6047)."""
    found = ICS_METHOD.search(ics)
    return found.group(1).upper() if found else "PUBLISH"


def build_email(message: OutboxMessage) -> EmailMessage:
    from_header = sender()
    domain = parseaddr(from_header)[1].rpartition("@")[2] or "koin-media.id"
    email = EmailMessage(policy=MAIL_POLICY)
    email["Subject"] = message.subject
    email["From"] = from_header
    email["To"] = Address(addr_spec=message.to_address)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(f"outbox-{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email["X-KOIN-Kind"] = message.kind
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.attachment_ics:
        email.add_attachment(
            message.attachment_ics,
            subtype="calendar",
            filename=message.attachment_name or "booking.ics",
            params={"method": calendar_method(message.attachment_ics)},
        )
    # Set last: turning the message into multipart/mixed moves Content-* headers inward.
    email["Content-Language"] = message.locale
    return email


def send(email: EmailMessage, message_id: int) -> None:
    host = current_app.config.get("MAIL_SMTP_HOST")
    if host:
        _send_smtp(email, host)
    else:
        write_eml(email, message_id)


def mail_dir() -> Path:
    return Path(current_app.config.get("MAIL_DIR") or Path(current_app.instance_path) / "mail")


def write_eml(email: EmailMessage, message_id: int) -> Path:
    """One RFC 5322 file per message, named by its id; written whole or not at all."""
    folder = mail_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message_id}.eml"
    partial = folder / f".{message_id}.eml.partial"
    partial.write_bytes(email.as_bytes())
    os.replace(partial, path)
    return path


def _send_smtp(email: EmailMessage, host: str) -> None:
    config = current_app.config
    port = int(config.get("MAIL_SMTP_PORT", 587) or 587)
    user, password = config.get("MAIL_SMTP_USER"), config.get("MAIL_SMTP_PASSWORD")
    tls = config.get("MAIL_SMTP_TLS", True)
    if isinstance(tls, str):  # straight from the environment
        tls = tls.strip().lower() not in {"0", "false", "no", "off"}
    context = ssl.create_default_context()
    if tls and port == 465:
        connection = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        connection = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    with connection as smtp:
        smtp.ehlo()
        if tls and port != 465:
            smtp.starttls(context=context)
            smtp.ehlo()
        if user:
            smtp.login(user, password or "")
        message, options = for_server(email, smtp.has_extn("8bitmime"))
        smtp.send_message(message, mail_options=options)


def for_server(email: EmailMessage, offers_8bitmime: bool) -> tuple[EmailMessage, tuple[str, ...]]:
    """RFC 6152: 8-bit text goes as it is, announced with BODY=8BITMIME, to a server that
    offers the extension; any other server gets it encoded, every byte 7-bit."""
    if email.as_bytes().isascii():
        return email, ()
    if offers_8bitmime:
        return email, ("BODY=8BITMIME",)
    encoded = copy.deepcopy(email)
    encoded.policy = SEVEN_BIT_POLICY  # smtplib writes the message out with its own policy
    return encoded, ()
