from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..access import login_required, roles_required
from ..errors import abort_with
from ..extensions import db
from ..pagecache import visitor_cache
from ..roles import CREATOR, IKM
from ..validators import page_number, whole_number
from . import attribution, bp, calls, duplicates, search, services
from .catalog import CatalogFilters, references
from .catalog import page as catalog_page
from .downloads import (
    VARIANT_LABELS,
    DownloadRefused,
    WebSizeNotReady,
    check_downloadable,
    create_download,
    crop_choices,
    history_page,
    purpose_counts,
    web_dimensions,
)
from .forms import AssetDetailsForm, DownloadForm
from .links import media_urls, thumbnails
from .models import (
    DOWNLOAD_PURPOSES,
    KIND_LABELS,
    LICENSE_SHORT_LABELS,
    LICENSE_URLS,
    LICENSES,
    REVIEWED_FIELD_LABELS,
    SETTLING,
    STATUS_LABELS,
    Asset,
    AssetDownload,
)
from .share import asset_preview

PER_PAGE = 24


@bp.app_template_global()
def highlight(text: str, query: str, max_chars: int | None = None):
    """``text`` escaped, with the words a search matched marked (search.highlight)."""
    return search.highlight(text, query, max_chars=max_chars)


@bp.app_context_processor
def asset_labels():
    return {
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "license_labels": LICENSES,
        "license_short_labels": LICENSE_SHORT_LABELS,
        "license_urls": LICENSE_URLS,
        "license_link": attribution.license_url,  # a licence's text, ours for NTB-PROMO
        "purpose_labels": DOWNLOAD_PURPOSES,
        "reviewed_field_labels": REVIEWED_FIELD_LABELS,
        "missing_details": calls.missing_detail_text,  # "Perlu rincian": what review still waits for
        "variant_labels": VARIANT_LABELS,  # original, web size, the social crops
    }


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """A clip's length as a player shows it: 0:07, 12:34, 1:02:03."""
    if seconds is None or seconds < 0:
        return ""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.get("/assets")
@visitor_cache
def catalog():
    filters = CatalogFilters.from_args(request.args)
    after, before = request.args.get("after"), request.args.get("before")
    number = None if after or before else page_number(request.args.get("page"))
    page = catalog_page(filters, PER_PAGE, number=number, after=after, before=before)
    return render_template(
        "assets/catalog.html",
        page=page,
        filters=filters,
        thumbs=thumbnails(page.items),
        refs=references(),
        words=search.terms(filters.q),
    )


@bp.get("/assets/<int:asset_id>")
@visitor_cache
def show(asset_id):
    asset = services.get_asset(asset_id, current_user)
    return render_template(
        "assets/show.html",
        asset=asset,
        urls=media_urls(asset),
        duplicates=duplicates.warnings_of(asset, current_user) if asset.managed_by(current_user) else [],
        license_url=attribution.license_url(asset.license),
        share=asset_preview(asset),  # None unless published: nothing of it in tags or share links
        # What a business pastes beside the media: only a published asset's (it has a licence).
        attribution_texts=attribution.texts(asset) if asset.is_public and asset.license else None,
        # Only for someone who may download: building the form makes a CSRF token, which
        # would give an anonymous visitor a cookie and a page that cannot be shared.
        download_form=DownloadForm().with_web_dimensions(web_dimensions(asset)).with_crops(crop_choices(asset))
        if asset.downloadable_by(current_user)
        else None,
    )


@bp.get("/licenses/<code>")
@visitor_cache
def license_terms(code):
    """What a licence allows, in words people read: the office's own licence (NTB-PROMO) in full
    in Indonesian and English, a Creative Commons licence summarised with a link to its deed."""
    if code not in LICENSES:
        abort_with(404, _("There is no licence with this code."))
    return render_template("assets/license.html", code=code, deed_url=LICENSE_URLS.get(code))


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    form = AssetDetailsForm(obj=asset).load_choices()
    if request.method == "GET":
        for name in ("community", "regency", "venue"):
            related = getattr(asset, name)
            form[name].data = related.slug if related else ""
        # The owner goes on from what they asked. Staff (whose edits apply at once) see the live
        # values: filled with the proposal, their save would publish it unreviewed.
        if asset.edit_needs_review(current_user):
            for name, _live, asked in asset.pending_edit:
                form[name].data = asked
    if form.validate_on_submit():
        try:
            outcome = services.update_details(asset, form.cleaned(), current_user)
        except services.DetailsRequired as refused:
            for name, messages in refused.errors.items():
                form[name].errors = [*form[name].errors, *messages]
        else:
            flash(*_edit_message(asset, outcome))
            return redirect(url_for("assets.edit", asset_id=asset.id))
    warnings = duplicates.warnings_of(asset, current_user)
    return render_template("assets/edit.html", asset=asset, form=form, urls=media_urls(asset), duplicates=warnings), (
        422 if form.errors else 200
    )


def _edit_message(asset: Asset, outcome: str) -> tuple[str, str]:
    """The flash after an edit: what went live, what waits for review, what is missing."""
    if outcome == services.SENT_FOR_REVIEW:
        return _("Saved and sent for review."), "success"
    if outcome == services.DETAILS_NEEDED:
        return _("Saved. To send it for review, add: %(fields)s.", fields=calls.missing_detail_text(asset)), "info"
    if outcome in (services.EDIT_PENDING, services.EDIT_PENDING_AND_LIVE):
        fields = ", ".join(str(REVIEWED_FIELD_LABELS[name]) for name, _live, _new in asset.pending_edit)
        if outcome == services.EDIT_PENDING:
            return _(
                "Saved. The published version stays online unchanged until the office approves your change "
                "of: %(fields)s.",
                fields=fields,
            ), "success"
        return _(
            "Saved. The published version stays online unchanged until the office approves your change "
            "of: %(fields)s. Anything else you changed is online now.",
            fields=fields,
        ), "success"
    if asset.is_public:
        return _("Saved. The changes are online now."), "success"
    return _("Saved."), "success"


@bp.post("/assets/<int:asset_id>/edit/withdraw")
@login_required
def withdraw_edit(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    try:
        services.withdraw_edit(asset, current_user)
    except services.NoPendingEdit:
        flash(_("No change of yours is waiting for review."), "info")
    else:
        flash(_("Change withdrawn. The published version is unchanged."), "info")
    return redirect(url_for("assets.edit", asset_id=asset.id), 303)


@bp.post("/assets/<int:asset_id>/delete")
@login_required
def delete(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    title = asset.title or asset.original_filename
    services.delete_asset(asset, current_user)
    flash(_("“%(title)s” is deleted, with its files.", title=title), "info")
    return redirect(url_for("assets.mine") if current_user.role == CREATOR else url_for("assets.catalog"))


@bp.get("/my/assets")
@roles_required(CREATOR)
def mine():
    assets = db.session.scalars(
        select(Asset).where(Asset.owner_id == current_user.id).order_by(Asset.created_at.desc())
    ).all()
    return render_template(
        "assets/mine.html",
        assets=assets,
        thumbs=thumbnails(assets),
        settling=SETTLING,
        duplicates=duplicates.warnings_for(assets, current_user),
    )


@bp.get("/assets/<int:asset_id>/downloads")
@login_required
def downloads(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    columns = (AssetDownload.business_name, AssetDownload.variant, AssetDownload.purpose)
    rows = db.session.execute(
        select(*columns, func.count(), func.max(AssetDownload.created_at))
        .where(AssetDownload.asset_id == asset.id)
        .group_by(*columns)
        .order_by(func.max(AssetDownload.created_at).desc())
    ).all()
    return render_template("assets/downloads.html", asset=asset, rows=rows, purposes=purpose_counts(asset))


MY_DOWNLOADS_PER_PAGE = 20


@bp.get("/my/downloads")
@roles_required(IKM)
def my_downloads():
    """A business's downloads, newest first, to find a licence and credit line again or download
    once more; pages follow ``?before=`` (the last download shown), one query each."""
    before = whole_number(request.args.get("before"))  # anything unusable: the first page
    downloads, next_before = history_page(current_user, MY_DOWNLOADS_PER_PAGE, before=before)
    return render_template(
        "assets/my_downloads.html",
        downloads=downloads,
        next_before=next_before,
        first=before is None,
        thumbs=thumbnails(d.asset for d in downloads if d.asset.downloadable_by(current_user)),
        # Built from the terms each copy was taken under, not the asset's current ones.
        attributions={d.id: attribution.download_texts(d) for d in downloads},
    )


@bp.post("/assets/<int:asset_id>/download")
@login_required
def download(asset_id):
    asset = services.get_asset(asset_id, current_user)
    form = DownloadForm()
    try:
        check_downloadable(asset, current_user)
        if not form.validate_on_submit():
            for error in [*form.accept_license.errors, *form.purpose.errors] or form.variant.errors:
                flash(error, "error")
            return redirect(url_for("assets.show", asset_id=asset.id)), 303
        url, _expires = create_download(asset, current_user, form.variant.data, purpose=form.purpose.data)
    except WebSizeNotReady as refused:
        abort_with(409, refused.message)
    except DownloadRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("assets.show", asset_id=asset.id)), 303
    return redirect(url, 303)


@bp.app_template_global()
def choices(field) -> list[list[str]]:
    """A select field's options as [value, label] pairs, for the uploader's script."""
    return [[str(value), str(label)] for value, label, *_rest in field.choices]
