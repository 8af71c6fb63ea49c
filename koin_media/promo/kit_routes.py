"""Promo kit pages: "Kit saya" (``/kits``), one kit (``/kits/<token>``, its owner only: anyone
else gets a 404), its download, building it again, and the collection page's button."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import login_required
from ..assets.models import DOWNLOAD_PURPOSES
from ..extensions import db
from . import bp
from .collections import get_collection
from .kit_credits import skip_text
from .kits import (
    KitRefused,
    download_kit,
    get_kit_or_404,
    is_downloadable,
    kits_of,
    problem_text,
    rebuild,
    request_collection_kit,
)

PER_PAGE = 20


@bp.app_context_processor
def kit_labels():
    # The kit button (templates/promo/_kit_button.html) sits in pages this module does not render.
    return {"kit_purposes": DOWNLOAD_PURPOSES}


def _license_accepted() -> bool:
    """The form's licence checkbox (a browser sends it only when ticked)."""
    return bool(request.form.get("accept_license"))


def _back_to_form() -> str:
    """The page the button was on (the collection), if it is one of ours; else Kit saya."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith("/"):
        return came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return url_for("promo.kits")


@bp.get("/kits")
@login_required
def kits():
    page = db.paginate(kits_of(current_user), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_template("promo/kits.html", page=page, downloadable=is_downloadable)


@bp.get("/kits/<token>")
@login_required
def kit_page(token):
    kit = get_kit_or_404(token, current_user)
    return render_template(
        "promo/kit.html",
        kit=kit,
        downloadable=is_downloadable(kit),
        problem=problem_text(kit),
        skip_text=skip_text,
        purpose_label=DOWNLOAD_PURPOSES.get(kit.purpose, kit.purpose),
    )


@bp.post("/kits/<token>/download")
@login_required
def kit_download(token):
    kit = get_kit_or_404(token, current_user)
    try:
        url, _expires_in = download_kit(kit, current_user)
    except KitRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("promo.kit_page", token=kit.token), 303)
    return redirect(url, 303)


@bp.post("/kits/<token>/again")
@login_required
def kit_again(token):
    kit = get_kit_or_404(token, current_user)
    try:
        new = rebuild(kit, current_user, license_accepted=_license_accepted())
    except KitRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("promo.kit_page", token=kit.token), 303)
    return redirect(url_for("promo.kit_page", token=new.token), 303)


@bp.post("/collections/<int:collection_id>/kit")
@login_required
def collection_kit(collection_id):
    collection = get_collection(collection_id, current_user)
    try:
        kit = request_collection_kit(
            collection, current_user, request.form.get("purpose", ""), license_accepted=_license_accepted()
        )
    except KitRefused as refused:
        flash(str(refused.message), "error")
        return redirect(_back_to_form(), 303)
    return redirect(url_for("promo.kit_page", token=kit.token), 303)
