"""Catalog queries: one place for what is public, the filters, the sorts and the search."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..reference.models import Community, Regency
from ..venues.models import Venue
from . import search
from .models import APPROVED, KINDS, LICENSES, Asset

SORTS = {
    "newest": (Asset.approved_at.desc(), Asset.id.desc()),
    "popular": (Asset.download_count.desc(), Asset.approved_at.desc(), Asset.id.desc()),
}


@dataclass
class CatalogFilters:
    q: str = ""
    kind: str = ""
    community: str = ""
    license: str = ""
    regency: str = ""
    venue: str = ""
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> CatalogFilters:
        """Unknown values are ignored rather than refused: a stale link still shows a list."""
        filters = cls(
            q=(args.get("q") or "").strip()[:200],
            kind=args.get("kind", "") if args.get("kind") in KINDS else "",
            community=(args.get("community") or "").strip()[:80],
            license=args.get("license", "") if args.get("license") in LICENSES else "",
            regency=(args.get("regency") or "").strip()[:60],
            venue=(args.get("venue") or "").strip()[:80],
            sort=args.get("sort", "newest") if args.get("sort") in SORTS else "newest",
        )
        return filters

    def as_args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v and not (k == "sort" and v == "newest")}


def public_assets(filters: CatalogFilters) -> Select:
    """Approved assets matching the filters, with everything a list row shows loaded in the
    same query (owner, community, regency, venue), so a page costs the same few queries
    whatever its length."""
    statement = (
        select(Asset)
        .where(Asset.status == APPROVED)
        .options(
            joinedload(Asset.owner),
            joinedload(Asset.community),
            joinedload(Asset.regency),
            joinedload(Asset.venue),
        )
    )
    if filters.kind:
        statement = statement.where(Asset.kind == filters.kind)
    if filters.license:
        statement = statement.where(Asset.license == filters.license)
    if filters.community:
        statement = statement.where(Asset.community.has(Community.slug == filters.community))
    if filters.regency:
        statement = statement.where(Asset.regency.has(Regency.slug == filters.regency))
    if filters.venue:
        statement = statement.where(Asset.venue.has(Venue.slug == filters.venue))
    match = search.matching(filters.q)
    if match is not None:
        statement = statement.where(match)
    return statement.order_by(*SORTS[filters.sort])
