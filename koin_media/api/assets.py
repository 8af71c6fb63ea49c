from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required, roles_required
from ..assets import attribution, catalog, crops, duplicates, services
from ..assets.catalog import CatalogFilters
from ..assets.downloads import (
    CROP_VARIANTS,
    DownloadRefused,
    check_downloadable,
    create_download,
    crop_dimensions,
    download_options,
)
from ..assets.forms import ApiDownloadForm, ApiFocusForm, AssetDetailsForm, ReviewForm
from ..assets.links import media_urls
from ..assets.models import Asset
from ..errors import error_response
from ..json_bodies import form_from_json, json_body
from ..localtime import expires_at, iso_utc
from ..pagecache import visitor_cache
from ..roles import STAFF
from . import bp
from .helpers import json_true, page_args, validation_error
from .shapes import asset_summary_json


def asset_json(asset: Asset, detail: bool = False) -> dict:
    data = asset_summary_json(asset)
    if detail:
        data.update(
            description=asset.description,
            credit=asset.credit,
            credit_line=asset.credit_line if asset.license else None,
            mime=asset.mime,
            size_bytes=asset.size_bytes,
            width=asset.width,
            height=asset.height,
            duration_seconds=asset.duration_seconds,
            media=media_urls(asset),
            downloads=download_options(asset),
            # Where a photo's social crops are centred (fractions from the top left), and the
            # crops made around it, by ratio (download them as their ``variant``).
            focus={"x": asset.focus_x, "y": asset.focus_y},
            crops={
                CROP_VARIANTS[variant]: {"variant": variant, "width": width, "height": height}
                for variant, (width, height) in crop_dimensions(asset).items()
            },
            # Ready to paste, in both languages: only a published asset may be used.
            attribution=attribution.texts(asset) if asset.is_public and asset.license else None,
            # The last WITA day it may be used (assets/rights.py); null: no end.
            usable_until=_day(asset.usable_until),
        )
        if asset.managed_by(current_user):
            data["rejection_reason"] = asset.rejection_reason
            data["problem"] = asset.problem_message
            data["pending_edit"] = pending_edit_json(asset)
            # What processing found it duplicates; the other's id only if the caller may see it.
            data["duplicates"] = duplicates.api_json(duplicates.warnings_of(asset, current_user))
    return data


def _day(value) -> str | None:
    return value.isoformat() if value else None


def pending_edit_json(asset: Asset) -> dict | None:
    """The edit of a published asset waiting for review (the rest of the answer is the live version)."""
    if not asset.has_pending_edit:
        return None
    return {
        "fields": {name: _day(asked) if name == "usable_until" else asked for name, _live, asked in asset.pending_edit},
        "submitted_at": iso_utc(asset.edit_submitted_at),
        "version": asset.pending_edit_version,
    }


@bp.get("/assets")
@visitor_cache
def assets():
    """The catalogue, newest first: ``page`` up to catalog.MAX_OFFSET_PAGE, then the ``next``
    link (a cursor) however deep; ``total`` and the counts per filter value in ``facets``."""
    filters = CatalogFilters.strictly_from_args(request.args)
    number, per_page = page_args()
    after, before = request.args.get("after"), request.args.get("before")
    page = catalog.page(filters, per_page, number=None if after or before else number, after=after, before=before)

    def link(**cursor):
        return url_for("api.assets", **filters.as_args(), per_page=per_page, **cursor, _external=True)

    return jsonify(
        items=[asset_json(card) for card in page.items],
        page=page.number,
        per_page=per_page,
        total=page.total,
        next=link(after=page.next_cursor) if page.next_cursor else None,
        prev=link(before=page.prev_cursor) if page.prev_cursor else None,
        match="any" if page.any_word else "all",
        facets=page.facets.as_json(),
    )


@bp.get("/assets/<int:asset_id>")
@visitor_cache
def asset(asset_id):
    return jsonify(asset_json(services.get_asset(asset_id, current_user), detail=True))


@bp.post("/assets/<int:asset_id>")
@login_required
def update_asset(asset_id):
    """The edit page's rules (services.update_details) for the fields sent; others stay."""
    asset = services.get_asset(asset_id, current_user, manage=True)
    data = dict(json_body())
    if "consent" in data:
        data["consent"] = json_true(data, "consent")
    form = form_from_json(AssetDetailsForm, data).load_choices()
    focus = _focus_sent(asset, data)
    if not form.validate() or (focus is not None and focus.errors):
        return validation_error({**form.errors, **(focus.errors if focus is not None else {})})
    try:
        services.update_details(asset, form.submitted_cleaned(data.keys()), current_user)
    except services.DetailsRequired as refused:
        return validation_error(refused.errors)
    if focus is not None:
        crops.set_focus(asset, *focus.point())
    return jsonify(asset_json(asset, detail=True))


def _focus_sent(asset: Asset, data: dict) -> ApiFocusForm | None:
    """The focus point sent (one coordinate keeps the other), validated; None if none was sent.
    Checked before anything is saved, so that a refused point changes nothing."""
    sent = {name: data[name] for name in ("focus_x", "focus_y") if name in data}
    if not sent:
        return None
    form = form_from_json(ApiFocusForm, {"focus_x": asset.focus_x, "focus_y": asset.focus_y, **sent})
    if form.validate() and not asset.takes_focus:
        form.focus_x.errors = [_("Only processed photos have a focus point.")]
    return form


@bp.delete("/assets/<int:asset_id>/pending-edit")
@login_required
def withdraw_asset_edit(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    try:
        services.withdraw_edit(asset, current_user)
    except services.NoPendingEdit:
        return error_response(409, _("No change of yours is waiting for review."), error="no_pending_edit")
    return jsonify(asset_json(asset, detail=True))


@bp.post("/assets/<int:asset_id>/download")
@login_required
def download(asset_id):
    asset = services.get_asset(asset_id, current_user)
    try:
        check_downloadable(asset, current_user)
        data = {"variant": "original", **json_body()}
        data["accept_license"] = json_true(data, "accept_license")
        form = form_from_json(ApiDownloadForm, data)
        if not form.validate():
            return validation_error(form)
        url, lifetime = create_download(asset, current_user, form.variant.data, purpose=form.purpose.data or None)
    except DownloadRefused as refused:
        return error_response(refused.status, refused.message, error=refused.code)
    return jsonify(url=url, expires_at=expires_at(lifetime))


def _decide(asset_id: int, decision: str):
    asset = services.get_asset(asset_id, current_user)
    form = form_from_json(ReviewForm, {**json_body(), "decision": decision})
    if not form.validate():
        return validation_error(form)
    seen = form.edit_version.data or None
    try:
        if decision == "approve":
            services.approve(asset, current_user, edit_version=seen)
        else:
            services.reject(asset, current_user, form.reason.data.strip(), edit_version=seen)
    except services.EditChanged as changed:
        return error_response(409, changed.message, error="edit_changed")
    except services.NotWaitingForReview:
        return error_response(409, _("This asset is not waiting for review."))
    return jsonify(asset_json(asset, detail=True))


@bp.post("/assets/<int:asset_id>/approve")
@roles_required(STAFF)
def approve(asset_id):
    return _decide(asset_id, "approve")


@bp.post("/assets/<int:asset_id>/reject")
@roles_required(STAFF)
def reject(asset_id):
    return _decide(asset_id, "reject")
