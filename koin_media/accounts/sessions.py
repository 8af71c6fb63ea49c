"""Server-side sessions: one ``UserSession`` row per signed-in browser.

The session cookie and the remember cookie both carry the row's random key (Flask-Login
stores ``User.get_id()`` in each), so revoking the row ends both, even when someone copied
them. Loading the user of a request is one indexed lookup (the key's hash, the user joined);
``last_seen_at`` is written at most every ``TOUCH_INTERVAL``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context, request
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, or_, select, update

from ..database import utcnow, write_bookkeeping
from ..extensions import db
from .models import User, UserSession, hash_token

TOUCH_INTERVAL = timedelta(minutes=5)
# Ended rows are kept this long for nobody in particular, then removed at the owner's next
# sign-in, so the table does not grow with every forgotten browser.
PURGE_AFTER = timedelta(days=7)


def idle_limit() -> timedelta:
    """A browser unseen for longer than the remember cookie lives must sign in again."""
    return timedelta(seconds=int(current_app.config["REMEMBER_COOKIE_DURATION"]))


# -- starting and loading -----------------------------------------------------------------------


def current_session_id() -> int | None:
    """The row of the browser making this request (None with a bearer token)."""
    return g.get("login_session_id")


def start_session(user: User, user_agent: str | None = None) -> str:
    """Create the row for a browser that just signed in; returns the key its cookies carry."""
    now = utcnow()
    key = secrets.token_urlsafe(32)
    if user_agent is None and has_request_context():
        user_agent = request.headers.get("User-Agent", "")
    ended_long_ago = or_(
        UserSession.revoked_at < now - PURGE_AFTER, UserSession.last_seen_at < now - idle_limit() - PURGE_AFTER
    )
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, ended_long_ago))
    row = UserSession(
        user_id=user.id,
        key_hash=hash_token(key),
        created_at=now,
        last_seen_at=now,
        user_agent=summarise_user_agent(user_agent or ""),
    )
    db.session.add(row)
    db.session.commit()
    user.login_session_key = key
    g.login_session_id = row.id
    return key


def sign_in(user: User, remember: bool = False) -> None:
    """Start a server-side session for ``user`` and hand this browser its cookies."""
    start_session(user)
    login_user(user, remember=remember)


def user_for_session(key: str) -> User | None:
    """The active user of a live session key, or None (unknown, revoked, idle too long)."""
    if not key:
        return None
    now = utcnow()
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.key_hash == hash_token(key),
            UserSession.revoked_at.is_(None),
            UserSession.last_seen_at > now - idle_limit(),
        )
    )
    if row is None or not row.user.active:
        return None
    # The request's own row, for log-out and for "this device" on the account page.
    g.login_session_id = row.id
    user = row.user
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        _touch(row.id, now)
    return user


def _touch(row_id: int, now: datetime) -> None:
    """Record that the session was seen (see ``database.write_bookkeeping`` for when)."""
    write_bookkeeping(db.session, update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now))


# -- ending ----------------------------------------------------------------------------------


# What an explicit log-out asks the browser to forget of this site (Clear-Site-Data): its
# caches and its storage, where the gate page keeps a venue's bookings of the day and its
# own copy of the page, the user's name in it (checkin_offline.js warns before check-ins not
# yet sent go with them). Cookies stay: the log-out's own notice rides in the session cookie.
# A session that merely ends (expired, revoked elsewhere) keeps them for the next log-in.
FORGET_SITE_DATA = '"cache", "storage"'


def forget_this_device(response):
    """``response`` to an explicit log-out of this browser, asking it to forget the site's data."""
    response.headers["Clear-Site-Data"] = FORGET_SITE_DATA
    return response


def sign_out() -> None:
    """Log-out: revoke this browser's row, then drop its cookies."""
    if current_user.is_authenticated and current_session_id() is not None:
        revoke_session(current_session_id(), current_user.id)
    logout_user()


def revoke_session(session_id: int, user_id: int) -> bool:
    """End one session of ``user_id``; False if it is not theirs or already ended."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def revoke_all_sessions(user: User, now: datetime | None = None) -> None:
    """End every session (and so every remember cookie) of ``user``; the caller commits."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def sign_out_everywhere(user: User) -> None:
    revoke_all_sessions(user)
    db.session.commit()
    logout_user()


def active_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > utcnow() - idle_limit(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


# -- what the account page shows ----------------------------------------------------------------

_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("Linux", re.compile(r"Linux|X11")),
)


def summarise_user_agent(user_agent: str) -> str:
    """ "Chrome on Android" and the like: enough to recognise a device, not a fingerprint."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} / {system}"
    if browser or system:
        return browser or system
    return user_agent.strip()[:60]
