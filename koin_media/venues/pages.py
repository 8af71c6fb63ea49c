"""Creating and editing a venue (its own data and its managers). The venue's public pages and
its programs, sessions and closures compose bookings and media, so they live in
``booking.venue_pages`` and ``booking.schedule_views`` on this same blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required, roles_required
from ..roles import STAFF
from . import bp, services
from .forms import VenueForm
from .models import Venue


def _venue_form(venue: Venue | None = None) -> VenueForm:
    form = VenueForm(obj=venue)
    if venue is not None:
        del form.slug
    if not current_user.has_role(STAFF):
        del form.managers  # staff decide who manages a venue
    form.load_choices(services.venue_manager_users())
    if venue is not None and request.method == "GET":
        form.regency.data = venue.regency.slug
        if "managers" in form:
            form.managers.data = [str(u.id) for u in venue.managers]
    return form


@bp.route("/venues/new", methods=["GET", "POST"])
@roles_required(STAFF)
def create():
    form = _venue_form()
    if form.validate_on_submit():
        if services.venue_by_slug(form.slug.data) is not None:
            form.slug.errors.append(_("Another venue already uses this slug."))
        else:
            venue = services.create_venue(form.slug.data, form.cleaned(), current_user, form.chosen_managers())
            flash(_("Venue “%(name)s” created. Add its programs next.", name=venue.name), "success")
            return redirect(url_for("venues.manage", slug=venue.slug))
    return render_template("venues/venue_form.html", form=form, venue=None), (422 if form.errors else 200)


@bp.route("/venues/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    venue = services.get_venue(slug, manage=True)
    form = _venue_form(venue)
    if form.validate_on_submit():
        managers = form.chosen_managers() if "managers" in form else None
        services.update_venue(venue, form.cleaned(), current_user, managers)
        flash(_("Saved."), "success")
        return redirect(url_for("venues.manage", slug=venue.slug))
    return render_template("venues/venue_form.html", form=form, venue=venue), (422 if form.errors else 200)
