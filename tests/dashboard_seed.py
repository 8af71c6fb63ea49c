"""Known data for the dashboard tests: visits, downloads and review decisions across three WITA
months (November 2025 to January 2026), with rows on both sides of every month boundary and of
the period's ends, so each number the page and the CSVs show can be worked out by hand
(``EXPECTED``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from koin_media.accounts.models import School
from koin_media.assets.models import APPROVED, PENDING_REVIEW, REJECTED, Asset, AssetDownload
from koin_media.audit import AuditEvent
from koin_media.booking.models import Booking, Slot
from koin_media.extensions import db
from koin_media.reference.models import Community, Regency

from .booking_helpers import make_program, make_venue
from .conftest import Factory

FIRST, LAST = "2025-11-01", "2026-01-31"
MONTHS = ("2025-11", "2025-12", "2026-01")
WITA = timedelta(hours=8)
_codes = itertools.count(1)


def wita(*args) -> datetime:
    """A wall-clock time in WITA as the UTC instant the database keeps."""
    return datetime(*args, tzinfo=UTC) - WITA


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def regency(slug: str) -> Regency:
    return db.session.scalar(select(Regency).where(Regency.slug == slug))


def community(slug: str) -> Community:
    return db.session.scalar(select(Community).where(Community.slug == slug))


def school(npsn: str, name: str, regency_slug: str) -> School:
    row = School(npsn=npsn, name=name, regency=regency(regency_slug), verified_at=utc(2025, 1, 1))
    db.session.add(row)
    return row


def visit(program, school_row, level: str, status: str, starts_at: datetime, students=30, attended=None) -> Booking:
    """A booking of its own session (one live booking per school and session)."""
    slot = Slot(program=program, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), capacity=200, held=0)
    booking = Booking(
        code=f"D{next(_codes):07d}",
        slot=slot,
        school=school_row,
        students=students,
        teachers=2,
        level=level,
        contact_name="Baiq Nurul Aini",
        contact_phone="+6281234567890",
        status=status,
        attended_students=attended,
        attended_teachers=2 if attended is not None else None,
    )
    db.session.add_all([slot, booking])
    return booking


def media(owner, title: str, community_slug: str, status=APPROVED, **fields) -> Asset:
    asset = Asset(
        owner=owner,
        community=community(community_slug),
        original_filename="foto.jpg",
        storage_key=f"assets/dashboard-{next(_codes)}/original",
        status=status,
        kind="image",
        mime="image/jpeg",
        title=title,
        license="CC-BY-4.0",
        consent=True,
        **fields,
    )
    db.session.add(asset)
    db.session.flush()
    return asset


def downloads(asset, user, at: datetime, times: int = 1) -> None:
    for _ in range(times):
        db.session.add(AssetDownload(asset=asset, user=user, variant="original", created_at=at))


def decision(asset, staff, action: str, at: datetime, **detail) -> None:
    db.session.add(
        AuditEvent(
            actor_id=staff.id, action=action, subject_type="assets", subject_id=asset.id, detail=detail, created_at=at
        )
    )


def seed() -> dict:
    """The world of EXPECTED; returns the ids the page's cells are keyed by, and accounts."""
    factory = Factory()
    staff = factory.user("staff")
    creator = factory.user("creator")  # Lombok Phonegraphy; downloads too (no sector)
    coffee = factory.user("ikm", business_name="Kopi Sembalun", sector="coffee")
    weaving = factory.user("ikm", business_name="Tenun Sukarara")  # the factory's ikm: weaving

    mandalika = make_venue()
    meninting = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    at_mandalika, at_meninting = make_program(mandalika), make_program(meninting)
    smp = school("50201001", "SMPN 1 Mataram", "kota-mataram")
    sma = school("50201002", "SMAN 1 Selong", "lombok-timur")

    visit(at_mandalika, smp, "SMP", "completed", wita(2025, 11, 1, 0, 0), attended=28)  # first minute
    visit(at_meninting, sma, "SMA", "checked_in", wita(2025, 11, 30, 23, 30), students=20, attended=19)
    visit(at_mandalika, sma, "SMA", "confirmed", wita(2025, 12, 1, 0, 30), students=25)  # December in WITA
    visit(at_mandalika, smp, "SMP", "no_show", wita(2025, 12, 10, 9, 0))
    visit(at_meninting, smp, "SD", "completed", wita(2025, 12, 11, 9, 0), students=15, attended=15)
    visit(at_mandalika, sma, "SMK", "cancelled", wita(2026, 1, 5, 9, 0))  # not a visit
    visit(at_meninting, smp, "SMP", "pending", wita(2026, 1, 20, 9, 0))  # not a visit
    visit(at_mandalika, smp, "SMP", "completed", wita(2026, 1, 31, 23, 59), students=10, attended=9)  # last minute
    visit(at_mandalika, smp, "SMP", "completed", wita(2025, 10, 31, 23, 59), attended=30)  # before the period
    visit(at_meninting, sma, "SMA", "completed", wita(2026, 2, 1, 0, 0), attended=30)  # after it

    tenun = media(creator, "Tenun Sukarara", "lombok-phonegraphy")
    formula = media(creator, '=HYPERLINK("http://contoh.id","klik")', "bengkel-aktor-lombok")
    kopi = media(creator, "Kopi Sembalun", "lombok-phonegraphy")
    downloads(tenun, coffee, wita(2025, 11, 5, 10, 0), times=2)
    downloads(formula, weaving, wita(2025, 11, 30, 23, 59))
    downloads(tenun, creator, wita(2025, 12, 1, 0, 0))  # midnight WITA: December
    downloads(kopi, coffee, wita(2025, 12, 24, 8, 0))
    downloads(formula, weaving, wita(2026, 1, 15, 8, 0), times=3)
    downloads(kopi, coffee, wita(2025, 10, 31, 23, 59))  # before the period
    downloads(tenun, weaving, wita(2026, 2, 1, 0, 0))  # after it

    # Review: 10 h in November; 4 h and 24 h in December; in January one decision of an
    # asset sent again since (its time is not known any more) and one decided edit.
    reviewed = media(creator, "Gendang Beleq", "lombok-phonegraphy", submitted_at=utc(2025, 11, 3, 0, 0))
    decision(reviewed, staff, "asset.approve", utc(2025, 11, 3, 10, 0))
    refused = media(creator, "Sasak", "lombok-phonegraphy", status=REJECTED, submitted_at=utc(2025, 12, 1, 0, 0))
    decision(refused, staff, "asset.reject", utc(2025, 12, 1, 4, 0), reason="Buram")
    slow = media(creator, "Bau Nyale", "lombok-phonegraphy", submitted_at=utc(2025, 12, 5, 0, 0))
    decision(slow, staff, "asset.approve", utc(2025, 12, 6, 0, 0))
    again = media(creator, "Ende", "lombok-phonegraphy", status=PENDING_REVIEW, submitted_at=utc(2026, 1, 10, 0, 0))
    decision(again, staff, "asset.reject", utc(2026, 1, 2, 0, 0), reason="Judul kurang")
    decision(reviewed, staff, "asset.approve", utc(2026, 1, 12, 0, 0), edit={"title": ["Gendang", "Gendang Beleq"]})
    # Waiting now: "Ende" (sent again) and a published asset's edit.
    media(
        creator,
        "Tari Rudat",
        "lombok-phonegraphy",
        edit_submitted_at=utc(2026, 1, 20),
        pending_changes={"title": "Rudat"},
    )
    db.session.commit()
    return {
        "staff": staff.email,
        "mandalika": mandalika.id,
        "meninting": meninting.id,
        "kota_mataram": regency("kota-mataram").id,
        "lombok_timur": regency("lombok-timur").id,
        "phonegraphy": community("lombok-phonegraphy").id,
        "bengkel": community("bengkel-aktor-lombok").id,
    }


def expected(ids: dict) -> dict[str, dict[tuple[str, str], str]]:
    """Every cell of every chart's table as the Indonesian page writes it: {chart: {(row, column): text}}."""
    nov, dec, jan = MONTHS

    def months(**columns):
        return {(month, key): str(values[i]) for key, values in columns.items() for i, month in enumerate(MONTHS)}

    return {
        "visits-venue": months(
            **{str(ids["mandalika"]): [1, 1, 1], str(ids["meninting"]): [1, 1, 0], "total": [2, 2, 1]}
        ),
        "visits-regency": months(
            **{str(ids["kota_mataram"]): [1, 1, 1], str(ids["lombok_timur"]): [1, 1, 0], "total": [2, 2, 1]}
        ),
        "visits-level": months(SD=[0, 1, 0], SMP=[1, 0, 1], SMA=[1, 1, 0], total=[2, 2, 1]),
        "students": months(students=[47, 15, 9]),
        "no-shows": months(no_shows=[0, 1, 0], known=[2, 2, 1], rate=["0,0%", "50,0%", "0,0%"]),
        "downloads-sector": months(coffee=[2, 1, 0], weaving=[1, 0, 3], **{"": [0, 1, 0]}, total=[3, 2, 3]),
        "downloads-community": months(
            **{str(ids["phonegraphy"]): [2, 2, 0], str(ids["bengkel"]): [1, 0, 3], "total": [3, 2, 3]}
        ),
        "top-assets": {
            ("1", "name"): '=HYPERLINK("http://contoh.id","klik")',
            ("1", "community"): "Bengkel Aktor Lombok",
            ("1", "downloads"): "4",
            ("2", "name"): "Tenun Sukarara",
            ("2", "community"): "Lombok Phonegraphy",
            ("2", "downloads"): "3",
            ("3", "name"): "Kopi Sembalun",
            ("3", "community"): "Lombok Phonegraphy",
            ("3", "downloads"): "1",
        },
        # A tie of 4 and 4: by name.
        "top-communities": {
            ("1", "name"): "Bengkel Aktor Lombok",
            ("1", "downloads"): "4",
            ("2", "name"): "Lombok Phonegraphy",
            ("2", "downloads"): "4",
        },
        "review-time": months(decisions=[1, 2, 0], median=["10,0", "14,0", "–"], mean=["10,0", "14,0", "–"]),
    }


# The key figures above the charts, as the Indonesian page writes them.
FACTS = {
    "visits": "5",
    "students": "71",
    "no-shows": "1",
    "no-show-rate": "20,0%",
    "downloads": "8",
    "waiting": "2",
    "review-median": "10,0",
    "review-mean": "12,7",
}
