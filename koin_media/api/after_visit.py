"""JSON for what follows a completed visit: the certificate of attendance (a PDF) and the
school's feedback. The same services as the pages (visits.certificates, visits.feedback), so
the same rules and the same refusals (``not_completed`` 409 before the visit is completed)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from ..access import login_required, roles_required
from ..booking.problems import BookingRefused
from ..booking.services import get_booking
from ..json_bodies import form_from_json, json_body
from ..localtime import iso_utc
from ..roles import SCHOOL
from ..visits import certificates, feedback
from ..visits.feedback_forms import ApiFeedbackForm
from . import bp
from .helpers import refusal_response, validation_error


def feedback_json(given) -> dict:
    return {
        "booking_id": given.booking_id,
        "rating": given.rating,
        "comment": given.comment,
        "created_at": iso_utc(given.created_at),
        "updated_at": iso_utc(given.updated_at),
        "editable_until": iso_utc(feedback.editable_until(given)),
    }


@bp.get("/bookings/<int:booking_id>/certificate")
@login_required
def booking_certificate(booking_id):
    return certificates.download(get_booking(booking_id, current_user))


@bp.post("/bookings/<int:booking_id>/feedback")
@roles_required(SCHOOL)
def booking_feedback(booking_id):
    booking = get_booking(booking_id, current_user)
    if not feedback.may_give(booking, current_user):  # access before the body is read
        return refusal_response(BookingRefused("not_allowed"))
    form = form_from_json(ApiFeedbackForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        given = feedback.give(booking, current_user, form.rating.data, form.comment.data)
    except BookingRefused as refusal:
        return refusal_response(refusal)
    return jsonify(feedback_json(given.feedback)), 201 if given.created else 200
