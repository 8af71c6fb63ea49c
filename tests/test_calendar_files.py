"""The confirmed booking's .ics (WITA) and QR code: their content, and who may fetch them."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import segno

from koin_media.booking import services
from koin_media.booking.calendar_files import booking_calendar, booking_qr_svg
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.localtime import local_to_utc

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user

WITA = ZoneInfo("Asia/Makassar")


def _visit_day() -> date:
    return (utcnow() + timedelta(days=10)).astimezone(WITA).date()


@pytest.fixture
def scene(app, factory):
    venue = make_venue()
    manager = factory.user("venue_manager")
    venue.managers.append(manager)
    db.session.commit()
    program = make_program(venue)
    day = _visit_day()
    slot = make_slot(program)
    slot.starts_at, slot.ends_at = local_to_utc(day, time(9, 0)), local_to_utc(day, time(11, 30))
    db.session.commit()
    teacher = school_user()
    booking = services.book_slot(teacher, slot.id, group_request(special_needs="Satu siswa berkursi roda"))
    return {"venue": venue, "manager": manager, "slot": slot, "teacher": teacher, "booking": booking, "day": day}


def _confirm(scene):
    return services.confirm(scene["booking"], scene["manager"])


def test_the_calendar_event_is_in_wita(scene):
    booking = _confirm(scene)
    calendar = icalendar.Calendar.from_ical(booking_calendar(booking))
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Asia/Makassar"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{booking.code}@koin-media"
    assert event["DTSTART"].params["TZID"] == "Asia/Makassar"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.date(), start.hour, start.minute) == (scene["day"], 9, 0)
    assert (end.hour, end.minute) == (11, 30)
    assert start.utcoffset() == timedelta(hours=8)
    assert start == scene["slot"].starts_at and end == scene["slot"].ends_at
    assert str(event["SUMMARY"]) == "Mengenal Teknologi Balap — Pertamina Mandalika International Circuit"
    assert str(event["LOCATION"]) == "Kuta, Pujut, Lombok Tengah"
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert f"{booking.code[:4]}-{booking.code[4:]}" in description
    assert "30" in description and "Surat izin orang tua" in description and "Sepatu tertutup" in description
    assert "Satu siswa berkursi roda" in description


def _dark_modules(svg: str, border: int) -> set[tuple[int, int]]:
    """The dark modules drawn by segno's SVG path (rows of horizontal strokes)."""
    path = re.search(r'class="qrline"[^>]*? d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for step in range(int(float(first))):
                dark.add((int(y - 0.5) - border, int(x) + step - border))
            x += float(first)
    return dark


def test_the_qr_code_carries_the_booking_code(scene):
    booking = _confirm(scene)
    svg = booking_qr_svg(booking).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<script" not in svg
    expected = segno.make(booking.code, micro=False)
    wanted = {(r, c) for r, row in enumerate(expected.matrix) for c, dark in enumerate(row) if dark}
    assert _dark_modules(svg, border=4) == wanted


def test_the_school_downloads_the_ics_and_the_qr(scene, client, auth):
    booking = _confirm(scene)
    auth.login(scene["teacher"])
    response = client.get(f"/bookings/{booking.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="koin-{booking.code}.ics"'
    event = icalendar.Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == scene["slot"].starts_at

    response = client.get(f"/bookings/{booking.id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == booking_qr_svg(booking)


def test_the_venue_manager_and_staff_may_fetch_them(scene, client, auth, factory):
    booking = _confirm(scene)
    for user in (scene["manager"], factory.user("staff"), factory.user("admin")):
        auth.login(user)
        assert client.get(f"/bookings/{booking.id}/calendar.ics").status_code == 200
        assert client.get(f"/bookings/{booking.id}/qr.svg").status_code == 200
        auth.logout()


def test_others_get_404(scene, client, auth, factory):
    booking = _confirm(scene)
    other_manager = factory.user("venue_manager")
    other_venue = make_venue(slug="bike-park-meninting", name="Meninting Bike Park")
    other_venue.managers.append(other_manager)
    db.session.commit()
    for user in (school_user(start=950), other_manager, factory.user("creator"), factory.user("ikm")):
        auth.login(user)
        for path in (f"/bookings/{booking.id}/calendar.ics", f"/bookings/{booking.id}/qr.svg"):
            assert client.get(path).status_code == 404, (user, path)
        auth.logout()
    auth.login(scene["teacher"])
    assert client.get(f"/bookings/{booking.id + 999}/calendar.ics").status_code == 404


def test_nobody_gets_them_before_confirmation_or_after_cancellation(scene, client, auth):
    booking = scene["booking"]
    auth.login(scene["teacher"])
    for path in (f"/bookings/{booking.id}/calendar.ics", f"/bookings/{booking.id}/qr.svg"):
        assert client.get(path).status_code == 404  # pending
    booking = _confirm(scene)
    services.cancel(booking, scene["teacher"])
    for path in (f"/bookings/{booking.id}/calendar.ics", f"/bookings/{booking.id}/qr.svg"):
        assert client.get(path).status_code == 404  # cancelled


def test_anonymous_visitors_are_sent_to_log_in(scene, client):
    booking = _confirm(scene)
    response = client.get(f"/bookings/{booking.id}/calendar.ics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
