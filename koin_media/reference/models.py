from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .. import pagecache
from ..extensions import db


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


# Their names and slugs show on catalogue cards and filters (pagecache.py).
pagecache.watch(Regency)
pagecache.watch(Community)
