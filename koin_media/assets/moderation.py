"""The staff moderation queue: oldest first, approve, or reject with a reason."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..access import roles_required
from ..audit import AuditEvent
from ..extensions import db
from ..roles import STAFF
from . import bp, services
from .forms import ReviewForm
from .links import media_urls, thumbnails
from .models import PENDING_REVIEW, Asset


@bp.get("/moderation")
@roles_required(STAFF)
def moderation_queue():
    assets = db.session.scalars(
        select(Asset)
        .where(Asset.status == PENDING_REVIEW)
        .options(joinedload(Asset.owner), joinedload(Asset.community))
        .order_by(Asset.submitted_at, Asset.id)
    ).all()
    return render_template("assets/moderation_queue.html", assets=assets, thumbs=thumbnails(assets))


@bp.route("/moderation/<int:asset_id>", methods=["GET", "POST"])
@roles_required(STAFF)
def review(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            if form.decision.data == "approve":
                services.approve(asset, current_user)
                flash(_("Approved: “%(title)s” is now public.", title=asset.title), "success")
            else:
                services.reject(asset, current_user, form.reason.data.strip())
                flash(_("Rejected. The creator sees your reason."), "info")
        except services.NotWaitingForReview:
            flash(_("This asset was already decided by someone else."), "info")
        return redirect(url_for("assets.moderation_queue"))
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "assets", AuditEvent.subject_id == asset.id)
        .order_by(AuditEvent.created_at.desc())
    ).all()
    return render_template("assets/review.html", asset=asset, form=form, urls=media_urls(asset), history=history), (
        422 if form.errors else 200
    )
