from __future__ import annotations

import re

from sqlalchemy import func, or_, select

from ..extensions import db
from .data import COMMUNITIES, REGENCIES, Sector
from .models import Community, Regency

# "Kab.", "Kab", "Kabupaten" before a regency's name, in any case.
REGENCY_PREFIX = re.compile(r"^(kabupaten|kab\.?)\s*", re.IGNORECASE)


def ensure_reference_data() -> dict[str, int]:
    """Insert the regencies and communities that are missing; return how many were added."""
    added = {}
    for model, rows in ((Regency, REGENCIES), (Community, COMMUNITIES)):
        existing = set(db.session.scalars(select(model.slug)))
        new = [model(slug=slug, name=name) for slug, name in rows if slug not in existing]
        db.session.add_all(new)
        added[model.__tablename__] = len(new)
    db.session.commit()
    return added


def find_by_name_or_slug(model, value: str | None):
    """Look up a regency, community or IKM sector (``Sector``) by its slug or (case-insensitively)
    its name: the one resolver behind every reference field of the pages and the API."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if model is Sector:
        return next((sector for sector in Sector.all() if value.lower() in sector.names()), None)
    found = _by_name_or_slug(model, value)
    if found is None and model is Regency:
        # The national school reference (and people) write "Kab. Lombok Barat", "KABUPATEN BIMA":
        # a kabupaten is stored by its bare name, a kota keeps "Kota" (Bima and Kota Bima differ).
        bare = REGENCY_PREFIX.sub("", " ".join(value.split()))
        found = _by_name_or_slug(model, bare) if bare and bare != value else None
    return found


def _by_name_or_slug(model, value: str):
    return db.session.scalar(
        select(model).where(or_(model.slug == value.lower(), func.lower(model.name) == value.lower()))
    )


def all_ordered(model) -> list:
    if model is Sector:
        return Sector.all()  # in their own order, "Other" last
    return list(db.session.scalars(select(model).order_by(model.name)))
