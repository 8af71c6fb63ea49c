"""The checks a booking request must pass, shared by booking and joining the waitlist."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime

from sqlalchemy import func, select
from wtforms import ValidationError

from ..accounts.models import COORDINATOR_REJECTED
from ..extensions import db
from ..roles import SCHOOL
from ..validators import normalise_indonesian_phone
from .models import LEVELS, LIVE, PENDING, Booking, Program, Slot
from .problems import BookingRefused
from .settings import max_pending


@dataclass(frozen=True)
class GroupRequest:
    """A school group's request for a slot (a booking, or a place on the waitlist): what the
    form or the API body says, and, once ``check_request`` has passed it, what gets stored,
    with the school it is for."""

    students: int
    teachers: int
    level: str
    contact_name: str
    contact_phone: str
    special_needs: str = ""
    consent: bool = False
    school_id: int | None = None
    # The coordinator confirmed a level their school is recorded without (check_level_taught);
    # a question of the request, not stored with it.
    level_confirmed: bool = False

    @property
    def headcount(self) -> int:
        return self.students + self.teachers

    def stored(self) -> dict:
        """The request's fields as a booking or a waitlist entry stores them."""
        stored = asdict(self)
        del stored["level_confirmed"]
        return stored

    @classmethod
    def of(cls, stored) -> GroupRequest:
        """The request a booking or waitlist entry was made with (its checks, the level's
        included, passed when it was made)."""
        values = {f.name: getattr(stored, f.name) for f in fields(cls) if f.name != "level_confirmed"}
        return cls(**values, level_confirmed=True)


def check_may_book_for_school(user) -> int:
    """The booking gate: the school ``user`` may book, join a waiting list and accept offers
    for, or a refusal saying what is missing. Every way into a new booking passes here."""
    if user is None or user.role != SCHOOL or user.school is None:
        raise BookingRefused("not_a_school")
    # The membership first: it is what takes days (the office verifies), and what the booking
    # page explains; an unconfirmed address is one click in the mail.
    check_school_membership(user)
    if not user.email_verified:
        raise BookingRefused("email_unverified")  # accounts/email_links.py
    return user.school.id


def booking_gate(user, email_too: bool = True) -> BookingRefused | None:
    """Why ``user`` cannot book for a school yet (``check_may_book_for_school``'s refusal), or
    None when they can: the booking page shows the account's state instead of a form. Without
    ``email_too`` an unconfirmed address does not count (every page's banner says it already)."""
    try:
        check_may_book_for_school(user)
    except BookingRefused as refusal:
        return refusal if email_too or refusal.code != "email_unverified" else None
    return None


def check_school_membership(user) -> None:
    """The school account's school is verified and the account is approved to act for it
    (``User.is_approved_coordinator``); the refusal says which is missing."""
    if user.coordinator_status == COORDINATOR_REJECTED:
        raise BookingRefused("coordinator_rejected")
    if not user.school.is_verified:
        raise BookingRefused("school_unverified")  # verifying it approves its first coordinator
    if not user.is_approved_coordinator:
        raise BookingRefused("coordinator_pending")


def load_slot(slot_id) -> Slot:
    slot = db.session.get(Slot, slot_id) if isinstance(slot_id, int) else None
    if slot is None:
        raise BookingRefused("slot_not_found")
    return slot


def check_slot(slot: Slot, now: datetime) -> None:
    if not slot.is_open or not slot.program.active:
        raise BookingRefused("slot_closed")
    if slot.starts_at <= now:
        raise BookingRefused("slot_past")


def check_program(program: Program, students: int, teachers: int, level: str) -> None:
    if level not in LEVELS or level not in program.level_set:
        levels = ", ".join(lvl for lvl in LEVELS if lvl in program.level_set)
        raise BookingRefused("level_not_offered", {"level": level, "levels": levels})
    if students < program.min_students:
        raise BookingRefused("group_too_small", {"minimum": program.min_students})
    if students > program.max_students:
        raise BookingRefused("group_too_large", {"maximum": program.max_students})
    needed = program.teachers_needed(students)
    if teachers < needed:
        raise BookingRefused(
            "too_few_teachers", {"needed": needed, "students": students, "ratio": program.students_per_teacher}
        )


def check_level_taught(school, level: str, confirmed: bool) -> None:
    """A level the school is recorded without (an SMP booking for SMA) is most often a slip
    of the finger, but a school's record may be incomplete: ask, and let the coordinator
    confirm it deliberately. Unknown levels (nothing recorded) ask nothing."""
    if school.teaches(level) is False and not confirmed:
        raise level_not_taught(school, level)


def level_not_taught(school, level: str) -> BookingRefused:
    """The question about a level the school is recorded without (also asked by the page's
    script before sending, with the chosen level filled in)."""
    return BookingRefused(
        "level_not_taught", {"level": level, "school": school.name, "levels": ", ".join(school.level_list)}
    )


def check_request(user, slot: Slot, now: datetime, request: GroupRequest) -> GroupRequest:
    """Every rule about the request that needs no lock: the school, the slot, the program, the
    contact. Capacity is not checked here: it is held by the database (capacity.hold). Returns
    the request as it is stored: cleaned, for the user's school."""
    school_id = check_may_book_for_school(user)
    check_slot(slot, now)
    students, teachers = request.students, request.teachers
    if not isinstance(students, int) or not isinstance(teachers, int):
        raise TypeError("students and teachers must be whole numbers")
    level = (request.level or "").strip().upper()
    check_program(slot.program, students, teachers, level)
    check_level_taught(user.school, level, request.level_confirmed is True)
    contact_name = (request.contact_name or "").strip()
    if not contact_name:
        raise BookingRefused("contact_missing")
    try:
        phone = normalise_indonesian_phone(request.contact_phone)
    except ValidationError:
        raise BookingRefused("bad_phone") from None
    if request.consent is not True:
        raise BookingRefused("consent_missing")
    return replace(
        request,
        school_id=school_id,
        level=level,
        contact_name=contact_name[:120],
        contact_phone=phone,
        special_needs=(request.special_needs or "").strip(),
    )


def has_live_booking(school_id: int, slot_id: int) -> bool:
    return (
        db.session.scalar(
            select(Booking.id).where(
                Booking.school_id == school_id, Booking.slot_id == slot_id, Booking.status.in_(LIVE)
            )
        )
        is not None
    )


def check_pending_limit(school_id: int) -> None:
    maximum = max_pending()
    pending = db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.school_id == school_id, Booking.status == PENDING)
    )
    if pending >= maximum:
        raise BookingRefused("too_many_pending", {"maximum": maximum})
