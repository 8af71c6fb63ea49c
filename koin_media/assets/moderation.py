"""The staff moderation queue: oldest first, approve, or reject with a reason."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import nav_count, roles_required
from ..audit import AuditEvent
from ..extensions import db
from ..roles import STAFF
from . import bp, duplicates, review_queue, services
from .forms import ReviewForm
from .links import media_urls, thumbnails


@bp.get("/moderation")
@roles_required(STAFF)
@nav_count(lambda _user: review_queue.waiting_count())
def moderation_queue():
    assets = db.session.scalars(review_queue.waiting_for_review()).all()
    flags = duplicates.queue_flags(asset.id for asset in assets)
    return render_template("assets/moderation_queue.html", assets=assets, thumbs=thumbnails(assets), duplicates=flags)


@bp.route("/moderation/<int:asset_id>", methods=["GET", "POST"])
@roles_required(STAFF)
def review(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    form = ReviewForm()
    if form.validate_on_submit():
        is_edit, seen = asset.has_pending_edit, form.edit_version.data or None
        try:
            if form.decision.data == "approve":
                services.approve(asset, current_user, edit_version=seen)
                if is_edit:
                    flash(_("Approved: the change to “%(title)s” is online now.", title=asset.title), "success")
                else:
                    flash(_("Approved: “%(title)s” is now public.", title=asset.title), "success")
            else:
                services.reject(asset, current_user, form.reason.data.strip(), edit_version=seen)
                if is_edit:
                    flash(_("Change rejected. The published version stays; the creator sees your reason."), "info")
                else:
                    flash(_("Rejected. The creator sees your reason."), "info")
        except services.EditChanged as changed:
            flash(str(changed.message), "info")
            return redirect(url_for("assets.review", asset_id=asset.id), 303)
        except services.NotWaitingForReview:
            flash(_("This asset was already decided by someone else."), "info")
        return redirect(url_for("assets.moderation_queue"))
    # Always the edit this page shows (none: empty), also when a refused form is shown again,
    # so a decision never reaches an edit the reviewer did not see.
    form.edit_version.data = asset.pending_edit_version or ""
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "assets", AuditEvent.subject_id == asset.id)
        .order_by(AuditEvent.created_at.desc())
    ).all()
    warnings = duplicates.warnings_of(asset, current_user)
    return render_template(
        "assets/review.html",
        asset=asset,
        form=form,
        urls=media_urls(asset),
        history=history,
        duplicates=warnings,
        duplicate_thumbs=thumbnails(warning.other for warning in warnings),
    ), (422 if form.errors else 200)
