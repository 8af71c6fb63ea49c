"""How hard log-in may be tried: per address, per account and address, and a per-account backoff.

Shared by the log-in form and ``POST /api/v1/auth/token``: a guess counts the same through
either door. The counters live in the rate-limit store (``koin_media/ratelimit.py``: the
database, or Redis when configured), so every worker process sees the same numbers.

The scheme, checked before any password is hashed:

1. **Attempts per address** (``RATELIMIT_LOGIN_ATTEMPTS_ADDRESS``, every attempt, right or
   wrong): bounds how fast one address can make the server hash passwords.
2. **Failures per address** (``RATELIMIT_LOGIN_ADDRESS``): looser than per account, because a
   school or an office shares one public address.
3. **Failures per account and address** (``RATELIMIT_LOGIN``): one person's typos, or one
   attacker's guesses, lock out that address for that account only.
4. **Per-account backoff**: once an account has taken more failures than
   ``RATELIMIT_LOGIN_ACCOUNT`` allows (from all addresses together), every further failure
   backs *the address it came from* off for this account, for 2, 4, 8, … seconds (the
   exponent is the account's failures past the allowance, capped at ``LOGIN_BACKOFF_MAX``).
   An address that has not failed for this account is still checked, so the owner typing the
   right password from a new address gets in while the account is under attack; an attacker
   spread over many addresses gets one guess per address, then waits longer with every
   failure anyone makes on the account.

Failure limits are reserved before the hash (one atomic increment, so concurrent attempts in
several processes cannot all slip under the limit) and given back when the password was right.
A right password also clears that address's failures for the account.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, current_app
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from ..database import write_intent
from ..errors import error_response
from ..extensions import db, limiter
from ..ratelimit import batch, expires_in, on_connection

BACKOFF_EXPONENT_CAP = 20  # 2**20 s is far past any sensible LOGIN_BACKOFF_MAX


@dataclass
class LoginAttempt:
    """What ``admit`` counted for one attempt, for ``recording`` to settle."""

    email: str
    address: str
    reserved: list[tuple[RateLimitItem, tuple[str, ...]]] = field(default_factory=list)


def _limit(name: str) -> RateLimitItem:
    return parse(current_app.config[name])


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _backoff_key(email: str, address: str) -> str:
    return f"LIMITER/login-backoff/{email}/{address}"


def _refuse(retry_after: int):
    """429 with Retry-After and how long to wait, in the user's language (HTML or JSON)."""
    wait = format_timedelta(timedelta(seconds=retry_after), threshold=1, add_direction=False)
    message = _("Too many log-in attempts. Wait %(wait)s, then try again.", wait=wait)
    response = current_app.make_response(error_response(429, message, error="rate_limited", retry_after=retry_after))
    response.headers["Retry-After"] = str(retry_after)
    abort(response)


def admit(email: str) -> LoginAttempt:
    """Count an attempt and reserve its failures, or answer 429 before any password is hashed."""
    attempt = LoginAttempt(email=(email or "").strip().lower(), address=get_remote_address() or "")
    if not _enabled():
        return attempt
    # The counters are written on their own connection: whatever the request began before the
    # view (a bearer lookup in a before_request hook holds SQLite's write lock on a POST) ends
    # first, or they would wait for it until the busy timeout.
    db.session.commit()
    storage, strategy = limiter.storage, limiter.limiter
    refused = None
    with batch(storage):
        everything = _limit("RATELIMIT_LOGIN_ATTEMPTS_ADDRESS")
        if not strategy.hit(everything, "login-attempts", attempt.address):
            refused = expires_in(storage, everything.key_for("login-attempts", attempt.address))
        elif storage.get(_backoff_key(attempt.email, attempt.address)) > 0:
            refused = expires_in(storage, _backoff_key(attempt.email, attempt.address))
        else:
            failure_limits = (
                (_limit("RATELIMIT_LOGIN_ADDRESS"), ("login-failures-address", attempt.address)),
                (_limit("RATELIMIT_LOGIN"), ("login-failures", attempt.email, attempt.address)),
            )
            for item, ids in failure_limits:
                attempt.reserved.append((item, ids))
                if not strategy.hit(item, *ids):
                    refused = expires_in(storage, item.key_for(*ids))
                    _give_back(storage, attempt)
                    break
    if refused is not None:
        _refuse(refused)
    return attempt


def _give_back(storage, attempt: LoginAttempt) -> None:
    for item, ids in attempt.reserved:
        key = item.key_for(*ids)
        # A window that ended in the meantime has nothing left to give back.
        if storage.get(key) > 0:
            storage.incr(key, item.get_expiry(), amount=-1)
    attempt.reserved.clear()


def _settle(attempt: LoginAttempt, user) -> None:
    storage = limiter.storage
    if user is not None:
        _give_back(storage, attempt)
        storage.clear(_limit("RATELIMIT_LOGIN").key_for("login-failures", attempt.email, attempt.address))
        return
    allowance = _limit("RATELIMIT_LOGIN_ACCOUNT")
    failures = storage.incr(
        allowance.key_for("login-failures-account", attempt.email), allowance.get_expiry(), amount=1
    )
    if failures > allowance.amount:
        exponent = min(failures - allowance.amount, BACKOFF_EXPONENT_CAP)
        delay = min(2**exponent, current_app.config["LOGIN_BACKOFF_MAX"])
        key = _backoff_key(attempt.email, attempt.address)
        storage.clear(key)  # a fresh expiry: the wait runs from this failure
        storage.incr(key, delay, amount=1)


@contextmanager
def recording(attempt: LoginAttempt, user):
    """The write phase of a log-in: one short write transaction, after the password check.

    The read of the account is ended first (``services.authenticate`` does so before hashing);
    here the counters, and whatever the block writes (the session, the locale), are written in
    one transaction that takes SQLite's write lock only now, and commit together.
    """
    db.session.commit()  # nothing open may be upgraded to a write: start afresh
    with write_intent():
        if _enabled():
            with on_connection(db.session.connection()):
                _settle(attempt, user)
        yield
        db.session.commit()
