"""Feedback pages: the school's form for a completed visit, and the venue's page where its
managers and staff read it per program."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required, roles_required
from ..booking.pages import attach_refusal, refusal_status
from ..booking.problems import BookingRefused
from ..booking.services import get_booking
from ..extensions import db
from ..roles import SCHOOL
from ..validators import page_number, whole_number
from ..venues.services import get_venue
from . import bp, feedback
from .feedback_forms import FeedbackForm

COMMENTS_PER_PAGE = 30


@bp.route("/bookings/<int:booking_id>/feedback", methods=["GET", "POST"])
@roles_required(SCHOOL)
def feedback_form(booking_id):
    booking = get_booking(booking_id, current_user)
    if not feedback.may_give(booking, current_user):
        abort(403)  # an admin sees every booking, but speaks for no school
    given = feedback.of(booking)
    form = FeedbackForm(obj=given)
    error, status = None, 200
    if form.validate_on_submit():
        try:
            feedback.give(booking, current_user, form.rating.data, form.comment.data)
        except BookingRefused as refusal:
            error, status = attach_refusal(form, refusal), refusal_status(refusal)
        else:
            flash(_("Thank you! Your feedback was saved."), "success")
            return redirect(url_for("booking.detail", booking_id=booking.id))
    elif form.is_submitted():
        status = 422
    booking = get_booking(booking_id, current_user)  # fresh after a refused (rolled back) change
    given = feedback.of(booking)
    context = dict(
        booking=booking,
        form=form,
        given=given,
        state=feedback.state(booking, given),
        until=feedback.editable_until(given) if given else None,
        edit_days=feedback.edit_days(),
        error=error,
    )
    return render_template("visits/feedback_form.html", **context), status


@bp.get("/venues/<slug>/feedback")
@login_required
def venue_feedback(slug):
    venue = get_venue(slug, manage=True)
    summary = feedback.program_summary(venue.id)
    chosen = None
    if request.args.get("program"):
        program_id = whole_number(request.args["program"])
        chosen = next((row.program for row in summary if row.program.id == program_id), None)
        if chosen is None:
            abort(404)  # not a program of this venue
    page = db.paginate(
        feedback.comments(venue.id, chosen.id if chosen else None),
        page=page_number(request.args.get("page")),
        per_page=COMMENTS_PER_PAGE,
        max_per_page=COMMENTS_PER_PAGE,
        error_out=False,
        count=True,
    )
    return render_template("visits/feedback_venue.html", venue=venue, summary=summary, chosen=chosen, page=page)
