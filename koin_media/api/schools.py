"""JSON for who acts for a school: the office's queue and decisions about coordinators.

``GET /schools/pending`` answers office staff with the schools waiting for verification and
the coordinators waiting for approval; an approved coordinator gets their own school's
waiting colleagues (and no schools). Deciding is the same service as the pages'."""

from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from ..access import roles_required
from ..accounts import coordinators
from ..errors import error_response
from ..localtime import iso_utc
from ..roles import SCHOOL, STAFF
from . import bp
from .helpers import list_envelope, page_envelope


def school_json(school) -> dict:
    return {
        "npsn": school.npsn,
        "name": school.name,
        "regency": school.regency.slug,
        "verified": school.is_verified,
        "verified_at": iso_utc(school.verified_at),
        "created_at": iso_utc(school.created_at),
    }


def coordinator_json(user) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "status": user.coordinator_status,
        "decided_at": iso_utc(user.coordinator_decided_at),
        "created_at": iso_utc(user.created_at),
        "school": {"npsn": user.school.npsn, "name": user.school.name},
    }


@bp.get("/schools/pending")
@roles_required(SCHOOL, STAFF)
def pending_schools():
    if current_user.has_role(STAFF):
        schools = page_envelope(coordinators.schools_awaiting_verification(), school_json)
        people = page_envelope(coordinators.coordinators_awaiting_approval(), coordinator_json)
    elif current_user.is_approved_coordinator:
        schools = list_envelope([])  # a coordinator verifies no school
        people = page_envelope(coordinators.pending_coordinators_of(current_user.school_id), coordinator_json)
    else:
        abort(403)
    return jsonify(schools=schools, coordinators=people)


def _decide(npsn: str, user_id: int, approve: bool):
    coordinator = coordinators.decidable_coordinator_or_abort(npsn, user_id)
    decide = coordinators.approve_coordinator if approve else coordinators.reject_coordinator
    try:
        decide(coordinator, current_user)
    except coordinators.CoordinatorRefused as refusal:
        return error_response(refusal.status, refusal.message, error=refusal.code)
    return jsonify(coordinator_json(coordinator))


@bp.post("/schools/<npsn>/coordinators/<int:coordinator_id>/approve")
@roles_required(SCHOOL, STAFF)
def approve_coordinator(npsn, coordinator_id):
    return _decide(npsn, coordinator_id, approve=True)


@bp.post("/schools/<npsn>/coordinators/<int:coordinator_id>/reject")
@roles_required(SCHOOL, STAFF)
def reject_coordinator(npsn, coordinator_id):
    return _decide(npsn, coordinator_id, approve=False)
