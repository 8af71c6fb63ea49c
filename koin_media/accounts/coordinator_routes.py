"""Pages for deciding who acts for a school: the office's queue of schools and coordinators
waiting, and the approve/reject buttons (for staff, and for a school's approved coordinators
on their account page). The JSON face of the same services is ``api.schools``."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import nav_count, roles_required
from ..extensions import db
from ..forms import Form
from ..reference import schools as school_reference
from ..roles import SCHOOL, STAFF
from ..security import safe_next
from . import bp, coordinators
from .models import COORDINATOR_STATUS_LABELS, School, User

QUEUE_LIMIT = 200  # per list; the page says when there are more


class ActionForm(Form):
    """An approve/reject/verify button: only the CSRF token."""


@dataclass
class Membership:
    """What a school account's page says about its school: the state, and (for an approved
    coordinator) the colleagues waiting for a decision."""

    school: School
    status: str
    waiting: list[User] = field(default_factory=list)


@bp.app_template_global()
def school_membership(user) -> Membership | None:
    if not user.is_authenticated or user.role != SCHOOL or user.school is None:
        return None
    waiting = []
    if user.is_approved_coordinator:
        statement = coordinators.pending_coordinators_of(user.school_id)
        waiting = list(db.session.scalars(statement.limit(QUEUE_LIMIT)))
    return Membership(school=user.school, status=user.coordinator_status, waiting=waiting)


@bp.app_context_processor
def _labels() -> dict:
    return {"coordinator_status_labels": COORDINATOR_STATUS_LABELS}


@bp.get("/schools/waiting")
@roles_required(STAFF)
@nav_count(lambda _user: coordinators.queue_size())
def school_queue():
    schools = db.session.scalars(coordinators.schools_awaiting_verification().limit(QUEUE_LIMIT)).all()
    people = db.session.scalars(coordinators.coordinators_awaiting_approval().limit(QUEUE_LIMIT)).all()
    return render_template(
        "accounts/school_queue.html",
        schools=schools,
        people=people,
        coordinators=coordinators.coordinators_by_school([school.id for school in schools]),
        approvers=coordinators.approvers_by_school({person.school_id for person in people}),
        references=school_reference.checks_for(schools),
        limit=QUEUE_LIMIT,
    )


def _decide(npsn: str, user_id: int, approve: bool):
    coordinator = coordinators.decidable_coordinator_or_abort(npsn, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    fallback = url_for("accounts.school_queue" if current_user.has_role(STAFF) else "accounts.profile")
    try:
        if approve:
            coordinators.approve_coordinator(coordinator, current_user)
        else:
            coordinators.reject_coordinator(coordinator, current_user)
    except coordinators.CoordinatorRefused as refusal:
        if refusal.status == 403:
            abort(403)
        flash(refusal.message, "error")
        return redirect(safe_next(request.form.get("next"), fallback))
    if approve:
        message = _("%(name)s can now act for %(school)s.", name=coordinator.name, school=coordinator.school.name)
    else:
        message = _("%(name)s was rejected for %(school)s.", name=coordinator.name, school=coordinator.school.name)
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"), fallback))


@bp.post("/schools/<npsn>/coordinators/<int:coordinator_id>/approve")
@roles_required(SCHOOL, STAFF)
def approve_coordinator(npsn, coordinator_id):
    return _decide(npsn, coordinator_id, approve=True)


@bp.post("/schools/<npsn>/coordinators/<int:coordinator_id>/reject")
@roles_required(SCHOOL, STAFF)
def reject_coordinator(npsn, coordinator_id):
    return _decide(npsn, coordinator_id, approve=False)
