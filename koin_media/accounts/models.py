from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..reference.models import Community, Regency
from ..roles import ADMIN, ROLES

PASSWORD_METHOD = "scrypt"  # noqa: S105 (a hash method name, not a password)


class School(db.Model):
    """A school, identified by its NPSN; several coordinators may act for one school."""

    __tablename__ = "schools"
    __table_args__ = (CheckConstraint("length(npsn) = 8", name="npsn_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    npsn: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    regency: Mapped[Regency] = relationship(lazy="joined")

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)), name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
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
    # Part of the session id: a new password gets a new one, which ends every other session.
    session_nonce: Mapped[str] = mapped_column(String(16))

    # creator
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    # ikm
    business_name: Mapped[str | None] = mapped_column(String(160))
    sector: Mapped[str | None] = mapped_column(String(30))
    # ikm and school
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regencies.id"))
    # school
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)

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

    def get_id(self) -> str:
        # The session remembers the password generation too, so that changing the password
        # signs out every other browser that was logged in with the old one.
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, *roles: str) -> bool:
        return self.role == ADMIN or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


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
