from __future__ import annotations

from sqlalchemy import Select, or_, select

from ..accounts.models import User
from ..extensions import db


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
