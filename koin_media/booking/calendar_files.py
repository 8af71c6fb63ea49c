"""What a confirmed booking gives the school: an .ics calendar file and the QR code for the gate.

The calendar event is in WITA (``TZID=Asia/Makassar`` with its VTIMEZONE), so a phone in
another zone still shows the visit at the right moment. The QR code carries the booking code
exactly as check-in reads it, a full QR code (not a micro one: phone scanners read those badly).
"""

from __future__ import annotations

import io

import segno
from flask import url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress

from ..database import utcnow
from ..localtime import LOCAL
from .codes import display
from .models import CANCELLED, CHECKED_IN, CONFIRMED, Booking

PRODID = "-//KOIN Media//Eduwisata//ID"
QR_SCALE = 8
QR_BORDER = 4


def event_uid(booking: Booking) -> str:
    return f"{booking.code}@koin-media"


def ics_filename(booking: Booking) -> str:
    return f"koin-{booking.code}.ics"


def _description(booking: Booking) -> str:
    program = booking.slot.program
    lines = [
        _("Booking code: %(code)s", code=display(booking.code)),
        _("School: %(school)s", school=booking.school.name),
        _(
            "Group: %(students)s students and %(teachers)s teachers (%(total)s people)",
            students=booking.students,
            teachers=booking.teachers,
            total=booking.headcount,
        ),
    ]
    if program.requirements:
        lines.append(_("Please bring or prepare:"))
        lines.extend(f"- {item}" for item in program.requirements)
    if booking.special_needs:
        lines.append(_("Special needs: %(needs)s", needs=booking.special_needs))
    lines.append(_("Show the QR code or the booking code at the gate."))
    return "\n".join(lines)


# iTIP methods (RFC 5546): PUBLISH for the file the page offers; in mail, REQUEST adds or
# updates the event in the school's calendar (same UID, higher SEQUENCE for a move) and
# CANCEL removes it.
PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"


def booking_calendar(
    booking: Booking, method: str = PUBLISH, organizer: str | None = None, attendee: str | None = None
) -> bytes:
    """The booking as an iCalendar file with one event (STATUS:CONFIRMED, or CANCELLED).
    ``organizer`` and ``attendee`` are e-mail addresses, which REQUEST and CANCEL need."""
    slot = booking.slot
    program = slot.program
    venue = program.venue
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(Timezone.from_tzinfo(LOCAL))

    event = Event()
    event.add("uid", event_uid(booking))
    event.add("dtstamp", utcnow())
    event.add("dtstart", slot.starts_at.astimezone(LOCAL))
    event.add("dtend", slot.ends_at.astimezone(LOCAL))
    event.add("summary", f"{program.title} — {venue.name}")
    if venue.address:
        event.add("location", venue.address)
    if venue.latitude is not None and venue.longitude is not None:
        event.add("geo", (venue.latitude, venue.longitude))
    event.add("description", _description(booking))
    event.add("status", "CANCELLED" if booking.status == CANCELLED or method == CANCEL else "CONFIRMED")
    # A moved booking keeps its UID; the sequence tells calendars this version is newer. The
    # version grows with every change written (confirm, move, cancel), never goes back.
    event.add("sequence", max((booking.version or 1) - 1, 0))
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    if attendee:
        event.add("attendee", vCalAddress(f"mailto:{attendee}"))
    calendar.add_component(event)
    return calendar.to_ical()


def has_calendar_files(booking: Booking) -> bool:
    """The .ics and the QR code exist for bookings the school will (or did) come for."""
    return booking.status in (CONFIRMED, CHECKED_IN)


def calendar_links(booking: Booking, external: bool = False) -> dict:
    """Where the .ics and the QR code of a booking are, when it has them (empty otherwise)."""
    if not has_calendar_files(booking):
        return {}
    return {
        "ics": url_for("booking.ics", booking_id=booking.id, _external=external),
        "qr": url_for("booking.qr", booking_id=booking.id, _external=external),
    }


def qr_code(booking_code: str) -> segno.QRCode:
    return segno.make(booking_code, micro=False)


def booking_qr_svg(booking: Booking) -> bytes:
    """An SVG QR code of the booking code, for the gate's scanner (what check-in reads)."""
    buffer = io.BytesIO()
    qr_code(booking.code).save(
        buffer,
        kind="svg",
        scale=QR_SCALE,
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        title=display(booking.code),
        xmldecl=True,
    )
    return buffer.getvalue()
