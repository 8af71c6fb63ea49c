"""Links we e-mail to an account: password reset and e-mail verification.

A link carries a token signed with the secret key (itsdangerous), with its own salt per
purpose, the account and the moment it was made. Nothing is stored:

- a **password reset** token is bound to the password's generation (``User.session_nonce``,
  new with every password), so it works once: setting the password spends it, and so does
  any other password change. It lives ``PASSWORD_RESET_MINUTES``.
- a **verification** token is bound to the address it was sent to: it cannot verify another
  address, and following it again changes nothing (single use in effect). It lives
  ``EMAIL_VERIFICATION_HOURS``.

The mails themselves are written by ``notifications.account_mail``, a receiver of the
signals sent here. Asking for a reset answers the same, equally fast, whether or not the
address has an account: the request only hands the address on; the queued job looks the
account up and writes the mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from ..database import utcnow
from ..errors import error_response
from ..extensions import db
from .models import User
from .signals import password_reset_requested, verification_needed

RESET_SALT = "koin-password-reset"
VERIFY_SALT = "koin-email-verification"

INVALID = "link_invalid"
EXPIRED = "link_expired"

LINK_MESSAGES = {
    INVALID: _l("This link is not valid, or it was used already. Ask for a new one."),
    EXPIRED: _l("This link has expired. Ask for a new one."),
}
UNVERIFIED_MESSAGE = _l(
    "Confirm your e-mail address before you upload: open the link we sent you, or send it again with the "
    "button at the top of the page."
)


class LinkRefused(Exception):
    """A link that was tampered with, used already, or is too old. ``code`` is INVALID or EXPIRED."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(LINK_MESSAGES[self.code])


def reset_lifetime() -> timedelta:
    return timedelta(minutes=int(current_app.config["PASSWORD_RESET_MINUTES"]))


def verification_lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config["EMAIL_VERIFICATION_HOURS"]))


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, lifetime: timedelta, now: datetime | None) -> dict:
    try:
        data = _serializer(salt).loads(token or "")
    except BadSignature:
        raise LinkRefused(INVALID) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("t"), int):
        raise LinkRefused(INVALID)
    if (now or utcnow()).timestamp() - data["t"] > lifetime.total_seconds():
        raise LinkRefused(EXPIRED)
    return data


def mail_locale(user: User, fallback: str | None = None) -> str:
    """The account's language; without one, the language of the page that asked."""
    languages = current_app.config["LANGUAGES"]
    if user.locale in languages:
        return user.locale
    return fallback if fallback in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def request_locale() -> str | None:
    return str(get_locale()) if has_request_context() and get_locale() else None


# -- password reset --------------------------------------------------------------------------


def password_reset_token(user: User, now: datetime | None = None) -> str:
    issued = int((now or utcnow()).timestamp())
    return _serializer(RESET_SALT).dumps({"u": user.id, "g": user.session_nonce, "t": issued})


def user_for_reset_token(token: str, now: datetime | None = None) -> User:
    """The account a reset link is for, or ``LinkRefused`` (tampered, expired, or spent)."""
    data = _load(RESET_SALT, token, reset_lifetime(), now)
    user = db.session.get(User, data["u"])
    if user is None or not user.active or user.session_nonce != data.get("g"):
        raise LinkRefused(INVALID)  # a new password was set since: the link is spent
    return user


def reset_sent_message() -> str:
    """What every request for a reset link hears, whether or not the address has an account."""
    return _(
        "If an account uses this address, we have sent it a link to choose a new password. "
        "It works once, for %(minutes)s minutes. No mail? Check the spam folder.",
        minutes=int(reset_lifetime().total_seconds() // 60),
    )


def request_password_reset(email: str) -> None:
    """Ask for a reset mail to ``email``; the same work for every address (no enumeration)."""
    password_reset_requested.send(email.strip().lower(), locale=request_locale())


# -- e-mail verification ---------------------------------------------------------------------


def verification_token(user: User, now: datetime | None = None) -> str:
    issued = int((now or utcnow()).timestamp())
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": user.email, "t": issued})


def ask_to_verify(user: User) -> None:
    """Have the verification mail written into the caller's transaction (the user needs an id)."""
    verification_needed.send(user, locale=request_locale())


def resend_verification(user: User) -> bool:
    """A new verification mail; False (and none sent) when the address is verified already."""
    if user.email_verified:
        return False
    ask_to_verify(user)
    db.session.commit()
    return True


def verification_target(token: str, now: datetime | None = None) -> User:
    """The account a verification link is for, or ``LinkRefused``; changes nothing."""
    data = _load(VERIFY_SALT, token, verification_lifetime(), now)
    user = db.session.get(User, data["u"])
    if user is None or not user.active or user.email != data.get("e"):
        raise LinkRefused(INVALID)  # the account's address changed since: not this one to confirm
    return user


def verify_email(token: str, now: datetime | None = None) -> User:
    """Mark the address a verification link was sent to as verified. Following the link
    again changes nothing; a link for an address the account no longer has is invalid."""
    user = verification_target(token, now)
    if user.email_verified_at is None:
        user.email_verified_at = now or utcnow()
        db.session.commit()
    return user


def email_verified_required(view):
    """For views that only a confirmed address may use (uploads; booking checks the same in
    ``booking.rules``): 403 with error ``email_unverified`` in JSON, a page saying what to do."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not current_user.email_verified:
            return error_response(403, UNVERIFIED_MESSAGE, error="email_unverified")
        return view(*args, **kwargs)

    return wrapper
