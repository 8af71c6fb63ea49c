"""The public catalogue: what is public, the filters, the sorts, the search, the pages.

Built for archives of a million assets. A page reads only what a card shows, in the order of
an index on approved assets (migration 0010), so the database stops after one page
instead of sorting every match; pages after the first few are reached by a cursor ("older
than this one") rather than an offset; counts per kind, licence, community and regency come
from one grouped query over the same index, kept per catalogue generation
(koin_media/pagecache.py), and the total is their sum. Communities, regencies and venues are
read once per generation, not joined into every row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, false, func, literal_column, select, tuple_

from .. import pagecache
from ..errors import abort_with
from ..extensions import db
from ..localtime import local_today
from ..reference.models import Community, Regency
from ..validators import MAX_DATABASE_ID
from ..venues.models import Venue
from . import search
from .models import APPROVED, KINDS, LICENSES, Asset, split_tags

# A literal, not a bound parameter: a generic PostgreSQL plan then still knows the value.
PUBLIC = Asset.status == literal_column(f"'{APPROVED}'")
SORTS = {
    "newest": (Asset.approved_at, Asset.id),
    "popular": (Asset.download_count, Asset.approved_at, Asset.id),
}
# Page numbers (offsets) reach this far; further pages follow the "next" link's cursor, which
# costs the same however deep it goes.
MAX_OFFSET_PAGE = 20
# A page of a search or filter with at most this many matches sorts them (cheap); one with
# more reads the catalogue in its index order and stops after a page, which finds a page
# among dense matches after about per_page × catalogue / matches rows. Either way the work
# is bounded, however large the catalogue.
SORT_MATCHES_UP_TO = 2_000
_PLURALS = {"community": "communities", "regency": "regencies", "venue": "venues"}
CURSOR = re.compile(r"^\d{1,19}(\.\d{1,19}){1,2}$")


@dataclass(frozen=True)
class Ref:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class References:
    """Communities, regencies and venues by id and slug, and in name order for the filters."""

    communities: list[Ref]
    regencies: list[Ref]
    venues: list[Ref]

    def by_id(self, name: str) -> dict[int, Ref]:
        return self._maps[name][0]

    def by_slug(self, name: str) -> dict[str, Ref]:
        return self._maps[name][1]

    @functools.cached_property
    def _maps(self) -> dict:
        return {
            name: ({ref.id: ref for ref in refs}, {ref.slug: ref for ref in refs})
            for name, refs in (
                ("communities", self.communities),
                ("regencies", self.regencies),
                ("venues", self.venues),
            )
        }


def references() -> References:
    def load():
        def refs(model):
            rows = db.session.execute(select(model.id, model.slug, model.name).order_by(model.name))
            return [Ref(*row) for row in rows]

        return References(refs(Community), refs(Regency), refs(Venue))

    return pagecache.memo(("references",), load)


@dataclass(frozen=True)
class Card:
    """What a card in a list and the API's list show of an approved asset."""

    id: int
    title: str
    original_filename: str
    kind: str | None
    license: str | None
    tags: str
    download_count: int
    approved_at: datetime | None
    thumb_key: str | None
    duration_seconds: float | None  # a video's or audio's length on its card
    community: Ref | None = None
    regency: Ref | None = None
    venue: Ref | None = None
    status: str = APPROVED

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)


CARD_COLUMNS = [
    getattr(Asset, f.name) for f in fields(Card) if f.name not in ("community", "regency", "venue", "status")
]
REFERENCE_COLUMNS = (Asset.community_id, Asset.regency_id, Asset.venue_id)


@dataclass
class CatalogFilters:
    q: str = ""
    kind: str = ""
    community: str = ""
    license: str = ""
    regency: str = ""
    venue: str = ""
    sort: str = "newest"

    # The filters that take one of a fixed set of values.
    CHOICES = {"kind": tuple(KINDS), "license": tuple(LICENSES), "sort": tuple(SORTS)}

    @classmethod
    def strictly_from_args(cls, args) -> CatalogFilters:
        """For the API: a value outside a fixed set is a 400 naming the parameter, so that a
        script's typo (``kind=videos``) is not answered with the whole unfiltered catalogue."""
        for name, allowed in cls.CHOICES.items():
            value = args.get(name)
            if value and value not in allowed:
                abort_with(400, _("%(name)s must be one of: %(values)s.", name=name, values=", ".join(allowed)))
        return cls.from_args(args)

    @classmethod
    def from_args(cls, args) -> CatalogFilters:
        """For the pages: unknown values are ignored rather than refused, so a stale link still
        shows a list."""
        return cls(
            q=(args.get("q") or "").strip()[:200],
            kind=args.get("kind", "") if args.get("kind") in KINDS else "",
            community=(args.get("community") or "").strip()[:80],
            license=args.get("license", "") if args.get("license") in LICENSES else "",
            regency=(args.get("regency") or "").strip()[:60],
            venue=(args.get("venue") or "").strip()[:80],
            sort=args.get("sort", "newest") if args.get("sort") in SORTS else "newest",
        )

    def as_args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v and not (k == "sort" and v == "newest")}

    def key(self) -> tuple:
        return tuple(vars(self).values())

    @property
    def narrowed(self) -> bool:
        """Whether a filter besides the search words is set (the page then shows its filters
        open; the query string is part of the page cache's key, so that is shareable)."""
        return any(v for k, v in self.as_args().items() if k != "q")


def _unindexed(column, dialect: str):
    """``column`` as an expression of the same value that no index serves (SQLite's idiom is
    a unary +; PostgreSQL adds a zero of the column's type)."""
    name = f"{column.table.name}.{column.name}"
    if dialect == "sqlite":
        expression = f"+{name}"
    else:
        expression = f"({name} + 0)" if column.type.python_type is int else f"({name} + interval '0 seconds')"
    return literal_column(expression, type_=column.type)


def conditions(filters: CatalogFilters, any_word: bool = False) -> list:
    """The WHERE of the public catalogue under ``filters`` (references resolved from memory:
    an unknown slug finds nothing)."""
    refs = references()
    where = [PUBLIC, *_rights_guard()]
    if filters.kind:
        where.append(Asset.kind == filters.kind)
    if filters.license:
        where.append(Asset.license == filters.license)
    for name, column in (("community", Asset.community_id), ("regency", Asset.regency_id), ("venue", Asset.venue_id)):
        slug = getattr(filters, name)
        if slug:
            ref = refs.by_slug(_PLURALS[name]).get(slug)
            where.append(column == ref.id if ref else false())
    match = search.matching(filters.q, any_word=any_word) if filters.q else None
    if match is not None:
        where.append(match)
    return where


def _ended_before() -> date | None:
    """Today (WITA) while some published asset's usable-until day is over, else None.

    The hourly rights job (assets/rights_jobs.py, first at 00:05 WITA) moves such assets to
    EXPIRED, which bumps the generation; until it has, their downloads are already refused
    (``Asset.usage_ended``) and this keeps them off the lists too. Normally nothing has passed,
    and the lists keep reading only the covering catalogue indexes: a date filter on every
    query would send the facet counts to the table for each match. The check itself is one
    lookup in ix_assets_usable_until, once per generation."""

    def earliest():
        return db.session.scalar(select(func.min(Asset.usable_until)).where(PUBLIC))

    first = pagecache.memo(("earliest_usable_until",), earliest)
    today = local_today()
    return today if first is not None and first < today else None


def _rights_guard() -> list:
    cutoff = _ended_before()
    return [] if cutoff is None else [(Asset.usable_until.is_(None)) | (Asset.usable_until >= cutoff)]


# --- counts -------------------------------------------------------------------------------


@dataclass
class Facets:
    """How many matches each kind, licence, community and regency has, and their total."""

    total: int = 0
    kind: dict[str, int] = field(default_factory=dict)
    license: dict[str, int] = field(default_factory=dict)
    community: dict[str, int] = field(default_factory=dict)
    regency: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"kind": self.kind, "license": self.license, "community": self.community, "regency": self.regency}


def facets(filters: CatalogFilters, any_word: bool = False) -> Facets:
    """One grouped query over the matches (read from the covering index), once per generation."""

    def count():
        refs = references()
        communities, regencies = refs.by_id("communities"), refs.by_id("regencies")
        columns = (Asset.kind, Asset.license, Asset.community_id, Asset.regency_id)
        rows = db.session.execute(
            select(*columns, func.count()).where(*conditions(filters, any_word)).group_by(*columns)
        )
        result = Facets()
        for kind, license_, community_id, regency_id, n in rows:
            result.total += n
            for bucket, value in (
                (result.kind, kind),
                (result.license, license_),
                (result.community, communities[community_id].slug if community_id in communities else None),
                (result.regency, regencies[regency_id].slug if regency_id in regencies else None),
            ):
                if value is not None:
                    bucket[value] = bucket.get(value, 0) + n
        return result

    return pagecache.memo(("facets", filters.key(), any_word, _ended_before()), count)


# --- pages --------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Card]
    per_page: int
    facets: Facets
    any_word: bool = False  # every word found nothing, so these match any of them
    number: int | None = None  # the page number, when reached by number rather than cursor
    next_cursor: str | None = None
    prev_cursor: str | None = None
    first: bool = True  # the first page (no "previous")

    @property
    def total(self) -> int:
        return self.facets.total


def cursor_for(card, sort: str) -> str:
    """The cursor of the page that starts after ``card`` (anything with id, approved_at and
    download_count) in the ``sort`` order."""
    stamp = card.approved_at or datetime.fromtimestamp(0, UTC)
    micros = int(stamp.timestamp() * 1_000_000)
    values = (card.download_count, micros, card.id) if sort == "popular" else (micros, card.id)
    return ".".join(str(v) for v in values)


def _stale_link():
    abort_with(400, _("This page link is not valid any more. Start again from the first page."))


def _cursor_values(cursor: str, sort: str) -> tuple:
    """The sort key a cursor names, or a 400 for a cursor that is not one of ours."""
    parts = cursor.split(".") if CURSOR.match(cursor or "") else []
    if len(parts) != len(SORTS[sort]):
        _stale_link()
    numbers = [int(p) for p in parts]
    if numbers[-1] > MAX_DATABASE_ID or numbers[0] > MAX_DATABASE_ID and sort == "popular":
        _stale_link()
    try:
        stamp = datetime.fromtimestamp(numbers[-2] / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        _stale_link()
    return (numbers[0], stamp, numbers[-1]) if sort == "popular" else (stamp, numbers[-1])


def _cards(statement: Select) -> list[Card]:
    refs = references()
    communities, regencies, venues = refs.by_id("communities"), refs.by_id("regencies"), refs.by_id("venues")
    cards = []
    for row in db.session.execute(statement):
        *values, community_id, regency_id, venue_id = row
        cards.append(
            Card(
                *values,
                community=communities.get(community_id),
                regency=regencies.get(regency_id),
                venue=venues.get(venue_id),
            )
        )
    return cards


def cards(statement: Select) -> list[Card]:
    """Cards from a select of CARD_COLUMNS and REFERENCE_COLUMNS, for other lists of published
    assets drawn with the same card (a call's contributions: assets/calls.py)."""
    return _cards(statement)


def page(
    filters: CatalogFilters,
    per_page: int,
    number: int | None = None,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """One page of the catalogue: by ``number`` (up to MAX_OFFSET_PAGE) or by a cursor from a
    previous page's ``next_cursor`` (``after``) or ``prev_cursor`` (``before``)."""
    if number is not None and number > MAX_OFFSET_PAGE:
        abort_with(
            400,
            _(
                "Page numbers go up to %(max)d. Further pages are reached with the “Next” link.",
                max=MAX_OFFSET_PAGE,
            ),
        )
    counts = facets(filters)
    any_word = False
    if counts.total == 0 and len(search.terms(filters.q)) > 1:
        any_word, counts = True, facets(filters, any_word=True)
    key = SORTS[filters.sort]
    statement = select(*CARD_COLUMNS, *REFERENCE_COLUMNS).where(*conditions(filters, any_word))
    if counts.total <= SORT_MATCHES_UP_TO:
        # Few matches. The planners cannot know how few (SQLite keeps no such statistics,
        # PostgreSQL guesses a search word's share), and reading the catalogue in index order
        # until a page is full would walk all of it for a rare word. Ordering by an expression
        # no index serves makes them fetch just the matches (by the search index, or the
        # filter's own index) and sort those: at most SORT_MATCHES_UP_TO rows.
        dialect = db.session.get_bind().dialect.name
        key = tuple(_unindexed(column, dialect) for column in key)
    result = Page(items=[], per_page=per_page, facets=counts, any_word=any_word)
    if before:
        statement = statement.where(tuple_(*key) > tuple_(*_cursor_values(before, filters.sort)))
        rows = _cards(statement.order_by(*key).limit(per_page + 1))
        more_before = len(rows) > per_page
        result.items = list(reversed(rows[:per_page]))
        result.first = not more_before
        result.next_cursor = cursor_for(result.items[-1], filters.sort) if result.items else None
        result.prev_cursor = cursor_for(result.items[0], filters.sort) if more_before else None
        return result
    if after:
        statement = statement.where(tuple_(*key) < tuple_(*_cursor_values(after, filters.sort)))
    elif number and number > 1:
        statement = statement.offset((number - 1) * per_page)
    rows = _cards(statement.order_by(*(c.desc() for c in key)).limit(per_page + 1))
    result.items = rows[:per_page]
    result.number = None if after else (number or 1)
    result.first = not after and (number or 1) == 1
    if len(rows) > per_page:
        result.next_cursor = cursor_for(result.items[-1], filters.sort)
    if not result.first and result.items:
        result.prev_cursor = cursor_for(result.items[0], filters.sort)
    return result
