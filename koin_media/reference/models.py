from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import pagecache
from ..database import UTCDateTime, utcnow
from ..extensions import db

# School levels: SD (primary), SMP (lower secondary), SMA (upper secondary), SMK (vocational).
# A program is offered to some of them (booking.models.Program.levels); a school teaches some;
# the national reference gives each school one (reference/schools.py maps MI, MTs, MA, … onto them).
LEVELS = ("SD", "SMP", "SMA", "SMK")


class Regency(db.Model):
    """A regency (kabupaten) or city (kota) of Nusa Tenggara Barat."""

    __tablename__ = "regencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    def __repr__(self) -> str:
        return f"<Regency {self.slug}>"


class Community(db.Model):
    """One of the KOIN industry communities that creators belong to."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class ReferenceSchool(db.Model):
    """One school of a national reference snapshot (Dapodik / Kemdikbud), loaded by
    ``flask schools import``: what registration fills in and what staff compare a registered
    school with. Public data, kept apart from ``accounts.School`` (the schools that use KOIN)."""

    __tablename__ = "reference_schools"
    __table_args__ = (
        CheckConstraint("length(npsn) = 8", name="npsn_length"),
        CheckConstraint("level IN ({})".format(", ".join(f"'{level}'" for level in LEVELS)), name="level_known"),
    )

    npsn: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    level: Mapped[str] = mapped_column(String(3))
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"))
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When this row's content was last written and by which import (its label, by default the
    # file's name): an unchanged row keeps both, so a re-import writes nothing.
    snapshot: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    regency: Mapped[Regency] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ReferenceSchool {self.npsn}>"


# Their names and slugs show on catalogue cards and filters (pagecache.py).
pagecache.watch(Regency)
pagecache.watch(Community)
