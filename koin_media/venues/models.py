"""Eduwisata venues (the Mandalika circuit, the Meninting Bike Park, …)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, ForeignKey, Select, String, Table, Text, exists, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .. import pagecache
from ..accounts.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..reference.models import Regency
from ..roles import STAFF, VENUE_MANAGER

# Who runs a venue: users of role venue_manager, each possibly for several venues.
venue_managers = Table(
    "venue_managers",
    db.metadata,
    Column("venue_id", ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Venue(db.Model):
    """A place schools visit; promotion media can be tagged with the venue it shows."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description_id: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Contact for schools (the gate, the education officer); phone normalised to +62….
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # WGS 84 degrees, for a map link; unknown until someone enters them.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    regency: Mapped[Regency] = relationship(lazy="joined")
    managers: Mapped[list[User]] = relationship(secondary=venue_managers, order_by=User.name)

    # -- who manages it: the one home of this rule (views, API, services and templates ask here)

    def can_manage(self, user) -> bool:
        """Staff and admins manage every venue; a venue manager only the venues they manage."""
        return Venue.may_manage(user, self.id)

    @staticmethod
    def _reach(user) -> str:
        """The one decision behind every question below: ``"all"`` venues (staff, admins),
        ``"own"`` (a venue manager: those they are listed for) or ``"none"``."""
        if user is None or not getattr(user, "is_authenticated", False):
            return "none"
        if user.has_role(STAFF):
            return "all"
        return "own" if user.role == VENUE_MANAGER else "none"

    @staticmethod
    def _own_ids(user) -> Select:
        return select(venue_managers.c.venue_id).where(venue_managers.c.user_id == user.id)

    @staticmethod
    def may_manage(user, venue_id: int) -> bool:
        """``can_manage`` when only the venue's id is at hand (no need to load the venue)."""
        reach = Venue._reach(user)
        if reach != "own":
            return reach == "all"
        listed = Venue._own_ids(user).where(venue_managers.c.venue_id == venue_id)
        return bool(db.session.scalar(select(exists(listed))))

    @staticmethod
    def managed_by(user) -> Select:
        """The venues ``user`` manages, by name."""
        statement = select(Venue).order_by(Venue.name)
        reach = Venue._reach(user)
        if reach != "own":
            return statement if reach == "all" else statement.where(false())
        return statement.where(Venue.id.in_(Venue._own_ids(user)))

    @staticmethod
    def managed_ids(user, venues) -> set[int]:
        """Which of ``venues`` ``user`` manages, in one query at most (for lists of venues)."""
        ids, reach = {v.id for v in venues}, Venue._reach(user)
        if not ids or reach != "own":
            return ids if reach == "all" else set()
        return ids & set(db.session.scalars(Venue._own_ids(user)))

    @validates("managers")
    def _only_venue_managers(self, _key, user: User) -> User:
        if user.role != VENUE_MANAGER:
            raise ValueError(f"{user.email} is a {user.role}, not a venue manager")
        return user

    @validates("latitude", "longitude")
    def _on_the_globe(self, key, value):
        limit = 90 if key == "latitude" else 180
        if value is not None and not -limit <= value <= limit:
            raise ValueError(f"{key} must be between -{limit} and {limit}")
        return value


# Their names and slugs show on catalogue cards and filters (pagecache.py).
pagecache.watch(Venue)
