"""JSON for bookings: request, detail (by id, or by code for a scanner), decisions, cancelling and
check-in.

Every refusal of the booking services has one shape: ``{"error": <the rule's code>, "message"}``,
plus ``"errors": {field: [message]}`` when the rule is about a field of the request. 409 for
conflicts (``slot_full``, ``duplicate_request``, …), 403 for ``not_allowed``, 422 for the rest
(``school_unverified``, ``check_in_not_open``, ``slot_closed``, …)."""

from __future__ import annotations

from flask import abort, jsonify, url_for
from flask_login import current_user

from ..access import login_required, roles_required
from ..booking import codes, pending, services, visits
from ..booking.calendar_files import calendar_links
from ..booking.forms import ApiAttendanceForm, ApiBookingRequestForm, ApiReasonForm, group_request
from ..booking.models import STATUS_LABELS
from ..booking.problems import BookingRefused
from ..database import utcnow
from ..json_bodies import form_from_json, json_body
from ..localtime import iso_utc
from ..roles import SCHOOL, STAFF, VENUE_MANAGER
from ..visits import reschedule
from ..visits.headcount import confirm_headcount
from ..visits.headcount_forms import ApiHeadcountForm
from . import bp
from .helpers import json_true, paginated, refusal_response, validation_error


def booking_json(booking, *, manages: bool | None = None) -> dict:
    """``manages``: the caller manages the booking's venue, when a list already knows it (the
    pending requests are all of the caller's venues): no query per booking for its actions."""
    slot, program = booking.slot, booking.slot.program
    return {
        "id": booking.id,
        "code": booking.code,
        "code_display": codes.display(booking.code),
        "status": booking.status,
        "status_label": str(STATUS_LABELS[booking.status]),
        "slot": {
            "id": slot.id,
            "program_id": program.id,
            "program": program.title,
            "venue_id": program.venue_id,
            "venue_slug": program.venue.slug,
            "venue": program.venue.name,
            "starts_at": iso_utc(slot.starts_at),
            "ends_at": iso_utc(slot.ends_at),
        },
        "school": {"npsn": booking.school.npsn, "name": booking.school.name},
        "students": booking.students,
        "teachers": booking.teachers,
        "level": booking.level,
        "contact_name": booking.contact_name,
        "contact_phone": booking.contact_phone,
        "special_needs": booking.special_needs,
        "consent": booking.consent,
        "expires_at": iso_utc(booking.expires_at),
        "decided_at": iso_utc(booking.decided_at),
        "decision_reason": booking.decision_reason,
        "cancelled_reason": booking.cancelled_reason,
        "attended_students": booking.attended_students,
        "attended_teachers": booking.attended_teachers,
        "headcount_confirmed_at": iso_utc(booking.headcount_confirmed_at),
        "created_at": iso_utc(booking.created_at),
        "links": {
            "page": url_for("booking.detail", booking_id=booking.id, _external=True),
            **calendar_links(booking, external=True),
        },
        "actions": sorted(booking.allowed_actions(current_user, manages=manages)),
    }


@bp.post("/bookings")
@roles_required(SCHOOL)  # as the request form: other roles are refused before the body is read
def create_booking():
    body = json_body()
    body["consent"] = json_true(body, "consent")
    form = form_from_json(ApiBookingRequestForm, body)
    if not form.validate():
        return validation_error(form)
    try:
        booking = services.book_slot(current_user, form.slot_id.data, group_request(form))
    except BookingRefused as refusal:
        return refusal_response(refusal)
    response = jsonify(id=booking.id, code=booking.code, status=booking.status)
    response.headers["Location"] = url_for("api.booking", booking_id=booking.id, _external=True)
    return response, 201


@bp.get("/bookings/pending")
@roles_required(VENUE_MANAGER, STAFF)
def pending_bookings():
    """The managers' inbox as JSON: the same requests in the same order (booking.pending)."""
    return paginated(pending.requests_for(current_user, utcnow()), lambda row: booking_json(row, manages=True))


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id):
    return jsonify(booking_json(services.get_booking(booking_id, current_user)))


@bp.get("/bookings/by-code/<code>")
@login_required
def booking_by_code(code):
    """A scanner's lookup: the code as printed or read from the QR (any case, dash or spaces),
    seen by whoever may see it by id; a 404 for anyone else, as for an unknown code."""
    found = services.booking_by_code(code)
    if found is None:
        abort(404)
    return jsonify(booking_json(services.get_booking(found.id, current_user)))


@bp.post("/bookings/<int:booking_id>/confirm")
@roles_required(VENUE_MANAGER, STAFF)
def confirm_booking(booking_id):
    booking = services.get_booking(booking_id, current_user)
    json_body()
    try:
        services.confirm(booking, current_user)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/reject")
@roles_required(VENUE_MANAGER, STAFF)
def reject_booking(booking_id):
    booking = services.get_booking(booking_id, current_user)
    form = form_from_json(ApiReasonForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        services.reject(booking, current_user, form.reason.data or "")
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel_booking(booking_id):
    booking = services.get_booking(booking_id, current_user)
    form = form_from_json(ApiReasonForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        services.cancel(booking, current_user, form.reason.data)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/check-in")
@roles_required(VENUE_MANAGER, STAFF)
def check_in_booking(booking_id):
    booking = services.get_booking(booking_id, current_user)
    form = form_from_json(ApiAttendanceForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        visits.check_in(booking, current_user, form.students.data, form.teachers.data)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/no-show")
@roles_required(VENUE_MANAGER, STAFF)
def no_show_booking(booking_id):
    """A confirmed group that never came, once its session has ended (as the gate's button)."""
    return _gate_action(booking_id, visits.mark_no_show)


@bp.post("/bookings/<int:booking_id>/complete")
@roles_required(VENUE_MANAGER, STAFF)
def complete_booking(booking_id):
    """A checked-in visit took place (the job does it when the session ends): its certificate
    and the school's feedback follow."""
    return _gate_action(booking_id, visits.complete)


def _gate_action(booking_id, act):
    booking = services.get_booking(booking_id, current_user)
    json_body()  # no body needed; one that is not JSON is still a 415
    try:
        act(booking, current_user)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/headcount")
@login_required
def booking_headcount(booking_id):
    """The final headcount (visits/headcount.py), as the page's form: the school or the venue."""
    booking = services.get_booking(booking_id, current_user)
    form = form_from_json(ApiHeadcountForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        confirm_headcount(booking, current_user, form.students.data, form.teachers.data, version=form.version.data)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/alternatives/<int:offer_id>/take")
@login_required
def take_booking_alternative(booking_id, offer_id):
    """Move into a session held for the school after a closure (visits/reschedule.py), as the
    page's button: the school only; answers the booking after the move."""
    booking = services.get_booking(booking_id, current_user)
    offer = reschedule.get_offer(booking, offer_id)
    if offer is None:
        abort(404)
    json_body()
    try:
        reschedule.take(booking, offer, current_user)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))
