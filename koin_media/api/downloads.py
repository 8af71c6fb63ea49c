"""``GET /api/v1/me/downloads``: a business's download history, the page "Unduhan saya" as JSON."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from ..access import roles_required
from ..assets import attribution
from ..assets.downloads import history
from ..assets.links import inline_url
from ..assets.models import AssetDownload
from ..localtime import iso_utc
from ..roles import IKM
from . import bp
from .helpers import paginated


def download_json(download: AssetDownload) -> dict:
    """One download, with the licence, credit line and attribution recorded when it was made (a
    licence approved later is not this copy's), and what it was for. An asset taken out of the catalogue since keeps its
    title and terms (the business still uses its copy) but loses its links: ``available`` false."""
    asset = download.asset
    available = asset.downloadable_by(current_user)
    return {
        "id": download.id,
        "asset_id": asset.id,
        "title": asset.title or asset.original_filename,
        "kind": asset.kind,
        "variant": download.variant,
        "downloaded_at": iso_utc(download.created_at),
        "license": download.license,
        "license_url": attribution.license_url(download.license) if download.license else None,
        "credit_line": download.credit_line,
        "attribution": attribution.download_texts(download),
        "purpose": download.purpose,
        "available": available,
        "url": url_for("assets.show", asset_id=asset.id, _external=True) if available else None,
        "download": url_for("api.download", asset_id=asset.id, _external=True) if available else None,
        "thumbnail": inline_url(asset.thumb_key, "image/jpeg") if available and asset.thumb_key else None,
    }


@bp.get("/me/downloads")
@roles_required(IKM)
def my_downloads():
    return paginated(history(current_user), download_json)
