"""Venues, programs, slots and verified schools for the booking tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from koin_media.accounts.models import School, User
from koin_media.booking.models import HOLDING, OFFERED, Booking, Program, Slot, WaitlistEntry
from koin_media.booking.rules import GroupRequest
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.reference.models import Regency
from koin_media.venues.models import Venue

from .conftest import PASSWORD

REQUEST = {
    "students": 30,
    "teachers": 2,
    "level": "SMP",
    "contact_name": "Baiq Nurul Aini",
    "contact_phone": "0812-3456-7890",
    "special_needs": "",
    "consent": True,
}


def request_fields(**overrides) -> dict:
    return {**REQUEST, **overrides}


def group_request(**overrides) -> GroupRequest:
    """The request as ``book_slot`` and ``join_waitlist`` take it."""
    return GroupRequest(**request_fields(**overrides))


def make_venue(slug="sirkuit-mandalika", name="Pertamina Mandalika International Circuit") -> Venue:
    regency = db.session.scalar(select(Regency).where(Regency.slug == "lombok-tengah"))
    venue = Venue(slug=slug, name=name, regency=regency, address="Kuta, Pujut, Lombok Tengah")
    db.session.add(venue)
    db.session.commit()
    return venue


def make_program(venue: Venue | None = None, **fields) -> Program:
    values = {
        "title": "Mengenal Teknologi Balap",
        "duration_minutes": 120,
        "min_students": 10,
        "max_students": 40,
        "students_per_teacher": 15,
        "levels": "SMP,SMA,SMK",
        "requirements": ["Surat izin orang tua", "Sepatu tertutup"],
        "price_per_student": 0,
    }
    values.update(fields)
    program = Program(venue=venue or make_venue(), **values)
    db.session.add(program)
    db.session.commit()
    return program


def make_slot(program: Program | None = None, starts_in=timedelta(days=7), capacity=100, hours=2, **fields) -> Slot:
    starts_at = (utcnow() + starts_in).replace(microsecond=0)
    slot = Slot(
        program=program or make_program(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        capacity=capacity,
        held=0,
        **fields,
    )
    db.session.add(slot)
    db.session.commit()
    return slot


_password_hash_cache: dict[str, tuple[str, str]] = {}


def school_users(count: int, verified=True, start=0) -> list[User]:
    """Coordinators of ``count`` different schools, made quickly (one password hash for all)."""
    if "hash" not in _password_hash_cache:
        template = User(email="x@contoh.id", name="x", role="school")
        template.set_password(PASSWORD)
        _password_hash_cache["hash"] = (template.password_hash, template.session_nonce)
    password_hash, nonce = _password_hash_cache["hash"]
    regency = db.session.scalar(select(Regency).where(Regency.slug == "kota-mataram"))
    users = []
    for index in range(start, start + count):
        school = School(
            npsn=f"{52010000 + index}",
            name=f"SMPN {index + 1} Mataram",
            regency=regency,
            verified_at=utcnow() if verified else None,
        )
        user = User(
            email=f"guru{index}@sekolah.contoh.id",
            name=f"Guru {index}",
            role="school",
            password_hash=password_hash,
            session_nonce=nonce,
            email_verified_at=utcnow(),
            regency=regency,
            school=school,
            # verifying a school approves its first coordinator
            coordinator_status="approved" if verified else "pending",
        )
        db.session.add(user)
        users.append(user)
    db.session.commit()
    return users


def school_user(verified=True, start=900) -> User:
    return school_users(1, verified=verified, start=start)[0]


def seats_accounted(slot_id: int) -> tuple[int, int]:
    """(held as stored, held as the bookings and offers add up): the two must agree."""
    db.session.rollback()
    held = db.session.scalar(select(Slot.held).where(Slot.id == slot_id))
    booked = db.session.scalar(
        select(func.coalesce(func.sum(Booking.students + Booking.teachers), 0)).where(
            Booking.slot_id == slot_id, Booking.status.in_(HOLDING)
        )
    )
    offered = db.session.scalar(
        select(func.coalesce(func.sum(WaitlistEntry.students + WaitlistEntry.teachers), 0)).where(
            WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == OFFERED
        )
    )
    db.session.rollback()
    return held, booked + offered
