"""A venue's public pages: the list of venues, a venue's page (its programs and the promotion
media about it) and the month calendar of its free sessions. They compose venues, bookings
and media, so they live here, above both, while keeping the ``venues.*`` endpoints."""

from __future__ import annotations

from datetime import date, time

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..assets import catalog
from ..assets.links import thumbnails
from ..assets.share import venue_preview
from ..errors import abort_with
from ..extensions import db
from ..localtime import LOCAL, local_to_utc, local_today
from ..validators import iso_day, whole_number
from ..venues import bp as venues_bp  # the pages keep their venues.* endpoints and URLs
from ..venues.models import Venue
from ..venues.services import get_venue, venue_description
from . import programs
from .models import Program

VENUE_ASSETS = 12
MIDNIGHT = time(0, 0)


@venues_bp.get("/venues")
def index():
    venues = db.session.scalars(select(Venue).order_by(Venue.name)).all()
    return render_template(
        "venues/index.html",
        venues=venues,
        counts=programs.active_program_counts(),
        managed=Venue.managed_ids(current_user, venues),
        describe=venue_description,
    )


@venues_bp.get("/venues/<slug>")
def show(slug):
    venue = get_venue(slug)
    assets = catalog.page(catalog.CatalogFilters(venue=venue.slug), VENUE_ASSETS).items
    return render_template(
        "venues/show.html",
        venue=venue,
        description=venue_description(venue),
        share=venue_preview(venue, venue_description(venue)),
        programs=programs.active_programs(venue.id),
        assets=assets,
        thumbs=thumbnails(assets),
    )


def _month_arg(raw: str | None, today: date) -> date:
    if not raw:
        return today.replace(day=1)
    day = iso_day(f"{raw}-01")
    if day is None:
        abort_with(400, _("Give the month as YYYY-MM, for example 2026-12."))
    return day


def _group_arg(raw: str | None) -> int | None:
    if not raw:
        return None
    group = whole_number(raw)
    if group is None or not 1 <= group <= 10_000:
        abort_with(400, _("The group size must be a whole number of 1 or more."))
    return group


def _program_arg(raw: str | None, choices: list[Program]) -> Program | None:
    if not raw:
        return None
    program = next((p for p in choices if str(p.id) == raw), None)
    if program is None:
        abort_with(400, _("Choose one of the venue's programs."))
    return program


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@venues_bp.get("/venues/<slug>/calendar")
def calendar(slug):
    venue = get_venue(slug)
    choices = programs.active_programs(venue.id)
    program = _program_arg(request.args.get("program"), choices)
    group = _group_arg(request.args.get("group"))
    today = local_today()
    month = _month_arg(request.args.get("month"), today)
    program_id = program.id if program else None
    if not request.args.get("month"):
        # Open on the first month that has a free session, not on an empty one.
        first = db.session.scalars(
            programs.open_slots(venue_id=venue.id, program_id=program_id, group=group).limit(1)
        ).first()
        if first is not None:
            month = first.starts_at.astimezone(LOCAL).date().replace(day=1)
    following = _shift(month, 1)
    slots = db.session.scalars(
        programs.open_slots(
            venue_id=venue.id,
            program_id=program_id,
            starts_from=local_to_utc(month, MIDNIGHT),
            starts_before=local_to_utc(following, MIDNIGHT),
            group=group,
        )
    ).all()
    args = {"program": program_id, "group": group}
    previous = _shift(month, -1)
    return render_template(
        "venues/calendar.html",
        venue=venue,
        programs=choices,
        program=program,
        group=group,
        month=month,
        weeks=programs.month_weeks(month.year, month.month, slots),
        slot_count=len(slots),
        today=today,
        previous_url=(
            url_for("venues.calendar", slug=venue.slug, month=previous.strftime("%Y-%m"), **args)
            if previous >= today.replace(day=1)
            else None
        ),
        next_url=url_for("venues.calendar", slug=venue.slug, month=following.strftime("%Y-%m"), **args),
    )
