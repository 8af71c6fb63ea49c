"""Venue pages: public pages and availability, management of venues, programs, slots and
closures, and the office's verification of schools."""

from __future__ import annotations

from datetime import date, time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, or_, select

from ..access import login_required, roles_required
from ..accounts import coordinators
from ..accounts.models import School
from ..booking import schedule
from ..booking.models import Closure, Program, Slot
from ..database import utcnow
from ..errors import abort_with
from ..extensions import db
from ..roles import STAFF, VENUE_MANAGER
from ..security import safe_next
from ..validators import iso_day, page_number, whole_number
from . import bp, services
from .forms import ClosureForm, ProgramForm, SlotPatternForm, SlotStatusForm, VenueForm
from .models import Venue, venue_managers

VENUE_ASSETS = 12
SLOTS_PER_PAGE = 50
SCHOOLS_PER_PAGE = 50
MIDNIGHT = time(0, 0)


# -- helpers shared by the templates ----------------------------------------------------------


@bp.app_template_filter("rupiah")
def rupiah(amount: int | None) -> str:
    """Rupiah the Indonesian way, "Rp 25.000"; nothing to pay is "free"."""
    if not amount:
        return _("Free")
    return "Rp " + f"{amount:,}".replace(",", ".")


def can_manage(user, venue) -> bool:
    # Imported here, not at the top: booking.services imports venues.models, which runs this
    # package's __init__ and so this module while booking.services is still half-loaded.
    from ..booking.services import can_manage as allowed

    return allowed(user, venue)


def venue_description(venue: Venue) -> str:
    """The description in the reader's language, falling back to the other one."""
    if get_locale().language == "en":
        return venue.description_en or venue.description_id
    return venue.description_id or venue.description_en


def booking_url(slot_id: int) -> str:
    """Where a school asks for a session (the booking pages' form)."""
    if "booking.request_form" in current_app.view_functions:
        return url_for("booking.request_form", slot_id=slot_id)
    return f"/slots/{slot_id}/book"


def venue_or_404(slug: str) -> Venue:
    venue = services.venue_by_slug(slug)
    if venue is None:
        abort(404)
    return venue


def managed_venue_or_404(slug: str) -> Venue:
    """Load, then check access: staff manage every venue, a venue manager only their own."""
    venue = venue_or_404(slug)
    if not can_manage(current_user, venue):
        abort(403)
    return venue


def active_programs(venue_id: int) -> list[Program]:
    return db.session.scalars(
        select(Program).where(Program.venue_id == venue_id, Program.active.is_(True)).order_by(Program.title)
    ).all()


# -- public pages -----------------------------------------------------------------------------


@bp.get("/venues")
def index():
    venues = db.session.scalars(select(Venue).order_by(Venue.name)).all()
    counts = dict(
        db.session.execute(
            select(Program.venue_id, func.count()).where(Program.active.is_(True)).group_by(Program.venue_id)
        ).all()
    )
    return render_template(
        "venues/index.html",
        venues=venues,
        counts=counts,
        managed=managed_venue_ids(venues),
        describe=venue_description,
        may_create=current_user.is_authenticated and current_user.has_role(STAFF),
    )


def managed_venue_ids(venues) -> set[int]:
    """The venues the current user may manage, in one query at most."""
    if not current_user.is_authenticated:
        return set()
    if current_user.has_role(STAFF):
        return {v.id for v in venues}
    if current_user.role != VENUE_MANAGER:
        return set()
    return set(db.session.scalars(select(venue_managers.c.venue_id).where(venue_managers.c.user_id == current_user.id)))


@bp.get("/venues/<slug>")
def show(slug):
    from ..assets import catalog  # see can_manage: the same import cycle
    from ..assets.links import thumbnails

    venue = venue_or_404(slug)
    assets = catalog.page(catalog.CatalogFilters(venue=venue.slug), VENUE_ASSETS).items
    thumbs = thumbnails(assets)
    return render_template(
        "venues/show.html",
        venue=venue,
        description=venue_description(venue),
        programs=active_programs(venue.id),
        assets=assets,
        thumbs=thumbs,
        may_manage=can_manage(current_user, venue),
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


def _program_arg(raw: str | None, programs: list[Program]) -> Program | None:
    if not raw:
        return None
    program = next((p for p in programs if str(p.id) == raw), None)
    if program is None:
        abort_with(400, _("Choose one of the venue's programs."))
    return program


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@bp.get("/venues/<slug>/calendar")
def calendar(slug):
    venue = venue_or_404(slug)
    programs = active_programs(venue.id)
    program = _program_arg(request.args.get("program"), programs)
    group = _group_arg(request.args.get("group"))
    today = services.local_today()
    month = _month_arg(request.args.get("month"), today)
    if not request.args.get("month"):
        # Open on the first month that has a free session, not on an empty one.
        first = db.session.scalars(
            services.open_slots(venue_id=venue.id, program_id=program.id if program else None, group=group).limit(1)
        ).first()
        if first is not None:
            month = first.starts_at.astimezone(schedule.LOCAL).date().replace(day=1)
    following = _shift(month, 1)
    starts_from, starts_before = schedule.local_to_utc(month, MIDNIGHT), schedule.local_to_utc(following, MIDNIGHT)
    slots = db.session.scalars(
        services.open_slots(
            venue_id=venue.id,
            program_id=program.id if program else None,
            starts_from=starts_from,
            starts_before=starts_before,
            group=group,
        )
    ).all()
    args = {"program": program.id if program else None, "group": group}
    previous = _shift(month, -1)
    return render_template(
        "venues/calendar.html",
        venue=venue,
        programs=programs,
        program=program,
        group=group,
        month=month,
        weeks=services.month_weeks(month.year, month.month, slots),
        slot_count=len(slots),
        today=today,
        previous_url=(
            url_for("venues.calendar", slug=venue.slug, month=previous.strftime("%Y-%m"), **args)
            if previous >= today.replace(day=1)
            else None
        ),
        next_url=url_for("venues.calendar", slug=venue.slug, month=following.strftime("%Y-%m"), **args),
        booking_url=booking_url,
    )


# -- management -------------------------------------------------------------------------------


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
    venue = managed_venue_or_404(slug)
    form = _venue_form(venue)
    if form.validate_on_submit():
        managers = form.chosen_managers() if "managers" in form else None
        services.update_venue(venue, form.cleaned(), current_user, managers)
        flash(_("Saved."), "success")
        return redirect(url_for("venues.manage", slug=venue.slug))
    return render_template("venues/venue_form.html", form=form, venue=venue), (422 if form.errors else 200)


def _manage_page(venue: Venue, pattern_form=None, closure_form=None):
    """The management page of a venue; a refused form is shown again with its errors (422)."""
    programs = db.session.scalars(
        select(Program).where(Program.venue_id == venue.id).order_by(Program.active.desc(), Program.title)
    ).all()
    page = db.paginate(
        select(Slot)
        .join(Slot.program)
        .where(Program.venue_id == venue.id, Slot.ends_at > utcnow())
        .order_by(Slot.starts_at, Slot.id),
        per_page=SLOTS_PER_PAGE,
        max_per_page=SLOTS_PER_PAGE,
        error_out=False,
        page=page_number(request.args.get("page")),
    )
    closures = db.session.scalars(
        select(Closure).where(Closure.venue_id == venue.id, Closure.ends_at > utcnow()).order_by(Closure.starts_at)
    ).all()
    if pattern_form is None:
        pattern_form = SlotPatternForm(formdata=None).load_choices([p for p in programs if p.active])
    html = render_template(
        "venues/manage.html",
        venue=venue,
        programs=programs,
        page=page,
        closures=closures,
        pattern_form=pattern_form,
        closure_form=closure_form or ClosureForm(formdata=None, prefix="closure"),
        status_form=SlotStatusForm(formdata=None),
        today=services.local_today(),
    )
    return html, (422 if pattern_form.errors or (closure_form and closure_form.errors) else 200)


@bp.get("/venues/<slug>/manage")
@login_required
def manage(slug):
    return _manage_page(managed_venue_or_404(slug))


def _program_or_404(venue: Venue, program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None or program.venue_id != venue.id:
        abort(404)
    return program


def _program_form(program: Program | None) -> ProgramForm:
    form = ProgramForm(obj=program)
    if program is not None and request.method == "GET":
        form.levels.data = sorted(program.level_set)
        form.requirements.data = "\n".join(program.requirements or [])
    return form


@bp.route("/venues/<slug>/programs/new", methods=["GET", "POST"])
@login_required
def create_program(slug):
    venue = managed_venue_or_404(slug)
    form = _program_form(None)
    if form.validate_on_submit():
        program = services.create_program(venue, form.cleaned(), form.levels.data, current_user)
        flash(_("Program “%(title)s” created. Generate its sessions below.", title=program.title), "success")
        return redirect(url_for("venues.manage", slug=venue.slug, _anchor="generate"))
    return render_template("venues/program_form.html", form=form, venue=venue, program=None), (
        422 if form.errors else 200
    )


@bp.route("/venues/<slug>/programs/<int:program_id>/edit", methods=["GET", "POST"])
@login_required
def edit_program(slug, program_id):
    venue = managed_venue_or_404(slug)
    program = _program_or_404(venue, program_id)
    form = _program_form(program)
    if form.validate_on_submit():
        services.update_program(program, form.cleaned(), form.levels.data, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("venues.manage", slug=venue.slug))
    return render_template("venues/program_form.html", form=form, venue=venue, program=program), (
        422 if form.errors else 200
    )


@bp.post("/venues/<slug>/slots/generate")
@login_required
def generate_slots(slug):
    venue = managed_venue_or_404(slug)
    form = SlotPatternForm().load_choices(active_programs(venue.id))
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


@bp.post("/venues/<slug>/slots/<int:slot_id>/status")
@login_required
def slot_status(slug, slot_id):
    venue = managed_venue_or_404(slug)
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.program.venue_id != venue.id:
        abort(404)
    form = SlotStatusForm()
    if not form.validate_on_submit():
        abort_with(400, _("Choose whether to open or close the session."))
    is_open = form.is_open.data == "1"
    services.set_slot_open(slot, is_open, current_user)
    if is_open:
        flash(_("The session is open for requests."), "success")
    else:
        flash(_("The session is closed for new requests. Bookings already made stay as they are."), "info")
    return redirect(url_for("venues.manage", slug=venue.slug, page=request.args.get("page", type=int)))


@bp.post("/venues/<slug>/closures")
@login_required
def add_closure(slug):
    venue = managed_venue_or_404(slug)
    form = ClosureForm(prefix="closure")
    if not form.validate_on_submit():
        return _manage_page(venue, closure_form=form)
    starts_at, ends_at = services.local_day_range(form.date_from.data, form.date_to.data)
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


# -- verification of schools ------------------------------------------------------------------


def school_query(search: str = ""):
    """Schools, those still waiting for verification first."""
    statement = select(School)
    if search:
        pattern = f"%{search.lower()}%"
        statement = statement.where(or_(func.lower(School.name).like(pattern), School.npsn.like(pattern)))
    return statement.order_by(case((School.verified_at.is_(None), 0), else_=1), School.created_at.desc(), School.id)


@bp.get("/schools")
@roles_required(STAFF)
def schools():
    search = request.args.get("q", "").strip()[:100]
    page = db.paginate(
        school_query(search),
        per_page=SCHOOLS_PER_PAGE,
        max_per_page=SCHOOLS_PER_PAGE,
        error_out=False,
        page=page_number(request.args.get("page")),
    )
    people = coordinators.coordinators_by_school([school.id for school in page.items])
    return render_template("venues/schools.html", page=page, search=search, coordinators=people)


@bp.post("/schools/<npsn>/verify")
@roles_required(STAFF)
def verify_school(npsn):
    school = db.session.scalar(select(School).where(School.npsn == npsn))
    if school is None:
        abort(404)
    if coordinators.verify_school(school, current_user):
        flash(
            _("%(name)s (NPSN %(npsn)s) is verified and can book visits.", name=school.name, npsn=school.npsn),
            "success",
        )
    else:
        flash(_("%(name)s was already verified.", name=school.name), "info")
    fallback = url_for("venues.schools", q=request.form.get("q") or None)
    return redirect(safe_next(request.form.get("next"), fallback))
