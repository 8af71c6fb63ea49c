from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..access import login_required, roles_required
from ..errors import abort_with
from ..extensions import db
from ..pagecache import visitor_cache
from ..roles import CREATOR
from ..validators import page_number
from . import bp, search, services
from .catalog import CatalogFilters, references
from .catalog import page as catalog_page
from .downloads import DownloadRefused, WebSizeNotReady, check_downloadable, create_download
from .forms import AssetDetailsForm, DownloadForm
from .links import media_urls, thumbnails
from .models import KIND_LABELS, LICENSE_URLS, LICENSES, STATUS_LABELS, Asset, AssetDownload

PER_PAGE = 24


@bp.app_template_global()
def highlight(text: str, query: str, max_chars: int | None = None):
    """``text`` escaped, with the words a search matched marked (search.highlight)."""
    return search.highlight(text, query, max_chars=max_chars)


@bp.app_context_processor
def asset_labels():
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "license_labels": LICENSES}


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
        license_url=LICENSE_URLS.get(asset.license or ""),
        # Only for someone who may download: building the form makes a CSRF token, which
        # would give an anonymous visitor a cookie and a page that cannot be shared.
        download_form=DownloadForm() if asset.downloadable_by(current_user) else None,
    )


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    form = AssetDetailsForm(obj=asset).load_choices()
    if request.method == "GET":
        for name in ("community", "regency", "venue"):
            related = getattr(asset, name)
            form[name].data = related.slug if related else ""
    if form.validate_on_submit():
        was = asset.status
        services.update_details(asset, form.cleaned(), current_user)
        if asset.status == "pending_review" and was != "pending_review":
            flash(_("Saved and sent for review."), "success")
        elif not asset.details_complete:
            flash(_("Saved. Add a title, a licence and the consent confirmation to send it for review."), "info")
        else:
            flash(_("Saved."), "success")
        return redirect(url_for("assets.edit", asset_id=asset.id))
    return render_template("assets/edit.html", asset=asset, form=form, urls=media_urls(asset)), (
        422 if form.errors else 200
    )


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
    return render_template("assets/mine.html", assets=assets, thumbs=thumbnails(assets))


@bp.get("/assets/<int:asset_id>/downloads")
@login_required
def downloads(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    rows = db.session.execute(
        select(AssetDownload.business_name, AssetDownload.variant, func.count(), func.max(AssetDownload.created_at))
        .where(AssetDownload.asset_id == asset.id)
        .group_by(AssetDownload.business_name, AssetDownload.variant)
        .order_by(func.max(AssetDownload.created_at).desc())
    ).all()
    return render_template("assets/downloads.html", asset=asset, rows=rows)


@bp.post("/assets/<int:asset_id>/download")
@login_required
def download(asset_id):
    asset = services.get_asset(asset_id, current_user)
    form = DownloadForm()
    try:
        check_downloadable(asset, current_user)
        if not form.validate_on_submit():
            for error in form.accept_license.errors or form.variant.errors:
                flash(error, "error")
            return redirect(url_for("assets.show", asset_id=asset.id)), 303
        url, _expires = create_download(asset, current_user, form.variant.data)
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
