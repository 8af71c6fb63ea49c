from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..reference.models import Regency


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

    regency: Mapped[Regency] = relationship(lazy="joined")
