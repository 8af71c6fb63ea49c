"""After a closure: the school's page of alternatives (take one, or cancel the visit), and the
venue's page per closure (who moved, who cancelled, who has not answered).

Each view loads its objects with the owner's lookup (``services.get_booking``: 404 for anyone
but the school's coordinators and the venue's managers; ``get_venue(slug, manage=True)``), then
lets ``reschedule`` decide; a refusal is shown on the page, 409 for conflicts, 403 when it is
not the caller's to answer, 422 otherwise."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..booking import codes, services
from ..booking.forms import ActionForm, ReasonForm
from ..booking.models import STATUS_LABELS, Booking, Closure
from ..booking.pages import manager_only, refusal_status
from ..booking.problems import BookingRefused
from ..database import utcnow
from ..extensions import db
from ..sitelinks import site_link
from ..venues.services import get_venue
from . import bp, reschedule
from .reschedule_models import ANSWER_LABELS, OPEN


@bp.app_template_global()
def open_reschedule_of(booking: Booking):
    """The booking's unanswered reschedule, or None: the booking page's link to the alternatives."""
    return reschedule.open_reschedule(booking.id)


@bp.app_template_global()
def alternatives_link(booking: Booking) -> str:
    """The absolute link to the booking's alternatives, for the closure mail."""
    return site_link("visits.alternatives", booking_id=booking.id)


def _alternatives_page(booking: Booking, status: int = 200, error: str | None = None, cancel_form=None):
    booking = db.session.get(Booking, booking.id)  # fresh after a refused (rolled back) change
    now = utcnow()
    found = reschedule.latest_reschedule(booking.id)
    html = render_template(
        "visits/reschedule.html",
        booking=booking,
        code=codes.display(booking.code),
        reschedule=found,
        answer=found.answer(now) if found else None,
        answer_labels=ANSWER_LABELS,
        status_label=STATUS_LABELS[booking.status],
        # the buttons are the school's: the venue's managers move and cancel on the booking page
        may_answer=bool(found and found.status == OPEN and booking.is_school_of(current_user)),
        now=now,
        action_form=ActionForm(),
        cancel_form=cancel_form or ReasonForm(prefix="cancel"),
        error=error,
    )
    return html, status


@bp.get("/bookings/<int:booking_id>/alternatives")
@login_required
def alternatives(booking_id):
    return _alternatives_page(services.get_booking(booking_id, current_user))


@bp.post("/bookings/<int:booking_id>/alternatives/<int:offer_id>/take")
@login_required
def take_alternative(booking_id, offer_id):
    booking = services.get_booking(booking_id, current_user)
    offer = reschedule.get_offer(booking, offer_id)
    if offer is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        reschedule.take(booking, offer, current_user)
    except BookingRefused as refusal:
        return _alternatives_page(booking, refusal_status(refusal), refusal.message)
    flash(_("Your visit was moved. The new time is below."), "success")
    return redirect(url_for("booking.detail", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/alternatives/cancel")
@login_required
def cancel_after_closure(booking_id):
    booking = services.get_booking(booking_id, current_user)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return _alternatives_page(booking, 422, cancel_form=form)
    try:
        reschedule.cancel_visit(booking, current_user, form.reason.data)
    except BookingRefused as refusal:
        return _alternatives_page(booking, refusal_status(refusal), refusal.message, cancel_form=form)
    flash(_("The visit was cancelled."), "success")
    return redirect(url_for("booking.detail", booking_id=booking.id))


@bp.get("/venues/<slug>/closures/<int:closure_id>")
@manager_only
def closure_report(slug, closure_id):
    venue = get_venue(slug, manage=True)
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.venue_id != venue.id:
        abort(404)
    now = utcnow()
    rows = reschedule.closure_reschedules(closure)
    return render_template(
        "visits/reschedule_closure.html",
        venue=venue,
        closure=closure,
        rows=rows,
        counts=reschedule.answer_counts(rows, now),
        answer_labels=ANSWER_LABELS,
        status_labels=STATUS_LABELS,
        display=codes.display,
        now=now,
    )
