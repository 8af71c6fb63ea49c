"""Write logic for accounts: registration, log-in checks, passwords, profiles and tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..database import utcnow, write_bookkeeping
from ..extensions import db
from ..roles import CREATOR, IKM, ROLES, SCHOOL
from . import coordinators, email_links, sessions
from .models import ApiToken, School, User, hash_token, levels_text

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


def _school_for(npsn: str, name: str, regency, levels=()) -> School:
    """The school with this NPSN, created if it is new. Naming an NPSN only asks to join: the
    membership stays pending until someone approves it (see ``coordinators``), and the
    school's record (name, levels) stays as its approved coordinators keep it."""
    school = db.session.scalar(select(School).where(School.npsn == npsn))
    if school is None:
        school = School(npsn=npsn, name=name, regency=regency, levels=levels_text(levels or ()))
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
        user.join_school(_school_for(data["npsn"], data["school_name"], form.regency.obj, data.get("levels")))
    db.session.add(user)
    try:
        if role == SCHOOL:
            new_school = user.school.id is None
            db.session.flush()
            coordinators.announce_waiting(user, new_school=new_school)
        db.session.flush()  # the verification link names the account's id
        email_links.ask_to_verify(user)
        db.session.commit()
    except IntegrityError:
        # Two requests raced past the form's uniqueness check: the database decided.
        db.session.rollback()
        if email_taken(user.email):
            raise EmailTaken(user.email) from None
        if role == SCHOOL:
            return register_user(form, role)  # the school now exists: ask to join it
        raise
    return user


def create_user(email: str, password: str, role: str, name: str | None = None) -> User:
    """Create an account of any role (the CLI path for staff, venue managers and admins)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    email = email.strip().lower()
    if email_taken(email):
        raise EmailTaken(email)
    # An operator typed the address: it needs no verification mail.
    user = User(email=email, name=name or email.split("@")[0], role=role, email_verified_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None.

    The account is read, then the transaction ends before the slow hash: on SQLite an open
    transaction of a POST may hold the write lock, and every writer would wait for scrypt.
    The user comes back expired, reloaded by the caller's next (write) transaction.
    """
    user = find_user_by_email(email or "")
    stored_hash = user.password_hash if user is not None else _DUMMY_HASH
    active = user is not None and user.active
    db.session.commit()
    if not check_password_hash(stored_hash, password or "") or not active:
        return None
    return user


def change_password(user: User, new_password: str) -> None:
    """A new password ends every session, remember cookie and API token of the account (the
    browser that changed it signs in afresh); it also spends every password reset link."""
    now = utcnow()
    user.set_password(new_password)
    sessions.revoke_all_sessions(user, now)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def reset_password(token: str, new_password: str) -> User:
    """Set a password through a mailed reset link (``email_links.LinkRefused`` if the link is
    bad, spent or old). Following the link proved the mailbox, so the address counts as verified."""
    user = email_links.user_for_reset_token(token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    change_password(user, new_password)
    return user


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
    if "school_levels" in form:  # only an approved coordinator's form has it (ProfileForm.for_role)
        levels = levels_text(form.school_levels.data or ())
        if levels != user.school.levels:
            audit.record(user, "school.levels", user.school, was=user.school.levels, levels=levels)
            user.school.levels = levels
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
    """Record when a token was last used, at most every few minutes (see
    ``database.write_bookkeeping`` for in which transaction)."""
    now = utcnow()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    write_bookkeeping(db.session, update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))


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


# -- the office's user list (admin pages and the API) ---------------------------------------


def user_query(search: str | None = None, role: str | None = None) -> Select:
    """Users matching a search over name, e-mail and business, newest first."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role:
        statement = statement.where(User.role == role)
    if search:
        like = f"%{search.strip().lower()}%"
        statement = statement.where(or_(User.email.like(like), User.name.ilike(like), User.business_name.ilike(like)))
    return statement


def set_active(user: User, active: bool) -> None:
    user.active = active
    db.session.commit()
