from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, and_, select
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..reference.models import LEVELS, Community, Regency
from ..roles import ADMIN, ROLES, SCHOOL

PASSWORD_METHOD = "scrypt"  # noqa: S105 (a hash method name, not a password)

# A coordinator's membership of their school. NPSNs are public, so naming one proves nothing:
# every coordinator starts pending; the school's first is approved when the office verifies the
# school, a later one by the office or by an approved coordinator of the same school.
COORDINATOR_PENDING = "pending"
COORDINATOR_APPROVED = "approved"
COORDINATOR_REJECTED = "rejected"
COORDINATOR_STATUSES = (COORDINATOR_PENDING, COORDINATOR_APPROVED, COORDINATOR_REJECTED)
# School levels (LEVELS) live with the reference data, which maps the national reference's forms
# onto them; imported here for the models and modules that always took them from accounts.


def levels_text(values) -> str:
    """Levels as stored: known ones only, in the order of LEVELS."""
    unknown = set(values) - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown school levels: {sorted(unknown)}")
    return ",".join(level for level in LEVELS if level in set(values))


class HasLevels:
    """A model whose ``levels`` column holds a comma-separated subset of LEVELS: what a school
    teaches, what a program is offered to. ``level_set`` reads and writes it as a set."""

    @property
    def level_set(self) -> set[str]:
        return {level for level in (self.levels or "").split(",") if level}

    @level_set.setter
    def level_set(self, values) -> None:
        self.levels = levels_text(values)


COORDINATOR_STATUS_LABELS = {
    COORDINATOR_PENDING: _l("waiting for approval"),
    COORDINATOR_APPROVED: _l("approved"),
    COORDINATOR_REJECTED: _l("rejected"),
}


class School(HasLevels, db.Model):
    """A school, identified by its NPSN; several coordinators may act for one school (the
    approved ones: see ``User.acts_for_school``)."""

    __tablename__ = "schools"
    __table_args__ = (CheckConstraint("length(npsn) = 8", name="npsn_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    npsn: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The levels the school teaches, a comma-separated subset of LEVELS ("SMP" or "SMA,SMK");
    # empty while nobody has said (schools registered before the field existed, and whose
    # name did not tell). Set by its approved coordinators on their account page.
    levels: Mapped[str] = mapped_column(String(20), default="", server_default="")

    regency: Mapped[Regency] = relationship(lazy="joined")

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def level_list(self) -> list[str]:
        """The levels it teaches in the order of LEVELS (for showing them)."""
        return [level for level in LEVELS if level in self.level_set]

    def teaches(self, level: str) -> bool | None:
        """Whether the school teaches ``level``: None when its levels are not recorded, so a
        booking for any level is as plausible as another (the booking's level warning)."""
        if not self.level_set:
            return None
        return level in self.level_set


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)), name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(
            "coordinator_status IN ({})".format(", ".join(f"'{s}'" for s in COORDINATOR_STATUSES)),
            name="coordinator_status_known",
        ),
        # Whoever belongs to a school has a membership state; nobody else has one.
        CheckConstraint("(school_id IS NULL) = (coordinator_status IS NULL)", name="coordinator_status_with_school"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), index=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The password's generation: a new password gets a new one, which spends every password
    # reset link made for the old one (accounts/email_links.py).
    session_nonce: Mapped[str] = mapped_column(String(16))
    # None until the owner follows the link mailed at registration; unverified addresses
    # cannot book or upload. Accounts made by operators (CLI, seed-demo) start verified.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # creator
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    # ikm
    business_name: Mapped[str | None] = mapped_column(String(160))
    sector: Mapped[str | None] = mapped_column(String(30))
    # ikm and school
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regencies.id"))
    # school
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    coordinator_status: Mapped[str | None] = mapped_column(String(10))
    coordinator_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    community: Mapped[Community | None] = relationship(lazy="joined")
    regency: Mapped[Regency | None] = relationship(lazy="joined")
    school: Mapped[School | None] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
        self.password_changed_at = utcnow()
        self.session_nonce = secrets.token_hex(8)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The key of the server-side session (``UserSession``) being signed in, set by
    # accounts/sessions.py just before Flask-Login reads get_id(); not a column.
    login_session_key = None

    def get_id(self) -> str:
        # Flask-Login puts this in the session cookie and the remember cookie: both name the
        # server-side session row, so ending the row ends both cookies.
        if not self.login_session_key:
            raise RuntimeError("sign in through accounts.sessions.sign_in, which starts a server-side session")
        return self.login_session_key

    def __eq__(self, other):
        # UserMixin compares get_id(), which is per sign-in here: the same account is the same user.
        if isinstance(other, User):
            return self.id is not None and self.id == other.id
        return NotImplemented

    __hash__ = object.__hash__

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def has_role(self, *roles: str) -> bool:
        return self.role == ADMIN or self.role in roles

    # -- acting for a school: the one rule, asked by views, the API, services and mail --------

    @hybrid_property
    def is_approved_coordinator(self) -> bool:
        """A school account whose membership of its school is approved: only such an account
        sees the school's bookings, books in its name and receives its e-mails."""
        return self.role == SCHOOL and self.school_id is not None and self.coordinator_status == COORDINATOR_APPROVED

    @is_approved_coordinator.inplace.expression
    @classmethod
    def _is_approved_coordinator_expression(cls):
        return and_(cls.role == SCHOOL, cls.school_id.is_not(None), cls.coordinator_status == COORDINATOR_APPROVED)

    @property
    def acting_school_id(self) -> int | None:
        """The school this account acts for, or None (not a school, or not approved yet)."""
        return self.school_id if self.is_approved_coordinator else None

    def acts_for_school(self, school_id: int | None) -> bool:
        return school_id is not None and self.acting_school_id == school_id

    @property
    def coordinator_pending(self) -> bool:
        return self.role == SCHOOL and self.school_id is not None and self.coordinator_status == COORDINATOR_PENDING

    def join_school(self, school: School) -> None:
        """Ask to coordinate for ``school``: pending until approved, whoever asks."""
        self.school = school
        self.coordinator_status = COORDINATOR_PENDING
        self.coordinator_decided_at = None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def approved_coordinators(school_id: int):
    """The active accounts acting for a school, oldest first (a select to run or extend)."""
    return (
        select(User)
        .where(User.school_id == school_id, User.is_approved_coordinator, User.active.is_(True))
        .order_by(User.created_at, User.id)
    )


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(db.Model):
    """One signed-in browser. Its session and remember cookies carry the random key, of which
    only the hash is stored; log-out, "sign out everywhere" and a new password revoke rows."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Written at most every few minutes (sessions.TOUCH_INTERVAL), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")
