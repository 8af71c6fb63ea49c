"""The office's list of schools and its button that verifies one (a school books visits once
the office has checked its NPSN). The queue of schools and coordinators waiting is
``coordinator_routes``; the JSON face of the same service is ``api.venues``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, or_, select

from ..access import roles_required
from ..extensions import db
from ..reference import schools as school_reference
from ..roles import STAFF
from ..security import safe_next
from ..validators import page_number
from . import bp, coordinators
from .models import School

SCHOOLS_PER_PAGE = 50


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
    return render_template(
        "accounts/schools.html",
        page=page,
        search=search,
        coordinators=people,
        references=school_reference.checks_for(page.items),
    )


@bp.post("/schools/<npsn>/verify")
@roles_required(STAFF)
def verify_school(npsn):
    school = coordinators.school_by_npsn(npsn)
    if school is None:
        abort(404)
    if coordinators.verify_school(school, current_user):
        flash(
            _("%(name)s (NPSN %(npsn)s) is verified and can book visits.", name=school.name, npsn=school.npsn),
            "success",
        )
    else:
        flash(_("%(name)s was already verified.", name=school.name), "info")
    fallback = url_for("accounts.schools", q=request.form.get("q") or None)
    return redirect(safe_next(request.form.get("next"), fallback))
