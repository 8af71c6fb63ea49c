from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, roles_required
from ..accounts import services
from ..accounts.models import User
from ..errors import abort_with
from ..extensions import db
from ..roles import ADMIN, ROLES, STAFF
from ..validators import page_number
from . import bp

PER_PAGE = 50


@bp.get("/users")
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


@bp.post("/users/<int:user_id>/active")
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
