"""The dashboard's figures, read in a fixed handful of GROUP BY queries whatever the amount of
data: a query's rows are bounded by months × venues × regencies × levels (or months × sectors ×
communities), never by the number of bookings or downloads. Months are WITA months
(``months.Period.month_index``). Read-only: nothing here writes.

Every query names its FROM (``select_from``) and its joins: SQLAlchemy otherwise infers the
FROM from the first column, and the month column is a constant when the period lies within
one month, so the inferred FROM changed with the period (``users`` twice: a 500)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import LEVELS, School, User
from ..assets import review_queue
from ..assets.models import Asset, AssetDownload
from ..audit import AuditEvent
from ..booking.models import CHECKED_IN, COMPLETED, CONFIRMED, NO_SHOW, Booking, Program, Slot
from ..extensions import db
from ..reference.data import SECTORS
from ..reference.models import Community, Regency
from ..venues.models import Venue
from .months import Period

# What counts as a visit: the visitor report's rule (booking/reports.py), so the two pages
# agree. Confirmed ones are visits booked that have not been marked yet.
VISIT_STATUSES = (CONFIRMED, CHECKED_IN, COMPLETED)
# Visits the group came to: their checked-in students are the students reached.
ATTENDED = (CHECKED_IN, COMPLETED)
# Visits whose outcome is known, the base of the no-show rate (a confirmed visit may still
# be marked either way).
OUTCOME_KNOWN = (CHECKED_IN, COMPLETED, NO_SHOW)
# Review decisions in the audit log whose time from submission the dashboard measures.
REVIEW_ACTIONS = ("asset.approve", "asset.reject")
NO_SECTOR = ""
NO_SECTOR_LABEL = _l("Not a business account")
NO_COMMUNITY = 0
NO_COMMUNITY_LABEL = _l("No community")
TOP = 10


@dataclass
class MonthTable:
    """Counts per series (a venue, a regency, a sector ...) and per month of the period."""

    months: list[date]
    order: tuple = ()  # a fixed order of the series; by default, the largest first
    names: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    def add(self, key, name, month: int, count: int) -> None:
        self.names[key] = name
        self.values.setdefault(key, [0] * len(self.months))[month] += count

    def total(self, key) -> int:
        return sum(self.values[key])

    @property
    def keys(self) -> list:
        """Series with the most first; ties by name, so the order never depends on the query."""
        if self.order:
            return [key for key in self.order if key in self.values]
        return sorted(self.values, key=lambda key: (-self.total(key), str(self.names[key]).lower()))

    @property
    def month_totals(self) -> list[int]:
        return [sum(column) for column in zip(*self.values.values(), strict=True)] or [0] * len(self.months)

    @property
    def grand_total(self) -> int:
        return sum(self.month_totals)


@dataclass
class Visits:
    by_venue: MonthTable
    by_regency: MonthTable
    by_level: MonthTable
    students: list[int]  # attended students of checked-in and completed visits, per month
    no_shows: list[int]
    outcomes: list[int]  # visits with a known outcome (came or did not), per month

    @property
    def no_show_rate(self) -> float | None:
        """No-shows as a share of the visits whose outcome is known; None without any."""
        known = sum(self.outcomes)
        return sum(self.no_shows) / known if known else None


def visits(period: Period) -> Visits:
    """Visits per month by venue, regency of the school and level; students reached; no-shows.
    One query: the rows are the distinct (month, venue, regency, level, status) combinations."""
    months = period.months
    rows = (
        select(
            period.month_index(Slot.starts_at).label("month"),
            Program.venue_id.label("venue_id"),
            School.regency_id.label("regency_id"),
            Booking.level.label("level"),
            Booking.status.label("status"),
            Booking.attended_students.label("attended"),
        )
        .select_from(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Program, Slot.program_id == Program.id)
        .join(School, Booking.school_id == School.id)
        .where(period.within(Slot.starts_at), Booking.status.in_(VISIT_STATUSES + (NO_SHOW,)))
        .subquery()
    )
    grouped = (
        select(
            rows.c.month,
            rows.c.venue_id,
            Venue.name,
            rows.c.regency_id,
            Regency.name,
            rows.c.level,
            rows.c.status,
            func.count(),
            func.coalesce(func.sum(rows.c.attended), 0),
        )
        .select_from(rows)
        .join(Venue, Venue.id == rows.c.venue_id)
        .join(Regency, Regency.id == rows.c.regency_id)
        .group_by(
            rows.c.month, rows.c.venue_id, Venue.name, rows.c.regency_id, Regency.name, rows.c.level, rows.c.status
        )
    )
    result = Visits(
        by_venue=MonthTable(months),
        by_regency=MonthTable(months),
        by_level=MonthTable(months, order=LEVELS),  # SD, SMP, SMA, SMK read as a sequence
        students=[0] * len(months),
        no_shows=[0] * len(months),
        outcomes=[0] * len(months),
    )
    for month, venue_id, venue, regency_id, regency, level, status, count, attended in db.session.execute(grouped):
        if status in OUTCOME_KNOWN:
            result.outcomes[month] += count
        if status == NO_SHOW:
            result.no_shows[month] += count
            continue
        if status in ATTENDED:
            result.students[month] += int(attended)
        result.by_venue.add(venue_id, venue, month, count)
        result.by_regency.add(regency_id, regency, month, count)
        result.by_level.add(level, level, month, count)
    return result


@dataclass
class Downloads:
    by_sector: MonthTable
    by_community: MonthTable
    top_assets: list[tuple[int, str, str, int]]  # id, title, community name, downloads

    @property
    def top_communities(self) -> list[tuple[str, int]]:
        table = self.by_community
        ranked = [(table.names[key], table.total(key)) for key in table.keys if key != NO_COMMUNITY]
        return ranked[:TOP]


def downloads(period: Period) -> Downloads:
    """Downloads per month by the sector of the business that downloaded and by the community
    of the asset; the most downloaded assets. Two queries."""
    months = period.months
    rows = (
        select(
            period.month_index(AssetDownload.created_at).label("month"),
            User.sector.label("sector"),
            Asset.community_id.label("community_id"),
        )
        .select_from(AssetDownload)
        .join(Asset, AssetDownload.asset_id == Asset.id)
        .outerjoin(User, AssetDownload.user_id == User.id)  # an account deleted since: no sector
        .where(period.within(AssetDownload.created_at))
        .subquery()
    )
    grouped = (
        select(rows.c.month, rows.c.sector, rows.c.community_id, Community.name, func.count())
        .select_from(rows)
        .outerjoin(Community, Community.id == rows.c.community_id)
        .group_by(rows.c.month, rows.c.sector, rows.c.community_id, Community.name)
    )
    by_sector, by_community = MonthTable(months), MonthTable(months)
    for month, sector, community_id, community, count in db.session.execute(grouped):
        sector = sector if sector in SECTORS else NO_SECTOR
        by_sector.add(sector, SECTORS.get(sector, NO_SECTOR_LABEL), month, count)
        by_community.add(community_id or NO_COMMUNITY, community or NO_COMMUNITY_LABEL, month, count)
    # Counted on the downloads alone, then the ten joined to their titles: the join runs for
    # ten rows, not for every download of the period.
    downloads_of = func.count().label("downloads")
    counted = (
        select(AssetDownload.asset_id, downloads_of)
        .select_from(AssetDownload)
        .where(period.within(AssetDownload.created_at))
        .group_by(AssetDownload.asset_id)
        .order_by(downloads_of.desc(), AssetDownload.asset_id)
        .limit(TOP)
        .subquery()
    )
    top = db.session.execute(
        select(Asset.id, Asset.title, Community.name, counted.c.downloads)
        .select_from(Asset)
        .join(counted, counted.c.asset_id == Asset.id)
        .outerjoin(Community, Community.id == Asset.community_id)
        .order_by(counted.c.downloads.desc(), Asset.id)
    )
    top_assets = [(asset_id, title, community or str(NO_COMMUNITY_LABEL), n) for asset_id, title, community, n in top]
    return Downloads(by_sector=by_sector, by_community=by_community, top_assets=top_assets)


@dataclass
class Reviews:
    waiting: int  # new uploads and edits waiting for review now (the review queue's count)
    hours: list[list[float]]  # per month: hours from submission to decision of each decision

    @property
    def all_hours(self) -> list[float]:
        return [hours for month in self.hours for hours in month]

    @staticmethod
    def median(hours: list[float]) -> float | None:
        return statistics.median(hours) if hours else None

    @staticmethod
    def mean(hours: list[float]) -> float | None:
        return statistics.fmean(hours) if hours else None


def reviews(period: Period) -> Reviews:
    """What waits for review now, and how long decisions in the period took from submission.

    A decision is an audit event (asset.approve / asset.reject, the moment staff decided); its
    submission is the asset's ``submitted_at``. That column keeps only the latest submission,
    so a decision counts when the asset was not sent again after it (``submitted_at`` not after
    the decision): each asset's latest decided submission. An edit of a published asset is
    left out: its submission time is cleared when it is decided, so it cannot be measured."""
    decided = db.session.execute(
        select(period.month_index(AuditEvent.created_at), AuditEvent.created_at, Asset.submitted_at)
        .select_from(AuditEvent)
        .join(Asset, Asset.id == AuditEvent.subject_id)
        .where(
            AuditEvent.subject_type == Asset.__tablename__,
            AuditEvent.action.in_(REVIEW_ACTIONS),
            period.within(AuditEvent.created_at),
            Asset.submitted_at <= AuditEvent.created_at,
            AuditEvent.detail["edit"].as_string().is_(None),
        )
    )
    hours = defaultdict(list)
    for month, decided_at, submitted_at in decided:
        hours[month].append((decided_at - submitted_at).total_seconds() / 3600)
    return Reviews(waiting=review_queue.waiting_count(), hours=[sorted(hours[i]) for i in range(len(period.months))])
