"""Account mails: the password reset link and the e-mail verification link.

Receivers of ``accounts.signals.password_reset_requested`` and ``verification_needed``. Both
mails go to one person, are tied to no booking, and are written in that person's language
(their account's, or the language of the page they asked from). Links are built from
``PUBLIC_URL``, never from the request's ``Host`` header, so a forged header cannot point a
reset link at another site.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from ..accounts import email_links
from ..accounts.models import User
from ..accounts.signals import password_reset_requested, verification_needed
from ..extensions import db
from ..jobs import job
from ..sitelinks import site_link
from .models import EMAIL_VERIFICATION, PASSWORD_RESET
from .outbox import add, render

log = logging.getLogger(__name__)


# -- password reset --------------------------------------------------------------------------


def on_password_reset_requested(email: str, locale: str | None = None, **_extra) -> None:
    """Only the address goes to the queue, whether or not it has an account, so the request
    costs the same either way; the job decides."""
    try:
        send_password_reset(email, locale)
    except Exception:  # any failure: the queue is unreachable, write the mail now rather than lose it
        log.warning("password reset: could not reach the queue; writing the mail in the request", exc_info=True)
        queue_password_reset_mail(email, locale)


@job(retries=3, retry_delay=30)
def send_password_reset(email: str, locale: str | None) -> bool:
    return queue_password_reset_mail(email, locale)


def queue_password_reset_mail(email: str, locale: str | None = None, now: datetime | None = None) -> bool:
    """Write (and commit) the reset mail if ``email`` belongs to an active account."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        db.session.rollback()  # end the read; inline (tests) it is the request's transaction
        return False
    language = email_links.mail_locale(user, locale)
    link = site_link("accounts.reset_password", token=email_links.password_reset_token(user, now))
    minutes = int(email_links.reset_lifetime().total_seconds() // 60)
    subject, body = render("password_reset", language, recipient=user, link=link, minutes=minutes)
    add(PASSWORD_RESET, user, subject, body, locale=language, now=now)
    db.session.commit()
    return True


# -- e-mail verification ---------------------------------------------------------------------


def on_verification_needed(user: User, locale: str | None = None, **_extra) -> None:
    """Add the verification mail to the caller's transaction; the caller commits."""
    language = email_links.mail_locale(user, locale)
    link = site_link("accounts.verify_email", token=email_links.verification_token(user))
    hours = int(email_links.verification_lifetime().total_seconds() // 3600)
    subject, body = render("email_verification", language, recipient=user, link=link, hours=hours)
    add(EMAIL_VERIFICATION, user, subject, body, locale=language)


def connect() -> None:
    """Listen to the account signals (called by the package's ``init_app``)."""
    password_reset_requested.connect(on_password_reset_requested)
    verification_needed.connect(on_verification_needed)
