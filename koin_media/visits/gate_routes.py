"""The gate without a connection: the service worker that keeps the check-in page on the
device, the day's bookings of a venue as JSON for the device to keep, and the sync that
applies what the gate did offline (visits/gate.py has the rules)."""

from __future__ import annotations

from flask import current_app, jsonify, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..booking import codes
from ..booking.models import STATUS_LABELS, Booking
from ..booking.pages import manager_only
from ..database import utcnow
from ..errors import error_response
from ..extensions import db
from ..i18n import wita_date, wita_datetime, wita_range
from ..json_bodies import json_body
from ..localtime import LOCAL, iso_utc
from ..venues.models import Venue
from ..venues.services import get_venue
from . import bp, gate

# Served from the site's root so that its scope may cover /checkin (a worker's scope cannot
# be above the path it is served from); the file itself lives with the other scripts.
WORKER_FILE = "js/checkin-sw.js"


@bp.get("/checkin-sw.js")
def gate_worker():
    """The gate's service worker. Anyone may fetch it (it is code, like every static file);
    the browser checks for a new version on each visit of the page, so it is never cached."""
    response = send_from_directory(current_app.static_folder, WORKER_FILE, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.app_template_global("gate_offline")
def gate_offline() -> dict:
    """What the gate page's offline part needs: the day-list address of each venue the
    signed-in user manages (staff: every venue), the sync and the worker's address."""
    venues = db.session.scalars(Venue.managed_by(current_user)).all()
    return {
        "feeds": [url_for("visits.gate_today", slug=venue.slug) for venue in venues],
        "sync_url": url_for("visits.gate_sync"),
        "worker_url": url_for("visits.gate_worker"),
        "scope": url_for("booking.checkin"),
    }


def _same_day(now, *moments) -> bool:
    today = now.astimezone(LOCAL).date()
    return all(moment.astimezone(LOCAL).date() == today for moment in moments)


def _entry(booking: Booking, now) -> dict:
    """One booking as the device keeps it: what the gate shows and decides offline."""
    slot = booking.slot
    opens_at, ends_at = booking.check_in_opens_at, slot.ends_at
    style = "time" if _same_day(now, opens_at, ends_at) else "full"
    return {
        "id": booking.id,
        "code": booking.code,
        "display": codes.display(booking.code),
        "school": booking.school.name,
        "npsn": booking.school.npsn,
        "students": booking.students,
        "teachers": booking.teachers,
        "status": booking.status,
        "status_label": str(STATUS_LABELS[booking.status]),
        "attended_students": booking.attended_students,
        "attended_teachers": booking.attended_teachers,
        "program": slot.program.title,
        "starts_at": iso_utc(slot.starts_at),
        "ends_at": iso_utc(ends_at),
        "opens_at": iso_utc(opens_at),
        "session_label": wita_range(slot.starts_at, ends_at, "full"),
        "window_label": wita_range(opens_at, ends_at, style),
        "ends_label": wita_datetime(ends_at, "time" if _same_day(now, ends_at) else "full"),
    }


@bp.get("/gate/<slug>/today.json")
@manager_only
def gate_today(slug):
    """The day's bookings of a venue, for its managers and staff. ``now`` lets the device
    correct its own clock; ``csrf_token`` is the session's, for the sync that may follow."""
    venue = get_venue(slug, manage=True)
    now = utcnow()
    bookings = [_entry(booking, now) for booking in gate.day_bookings(venue, now)]
    response = jsonify(
        venue={"slug": venue.slug, "name": venue.name},
        day=now.astimezone(LOCAL).date().isoformat(),
        day_label=wita_date(now),
        now=iso_utc(now),
        csrf_token=generate_csrf(),
        bookings=bookings,
    )
    response.headers["Cache-Control"] = "no-store"  # schools' names and numbers: no shared caches
    return response


@bp.post("/gate/sync")
@manager_only
def gate_sync():
    """Apply the check-ins the gate made offline: ``{"operations": [...]}`` with each
    ``{id, booking_id, students, teachers, happened_at}``; one answer per operation."""
    operations = json_body().get("operations")
    if not isinstance(operations, list) or not operations:
        return error_response(422, _("Send the check-ins to apply as a list of operations."), error="no_operations")
    if len(operations) > gate.MAX_OPERATIONS:
        message = _("Send at most %(count)s check-ins at once.", count=gate.MAX_OPERATIONS)
        return error_response(413, message, error="too_many_operations")
    return jsonify(results=gate.apply_operations(operations, current_user))
