"""JSON for bookings: request, detail, decisions, cancelling and check-in.

Refusals of the booking services answer 409 ``{"error": <code>}`` for conflicts (``slot_full``,
``duplicate_request``, …) and 422 ``{"error": "validation_failed", "errors": {field: [msg]}}``
for rule violations about a field; other refusals answer 422 (403 for ``not_allowed``) with the
refusal's code as ``error``."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_login import current_user

from ..access import login_required, roles_required
from ..errors import error_response
from ..roles import SCHOOL, STAFF, VENUE_MANAGER
from . import bp
from .helpers import form_from_json, json_body, json_true, validation_error

# The booking package imports the venues, which import the assets and so this API: its modules
# are imported when a request comes, by then all of them are loaded.

# Refusal fields named differently in this API's request bodies.
API_FIELD_NAMES = {"attended_students": "students"}


def _time(value):
    return value.isoformat() if value is not None else None


def booking_json(booking) -> dict:
    from ..booking import codes
    from ..booking.models import STATUS_LABELS
    from ..booking.views import calendar_links

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
            "venue": program.venue.name,
            "starts_at": _time(slot.starts_at),
            "ends_at": _time(slot.ends_at),
        },
        "school": {"npsn": booking.school.npsn, "name": booking.school.name},
        "students": booking.students,
        "teachers": booking.teachers,
        "level": booking.level,
        "contact_name": booking.contact_name,
        "contact_phone": booking.contact_phone,
        "special_needs": booking.special_needs,
        "consent": booking.consent,
        "expires_at": _time(booking.expires_at),
        "decided_at": _time(booking.decided_at),
        "decision_reason": booking.decision_reason,
        "cancelled_reason": booking.cancelled_reason,
        "attended_students": booking.attended_students,
        "attended_teachers": booking.attended_teachers,
        "created_at": _time(booking.created_at),
        "links": {"page": url_for("booking.detail", booking_id=booking.id, _external=True), **calendar_links(booking)},
    }


def refusal_response(refusal):
    if refusal.is_conflict:
        return error_response(409, refusal.message, error=refusal.code)
    if refusal.field:
        field = API_FIELD_NAMES.get(refusal.field, refusal.field)
        return error_response(422, refusal.message, errors={field: [refusal.message]}, reason=refusal.code)
    if refusal.is_forbidden:
        return error_response(403, refusal.message, error=refusal.code)
    return error_response(422, refusal.message, error=refusal.code)


def _optional_body() -> dict:
    """Decisions may come without a body; when there is one, it must be a JSON object."""
    return json_body() if request.get_data() else {}


@bp.post("/bookings")
@roles_required(SCHOOL)  # as the request form: other roles are refused before the body is read
def create_booking():
    from ..booking import services
    from ..booking.forms import ApiBookingRequestForm, request_values
    from ..booking.problems import BookingRefused

    body = json_body()
    body["consent"] = json_true(body, "consent")
    form = form_from_json(ApiBookingRequestForm, body)
    if not form.validate():
        return validation_error(form)
    try:
        booking = services.book_slot(current_user, form.slot_id.data, **request_values(form))
    except BookingRefused as refusal:
        return refusal_response(refusal)
    response = jsonify(id=booking.id, code=booking.code, status=booking.status)
    response.headers["Location"] = url_for("api.booking", booking_id=booking.id)
    return response, 201


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id):
    from ..booking.views import visible_booking_or_404

    return jsonify(booking_json(visible_booking_or_404(booking_id)))


@bp.post("/bookings/<int:booking_id>/confirm")
@roles_required(VENUE_MANAGER, STAFF)
def confirm_booking(booking_id):
    from ..booking import services
    from ..booking.problems import BookingRefused
    from ..booking.views import visible_booking_or_404

    booking = visible_booking_or_404(booking_id)
    _optional_body()
    try:
        services.confirm(booking, current_user)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<int:booking_id>/reject")
@roles_required(VENUE_MANAGER, STAFF)
def reject_booking(booking_id):
    from ..booking import services
    from ..booking.forms import ApiReasonForm
    from ..booking.problems import BookingRefused
    from ..booking.views import visible_booking_or_404

    booking = visible_booking_or_404(booking_id)
    form = form_from_json(ApiReasonForm, _optional_body())
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
    from ..booking import services
    from ..booking.forms import ApiReasonForm
    from ..booking.problems import BookingRefused
    from ..booking.views import visible_booking_or_404

    booking = visible_booking_or_404(booking_id)
    form = form_from_json(ApiReasonForm, _optional_body())
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
    from ..booking import visits
    from ..booking.forms import ApiAttendanceForm
    from ..booking.problems import BookingRefused
    from ..booking.views import visible_booking_or_404

    booking = visible_booking_or_404(booking_id)
    form = form_from_json(ApiAttendanceForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        visits.check_in(booking, current_user, form.students.data, form.teachers.data)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(booking_json(booking))
