"""The weekly download digest: each creator whose assets were downloaded last week hears
which businesses downloaded which assets, and how often.

A week runs Monday to Sunday in WITA. The digest of a week goes out once it is over (the
worker tries every morning, so a worker that was down on Monday catches up), once per creator
and week: a ``DownloadDigest`` row is written with the mail, and its unique constraint turns a
second sender (another worker, the CLI) away even when both run at the same moment. A creator
without downloads that week gets nothing; nor do a creator's own downloads count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..assets.downloads import sorted_purposes
from ..assets.models import DOWNLOAD_PURPOSES, Asset, AssetDownload
from ..database import utcnow
from ..extensions import db
from ..localtime import LOCAL, local_day_range
from ..sitelinks import site_link
from .models import ASSET_DIGEST, DownloadDigest
from .outbox import add, recipient_locale, render

WEEK = timedelta(days=7)


class WeekNotOver(ValueError):
    """A digest is only sent for a week that has ended (it would otherwise be incomplete and
    stop the whole week's digest from going out later)."""


@dataclass
class AssetDownloads:
    """One asset's downloads in the week: by business (None: signed-in users without one) and by
    what they were for (None: not said)."""

    asset_id: int
    title: str
    total: int = 0
    businesses: list[tuple[str | None, int]] = field(default_factory=list)
    purposes: list[tuple[str | None, int]] = field(default_factory=list)
    url: str = ""  # the asset's "who downloaded" page


@dataclass
class DigestReport:
    week_start: date
    sent: int = 0
    already_sent: int = 0

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


def week_start_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def last_week(now: datetime | None = None) -> date:
    """The Monday of the last week that has ended (in WITA)."""
    today = (now or utcnow()).astimezone(LOCAL).date()
    return week_start_of(today) - WEEK


def downloads_by_creator(week_start: date) -> dict[int, list[AssetDownloads]]:
    """Per creator (owner id), their assets downloaded in the week, most downloaded first, each
    with its businesses and its purposes, most downloads first."""
    start, end = local_day_range(week_start, week_start + timedelta(days=6))
    columns = (
        Asset.owner_id,
        Asset.id,
        Asset.title,
        Asset.original_filename,
        AssetDownload.business_name,
        AssetDownload.purpose,
    )
    rows = db.session.execute(
        select(*columns, func.count())
        .join(Asset, Asset.id == AssetDownload.asset_id)
        .where(
            AssetDownload.created_at >= start,
            AssetDownload.created_at < end,
            or_(AssetDownload.user_id.is_(None), AssetDownload.user_id != Asset.owner_id),
        )
        .group_by(*columns)
    ).all()
    assets: dict[int, AssetDownloads] = {}
    owners: dict[int, list[AssetDownloads]] = {}
    by_business: dict[int, Counter] = {}
    by_purpose: dict[int, Counter] = {}
    for owner_id, asset_id, title, filename, business, purpose, count in rows:
        if asset_id not in assets:
            assets[asset_id] = AssetDownloads(asset_id, title or filename)
            owners.setdefault(owner_id, []).append(assets[asset_id])
            by_business[asset_id], by_purpose[asset_id] = Counter(), Counter()
        assets[asset_id].total += count
        by_business[asset_id][business] += count
        by_purpose[asset_id][purpose] += count
    for asset_id, line in assets.items():
        line.businesses = sorted(
            by_business[asset_id].items(), key=lambda pair: (-pair[1], pair[0] is None, (pair[0] or "").casefold())
        )
        line.purposes = sorted_purposes(by_purpose[asset_id].items())
    for lines in owners.values():
        lines.sort(key=lambda line: (-line.total, line.title.casefold()))
    return owners


def send_digests(week_start: date | None = None, now: datetime | None = None) -> DigestReport:
    """Write the digest of the week starting on Monday ``week_start`` (default: last week) for
    every creator who has not had it, and commit. Safe to run twice, or twice at once."""
    now = now or utcnow()
    week_start = week_start_of(week_start) if week_start else last_week(now)
    if week_start + WEEK > now.astimezone(LOCAL).date():
        raise WeekNotOver(week_start)
    report = DigestReport(week_start)
    had_it = set(db.session.scalars(select(DownloadDigest.user_id).where(DownloadDigest.week_start == week_start)))
    for owner_id, lines in sorted(downloads_by_creator(week_start).items()):
        if owner_id in had_it:
            report.already_sent += 1
            continue
        owner = db.session.get(User, owner_id)
        if owner is None or not owner.active:
            continue
        try:
            with db.session.begin_nested():
                total = sum(line.total for line in lines)
                db.session.add(DownloadDigest(user_id=owner.id, week_start=week_start, downloads=total, created_at=now))
                db.session.flush()  # a second sender stops here, before writing its mail
                _write_mail(owner, lines, total, report, now)
        except IntegrityError:
            report.already_sent += 1  # another run sent it meanwhile
            continue
        report.sent += 1
    db.session.commit()
    return report


def _write_mail(owner: User, lines: list[AssetDownloads], total: int, report: DigestReport, now: datetime) -> None:
    locale = recipient_locale(owner)
    for line in lines:
        line.url = site_link("assets.downloads", asset_id=line.asset_id)
    subject, body = render(
        ASSET_DIGEST,
        locale,
        recipient=owner,
        lines=lines,
        total=total,
        week_start=report.week_start,
        week_end=report.week_end,
        uploads_url=site_link("assets.mine"),
        purpose_labels=DOWNLOAD_PURPOSES,  # lazy: rendered in the recipient's language
    )
    add(ASSET_DIGEST, owner, subject, body, locale=locale, now=now)
