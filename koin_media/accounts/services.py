"""Write logic for accounts: registration, log-in checks, passwords, profiles and tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import has_request_context, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import SAFE_METHODS, utcnow
from ..extensions import db
from ..roles import CREATOR, IKM, ROLES, SCHOOL
from .models import ApiToken, School, User, hash_token

TOKEN_PREFIX = "koin_"  # noqa: S105 (a visible prefix, not a secret)
# Checked when no account matches, so that a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
TOKEN_TOUCH_INTERVAL = timedelta(minutes=10)


class EmailTaken(Exception):
    """Another account already uses this e-mail address."""


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == email.lower())) is not None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _school_for(npsn: str, name: str, regency) -> School:
    """The school with this NPSN: a second coordinator joins the school the first created."""
    school = db.session.scalar(select(School).where(School.npsn == npsn))
    if school is None:
        school = School(npsn=npsn, name=name, regency=regency)
        db.session.add(school)
    return school


def register_user(form, role: str) -> User:
    """Create a self-service account from a validated registration form."""
    data = form.data
    user = User(email=data["email"].lower(), name=data["name"], role=role)
    user.set_password(data["password"])
    if role == CREATOR:
        user.community = form.community.obj
    elif role == IKM:
        user.business_name = data["business_name"]
        user.sector = data["sector"]
        user.regency = form.regency.obj
    elif role == SCHOOL:
        user.regency = form.regency.obj
        user.school = _school_for(data["npsn"], data["school_name"], form.regency.obj)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Two requests raced past the form's uniqueness check: the database decided.
        db.session.rollback()
        if email_taken(user.email):
            raise EmailTaken(user.email) from None
        if role == SCHOOL:
            return register_user(form, role)  # the school now exists: join it
        raise
    return user


def create_user(email: str, password: str, role: str, name: str | None = None) -> User:
    """Create an account of any role (the CLI path for staff, venue managers and admins)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    email = email.strip().lower()
    if email_taken(email):
        raise EmailTaken(email)
    user = User(email=email, name=name or email.split("@")[0], role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = find_user_by_email(email or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def change_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    db.session.commit()


def update_profile(user: User, form) -> None:
    user.name = form.name.data
    user.phone = form.phone.data or None
    user.locale = form.locale.data
    if "community" in form:
        user.community = form.community.obj
    if "business_name" in form:
        user.business_name = form.business_name.data
        user.sector = form.sector.data
    if "regency" in form:
        user.regency = form.regency.obj
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def create_token(user: User, label: str = "api") -> tuple[ApiToken, str]:
    """Make a bearer token; the plain text is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=hash_token(plain), label=label[:80])
    db.session.add(token)
    db.session.commit()
    return token, plain


def user_for_token(plain: str) -> User | None:
    """The active user a bearer token belongs to, or None if it is unknown or revoked."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(plain), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.active:
        return None
    _touch(token)
    return token.user


def _touch(token: ApiToken) -> None:
    """Record when a token was last used, at most every few minutes.

    A write request records it in its own transaction (which already holds the write lock on
    SQLite); a read request uses a short separate one, so that the page view stays a read.
    """
    now = utcnow()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    if has_request_context() and request.method in SAFE_METHODS:
        with db.engine.connect().execution_options(sqlite_write=True) as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
            conn.commit()
    else:
        token.last_used_at = now
        db.session.commit()


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    db.session.commit()


def revoke_token_by_plain(plain: str) -> bool:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is None or token.revoked_at is not None:
        return False
    revoke_token(token)
    return True


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    )
