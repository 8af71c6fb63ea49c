"""JSON for the alternatives a closure left a booking with (``visits.reschedule``), with the
same lookup as the school's page. Taking one is a booking action that answers the booking, so
it sits with the others in ``api.bookings``."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_login import current_user

from ..access import login_required
from ..booking import services
from ..database import utcnow
from ..localtime import iso_utc
from ..visits import reschedule
from ..visits.reschedule_models import ANSWER_LABELS, OPEN
from . import bp


def _offer_json(offer, now) -> dict:
    slot = offer.slot
    return {
        "id": offer.id,
        "position": offer.position,
        "status": offer.status,
        "open": offer.is_open(now),
        "expires_at": iso_utc(offer.expires_at),
        "seats": offer.seats,
        "slot": {
            "id": slot.id,
            "program_id": slot.program_id,
            "program": slot.program.title,
            "starts_at": iso_utc(slot.starts_at),
            "ends_at": iso_utc(slot.ends_at),
        },
    }


@bp.get("/bookings/<int:booking_id>/alternatives")
@login_required
def booking_alternatives(booking_id):
    booking = services.get_booking(booking_id, current_user)
    found = reschedule.latest_reschedule(booking.id)
    now = utcnow()
    body = {
        "booking_id": booking.id,
        "reschedule": None,
        "alternatives": [],
        "links": {"page": url_for("visits.alternatives", booking_id=booking.id, _external=True)},
    }
    if found is not None:
        answer = found.answer(now)
        body["reschedule"] = {
            "status": found.status,
            "answer": answer,
            "answer_label": str(ANSWER_LABELS[answer]),
            "closure": {
                "reason": found.closure.reason,
                "starts_at": iso_utc(found.closure.starts_at),
                "ends_at": iso_utc(found.closure.ends_at),
            },
            "from_slot_id": found.from_slot_id,
            "to_slot_id": found.to_slot_id,
            "answered_at": iso_utc(found.answered_at),
            "may_answer": found.status == OPEN and booking.is_school_of(current_user),
        }
        body["alternatives"] = [_offer_json(offer, now) for offer in found.offers]
    return jsonify(body)
