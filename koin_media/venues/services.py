"""Write logic of venues: creating and editing them and choosing their managers, plus the one
lookup every view uses (``get_venue``). Programs, sessions and closures are booking's
(``booking.programs``, ``booking.schedule``); verifying schools is ``accounts.coordinators``'s.

Each write is one transaction that records what it did in the audit log and commits.
"""

from __future__ import annotations

from flask import abort
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..accounts.models import User
from ..extensions import db
from ..roles import VENUE_MANAGER
from ..validators import lookup_text
from .models import Venue

VENUE_FIELDS = (
    "name",
    "description_id",
    "description_en",
    "address",
    "regency",
    "contact_name",
    "contact_phone",
    "contact_email",
    "latitude",
    "longitude",
)


def venue_by_slug(slug: str) -> Venue | None:
    if lookup_text(slug, Venue.__table__.c.slug.type.length) is None:
        return None
    return db.session.scalar(select(Venue).where(Venue.slug == slug))


def get_venue(slug: str, manage: bool = False, user=None) -> Venue:
    """The venue with ``slug`` or 404; with ``manage``, 403 unless ``user`` (by default the
    signed-in one) manages it (``Venue.can_manage``). Load, then check, in one call."""
    venue = venue_by_slug(slug)
    if venue is None:
        abort(404)
    if manage and not venue.can_manage(current_user if user is None else user):
        abort(403)
    return venue


def venue_description(venue: Venue) -> str:
    """The description in the reader's language, falling back to the other one."""
    if get_locale().language == "en":
        return venue.description_en or venue.description_id
    return venue.description_id or venue.description_en


def venue_manager_users() -> list[User]:
    return db.session.scalars(
        select(User).where(User.role == VENUE_MANAGER, User.active.is_(True)).order_by(User.name, User.id)
    ).all()


def create_venue(slug: str, values: dict, actor, managers: list[User] | None = None) -> Venue:
    venue = Venue(slug=slug)
    apply_changes(venue, values, VENUE_FIELDS)
    if managers is not None:
        venue.managers = managers
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.create", venue, slug=slug)
    db.session.commit()
    return venue


def update_venue(venue: Venue, values: dict, actor, managers: list[User] | None = None) -> Venue:
    changed = apply_changes(venue, values, VENUE_FIELDS)
    if managers is not None and {u.id for u in managers} != {u.id for u in venue.managers}:
        venue.managers = managers
        changed.append("managers")
    if changed:
        audit.record(actor, "venue.update", venue, fields=sorted(changed))
    db.session.commit()
    return venue


def apply_changes(obj, values: dict, fields) -> list[str]:
    """Set the ``fields`` of ``obj`` found in ``values``; the names of those that changed, so
    the audit log records what an edit did (related objects compare by identity)."""
    changed = []
    for name in fields:
        if name not in values:
            continue
        value = values[name]
        current = getattr(obj, name, None)
        if isinstance(current, db.Model) and isinstance(value, db.Model):
            same = current is value
        else:
            same = current == value
        if not same:
            setattr(obj, name, value)
            changed.append(name)
    return changed
