"""Whom the office's messages go to: shared by booking and school mail."""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..roles import ADMIN, STAFF


def office_receivers() -> list[User]:
    """Active office staff; the admins when there are no staff."""
    for role in (STAFF, ADMIN):
        users = db.session.scalars(select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)).all()
        if users:
            return list(users)
    return []
