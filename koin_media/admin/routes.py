from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, roles_required
from ..accounts import coordinators, services
from ..accounts.models import User
from ..assets import review_queue
from ..errors import abort_with
from ..extensions import db
from ..roles import ADMIN, ROLES, STAFF
from ..validators import page_number
from . import bp

PER_PAGE = 50
OLDEST_SHOWN = 5  # per queue on the landing page; the queue's own page has the rest


@bp.get("/staff")
@roles_required(STAFF)
def queues():
    """Where staff land: what waits for the office, with counts and the oldest first."""
    assets = review_queue.oldest_waiting(OLDEST_SHOWN)
    return render_template(
        "admin/queues.html",
        review_count=review_queue.waiting_count(),
        assets=assets,
        school_count=coordinators.queue_size(),
        schools=db.session.scalars(coordinators.schools_awaiting_verification().limit(OLDEST_SHOWN)).all(),
        people=db.session.scalars(coordinators.coordinators_awaiting_approval().limit(OLDEST_SHOWN)).all(),
    )


@bp.get("/admin/users")
@roles_required(STAFF)
def users():
    search = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    if role and role not in ROLES:
        role = ""
    page = db.paginate(
        services.user_query(search, role),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
        page=page_number(request.args.get("page")),
    )
    return render_template("admin/users.html", page=page, search=search, role=role, roles=ROLES)


@bp.post("/admin/users/<int:user_id>/active")
@roles_required(ADMIN)
def set_active(user_id):
    user = get_or_404(User, user_id)
    if user.id == current_user.id:
        abort_with(400, _("You cannot deactivate your own account."))
    active = request.form.get("active") == "1"
    services.set_active(user, active)
    if active:
        flash(_("%(email)s can log in again.", email=user.email), "success")
    else:
        flash(_("%(email)s is deactivated and can no longer log in.", email=user.email), "info")
    return redirect(url_for("admin.users"))
