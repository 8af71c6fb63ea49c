"""Managing a venue's offer: its management page, programs, sessions generated from a weekly
pattern, opening and closing one session, and closures. Each view loads the venue with
``get_venue(slug, manage=True)`` (404, then 403 unless ``Venue.can_manage``), then acts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access import login_required
from ..errors import abort_with
from ..extensions import db
from ..localtime import local_day_range, local_today
from ..validators import page_number
from ..venues import bp as venues_bp  # the pages keep their venues.* endpoints and URLs
from ..venues.models import Venue
from ..venues.services import get_venue
from . import programs, schedule
from .models import Program
from .program_forms import ClosureForm, ProgramForm, SlotPatternForm, SlotStatusForm

SLOTS_PER_PAGE = 50


def _manage_page(venue: Venue, pattern_form=None, closure_form=None):
    """The management page of a venue; a refused form is shown again with its errors (422)."""
    offer = programs.all_programs(venue.id)
    page = db.paginate(
        programs.upcoming_slots(venue.id),
        per_page=SLOTS_PER_PAGE,
        max_per_page=SLOTS_PER_PAGE,
        error_out=False,
        page=page_number(request.args.get("page")),
    )
    if pattern_form is None:
        pattern_form = SlotPatternForm(formdata=None).load_choices([p for p in offer if p.active])
    html = render_template(
        "venues/manage.html",
        venue=venue,
        programs=offer,
        page=page,
        closures=programs.upcoming_closures(venue.id),
        pattern_form=pattern_form,
        closure_form=closure_form or ClosureForm(formdata=None, prefix="closure"),
        status_form=SlotStatusForm(formdata=None),
        today=local_today(),
    )
    return html, (422 if pattern_form.errors or (closure_form and closure_form.errors) else 200)


@venues_bp.get("/venues/<slug>/manage")
@login_required
def manage(slug):
    return _manage_page(get_venue(slug, manage=True))


def _program_form(program: Program | None) -> ProgramForm:
    form = ProgramForm(obj=program)
    if program is not None and request.method == "GET":
        form.levels.data = sorted(program.level_set)
        form.requirements.data = "\n".join(program.requirements or [])
    return form


@venues_bp.route("/venues/<slug>/programs/new", methods=["GET", "POST"])
@login_required
def create_program(slug):
    venue = get_venue(slug, manage=True)
    form = _program_form(None)
    if form.validate_on_submit():
        program = programs.create_program(venue, form.cleaned(), form.levels.data, current_user)
        flash(_("Program “%(title)s” created. Generate its sessions below.", title=program.title), "success")
        return redirect(url_for("venues.manage", slug=venue.slug, _anchor="generate"))
    return render_template("venues/program_form.html", form=form, venue=venue, program=None), (
        422 if form.errors else 200
    )


@venues_bp.route("/venues/<slug>/programs/<int:program_id>/edit", methods=["GET", "POST"])
@login_required
def edit_program(slug, program_id):
    venue = get_venue(slug, manage=True)
    program = programs.get_program(venue, program_id)
    form = _program_form(program)
    if form.validate_on_submit():
        programs.update_program(program, form.cleaned(), form.levels.data, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("venues.manage", slug=venue.slug))
    return render_template("venues/program_form.html", form=form, venue=venue, program=program), (
        422 if form.errors else 200
    )


@venues_bp.post("/venues/<slug>/slots/generate")
@login_required
def generate_slots(slug):
    venue = get_venue(slug, manage=True)
    form = SlotPatternForm().load_choices(programs.active_programs(venue.id))
    if not form.validate_on_submit():
        return _manage_page(venue, pattern_form=form)
    created = schedule.generate_slots(
        form.chosen_program,
        [int(day) for day in form.weekdays.data],
        form.start_time.data,
        form.end_time.data,
        form.date_from.data,
        form.date_to.data,
        form.capacity.data,
        actor=current_user,
    )
    if created:
        flash(ngettext("%(num)d session created.", "%(num)d sessions created.", len(created)), "success")
    else:
        flash(_("No new sessions: they exist already, lie in the past or fall in a closure."), "info")
    return redirect(url_for("venues.manage", slug=venue.slug))


@venues_bp.post("/venues/<slug>/slots/<int:slot_id>/status")
@login_required
def slot_status(slug, slot_id):
    venue = get_venue(slug, manage=True)
    slot = programs.get_slot(venue, slot_id)
    form = SlotStatusForm()
    if not form.validate_on_submit():
        abort_with(400, _("Choose whether to open or close the session."))
    is_open = form.is_open.data == "1"
    programs.set_slot_open(slot, is_open, current_user)
    if is_open:
        flash(_("The session is open for requests."), "success")
    else:
        flash(_("The session is closed for new requests. Bookings already made stay as they are."), "info")
    return redirect(url_for("venues.manage", slug=venue.slug, page=request.args.get("page", type=int)))


@venues_bp.post("/venues/<slug>/closures")
@login_required
def add_closure(slug):
    venue = get_venue(slug, manage=True)
    form = ClosureForm(prefix="closure")
    if not form.validate_on_submit():
        return _manage_page(venue, closure_form=form)
    starts_at, ends_at = local_day_range(form.date_from.data, form.date_to.data)
    # close_for tells the booking signals about every live booking of the closed sessions
    # (action "slot_closed"); the notification outbox sends the schools their notices.
    affected = schedule.close_for(venue, starts_at, ends_at, form.reason.data, actor=current_user)
    if affected:
        flash(
            ngettext(
                "Closure saved. %(num)d booking is affected; its school is notified. Move or cancel it.",
                "Closure saved. %(num)d bookings are affected; their schools are notified. Move or cancel them.",
                len(affected),
            ),
            "info",
        )
    else:
        flash(_("Closure saved. No bookings are affected."), "success")
    return redirect(url_for("venues.manage", slug=venue.slug))
